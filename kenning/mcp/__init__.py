"""Kenning as an MCP server: ``remember``, ``recall``, ``forget``, ``list_memories`` and the
task tools (``task_start``, ``task_record``, ``task_context``, ...).

>>> from kenning import Memory                                          # doctest: +SKIP
>>> from kenning.mcp import create_mcp_server
>>> server = create_mcp_server(Memory("memories.db"), default_user="ana")
>>> server.run("stdio")

``python -m kenning.mcp`` serves the configured store over stdio (see docs/mcp.md). Needs the
official MCP SDK: ``pip install 'kenning[server]'``.
"""

from kenning._extras import require_extra

require_extra("server", "mcp", what="the MCP server")

# The imports below need the extra checked above.
from kenning.mcp._server import (
    AllowedUsers,
    UserCheck,
    create_mcp_server,
    render_recall,
    run_stdio,
    streamable_http_app,
)
from kenning.read.tokens import approx_tokens

__all__ = [
    "AllowedUsers",
    "UserCheck",
    "approx_tokens",
    "create_mcp_server",
    "render_recall",
    "run_stdio",
    "streamable_http_app",
]
