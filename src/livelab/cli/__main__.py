"""``python -m livelab.cli``: the same as the ``livelab`` command."""

from livelab.cli import main

main()
