"""``python -m affidavit.connectors.vendors NAME ...``: the ``catalog:`` section of a
governance configuration routing actions to those vendors (``affidavit config publish``)."""

from __future__ import annotations

import sys

from affidavit.connectors.vendors import catalog_section
from affidavit.errors import AffidavitError


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m affidavit.connectors.vendors NAME ...", file=sys.stderr)
        return 2
    try:
        print(catalog_section(*argv), end="")
    except AffidavitError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
