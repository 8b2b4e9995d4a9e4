"""No module imports another package's private (``_name``) module or name.

A private module ``affidavit.a._m`` is visible to ``affidavit.a`` and the packages
below it; everything else goes through public modules (re-exported in the
package's ``__init__``), so packages keep one way in and can change inside.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import affidavit

SRC = Path(affidavit.__file__).parent.parent


def _module(path: Path) -> tuple[str, str]:
    """(module name, the package it belongs to) of a source file."""
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), ".".join(parts[:-1])
    return ".".join(parts), ".".join(parts[:-1])


def _imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def private_imports(path: Path, source: str | None = None) -> list[str]:
    _, package = _module(path)
    found = []
    tree = ast.parse(path.read_text() if source is None else source)
    for line, name in _imported(tree):
        parts = name.split(".")
        for i, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                owner = ".".join(parts[:i])
                if package != owner and not package.startswith(owner + "."):
                    found.append(f"{path.relative_to(SRC)}:{line} imports {name}")
                break
    return found


def test_no_cross_package_import_of_a_private_module() -> None:
    found = [f for path in sorted((SRC / "affidavit").rglob("*.py")) for f in private_imports(path)]
    assert found == []


def test_the_check_sees_a_private_import() -> None:
    source = (
        "from affidavit.connectors._tables import sim_edr_hosts\nimport affidavit.cli._common\n"
    )
    outside = private_imports(SRC / "affidavit" / "demo.py", source)
    assert [f.split(" imports ")[1] for f in outside] == [
        "affidavit.connectors._tables",
        "affidavit.connectors._tables.sim_edr_hosts",
        "affidavit.cli._common",
    ]
    inside = SRC / "affidavit" / "connectors" / "simulated" / "edr.py"
    assert private_imports(inside, source.splitlines()[0]) == []
