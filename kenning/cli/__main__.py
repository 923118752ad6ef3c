"""``python -m kenning.cli``: the ``kenning`` command without its console script."""

from kenning.cli import main

main()
