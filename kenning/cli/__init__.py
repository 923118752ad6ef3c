"""The ``kenning`` command line: each command calls one public method and formats its result."""

from kenning.cli._output import print_error
from kenning.cli.app import app
from kenning.errors import KenningError


def main() -> None:
    """Entry point of the ``kenning`` console script.

    An error a user can act on (a bad setting, a missing extra) is one line on stderr and
    exit status 2, wherever in a command it was raised.
    """
    try:
        app()
    except KenningError as exc:
        print_error(exc)
        raise SystemExit(2) from exc


__all__ = ["app", "main"]
