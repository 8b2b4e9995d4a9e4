"""The CLI calls the Governor's methods; it never reaches into the ledger behind it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import affidavit.cli
from affidavit.governance.governor import Governor

CLI = Path(affidavit.cli.__file__).parent


def test_the_cli_uses_only_governor_methods() -> None:
    used = {
        (path.name, name)
        for path in sorted(CLI.glob("*.py"))
        for name in re.findall(r"\bgov\.(\w+)", path.read_text())
    }
    assert len(used) > 20
    not_methods = [
        f"{file}: gov.{name}"
        for file, name in sorted(used)
        if not inspect.isfunction(getattr(Governor, name, None))
    ]
    assert not_methods == []
