"""``python -m kenning.mcp``: serve the configured store (``KENNING_*`` settings) over stdio."""

from __future__ import annotations

import argparse

from kenning.mcp._server import run_stdio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m kenning.mcp",
        description="Serve Kenning's memory to MCP clients over stdio (settings: KENNING_*).",
    )
    parser.add_argument(
        "--user", default=None, help="user id used when a tool call gives none (default: required)"
    )
    args = parser.parse_args(argv)
    run_stdio(default_user=args.user)


if __name__ == "__main__":
    main()
