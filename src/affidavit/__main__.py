"""``python -m affidavit``: the same as the ``affidavit`` command."""

from affidavit.cli import main

main()
