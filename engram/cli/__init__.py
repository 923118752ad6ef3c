"""The ``engram`` command line: each command calls one public method and formats its result."""

from engram.cli.app import app


def main() -> None:
    """Entry point of the ``engram`` console script."""
    app()


__all__ = ["app", "main"]
