"""``python -m affidavit.connectors.vendors NAME ...``: the catalog files, for AFFIDAVIT_CATALOG."""

from __future__ import annotations

import os
import sys

from affidavit.connectors.vendors import catalog_path
from affidavit.errors import AffidavitError


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m affidavit.connectors.vendors NAME ...", file=sys.stderr)
        return 2
    try:
        print(os.pathsep.join(str(catalog_path(name)) for name in argv))
    except AffidavitError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
