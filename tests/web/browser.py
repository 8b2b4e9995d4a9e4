"""Headless Chromium for the console tests: the system's chromium (Debian package, installed
by .ci/run), driven by Playwright for Python; axe-core from the npm registry, cached."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_VERSION = "axe-core@4"
_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "affidavit-tests"


def require_chromium() -> Path:
    """The browser, or a failure that says how to get it (never a skip: CI installs it)."""
    if not CHROMIUM.is_file():
        raise AssertionError(
            f"{CHROMIUM} is missing: the console's browser tests need Debian's chromium "
            "(apt-get update && apt-get install -y chromium; .ci/run does this)"
        )
    return CHROMIUM


def axe_script() -> Path:
    """axe.min.js, installed from npm into a cache directory on first use."""
    target = _CACHE / "axe" / "node_modules" / "axe-core" / "axe.min.js"
    if not target.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise AssertionError("npm is needed once to fetch axe-core for the accessibility tests")
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(_CACHE / "axe"),
                AXE_VERSION,
                "--no-audit",
                "--no-fund",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return target


def serious_violations(page: Any, axe: Path) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    page.add_script_tag(path=str(axe))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
