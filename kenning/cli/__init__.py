"""The ``kenning`` command line: each command calls one public method and formats its result."""

from kenning.cli.app import app


def main() -> None:
    """Entry point of the ``kenning`` console script."""
    app()


__all__ = ["app", "main"]
