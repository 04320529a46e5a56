"""``python -m sen_core`` is the ``sen`` command."""

from .cli import main

main()
