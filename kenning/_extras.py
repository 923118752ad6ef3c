"""Optional dependencies: which extra brings which module, and the error when one is missing."""

from __future__ import annotations

import importlib

from kenning.errors import ConfigError


def require_extra(extra: str, *modules: str, what: str) -> None:
    """Raise :class:`ConfigError` naming the install line if any of ``modules`` is missing.

    ``what`` says what needed them ("kenning serve"); the message is one line:
    ``the REST server needs the 'server' extra (not installed: fastapi): pip install
    'kenning[server]'``.
    """
    missing = []
    for module in modules:
        try:  # importing costs nothing extra: the caller imports these right after
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ConfigError(
            f"{what} needs the '{extra}' extra (not installed: {', '.join(missing)}): "
            f"pip install 'kenning[{extra}]'"
        )


__all__ = ["require_extra"]
