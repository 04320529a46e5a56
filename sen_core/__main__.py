"""``python -m sen_core`` is the ``sen`` command."""

from sen_core.cli import main

main()
