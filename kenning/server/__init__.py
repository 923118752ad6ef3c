"""The REST server (``kenning serve``): FastAPI routes over :class:`kenning.Memory`.

Importing this package imports FastAPI (the ``server`` extra); the CLI imports it only when
serving or managing API keys.
"""

from __future__ import annotations

from kenning._extras import require_extra

require_extra("server", "fastapi", "uvicorn", "mcp", what="the REST server")

# The imports below need the extra checked above.
from kenning.server._limits import Limits
from kenning.server.app import OPEN_NOTICE, check_binding, create_app, is_loopback, run
from kenning.server.keys import ApiKeys, Principal, hash_token

__all__ = [
    "OPEN_NOTICE",
    "ApiKeys",
    "Limits",
    "Principal",
    "check_binding",
    "create_app",
    "hash_token",
    "is_loopback",
    "run",
]
