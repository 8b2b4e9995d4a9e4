"""One clock: only ``affidavit.clock.system_clock`` reads the wall clock.

A module that reads ``datetime.now()`` or ``time.time()`` itself runs on real time
while the rest runs on the injected clock, so its tests pass or fail with the date
(two such readings, in the health and report commands, were found this way).
``time.monotonic()`` measures durations and timeouts, not moments, and is allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "affidavit"
WALL_CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}
THE_CLOCK = SRC / "clock.py"


def _reads(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if (name, node.func.attr) in WALL_CLOCK_READS:
                found.append((node.lineno, f"{name}.{node.func.attr}()"))
    return found


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    found = [
        f"{path.relative_to(SRC)}:{line}: {call}"
        for path in sorted(SRC.rglob("*.py"))
        if path != THE_CLOCK
        for line, call in _reads(ast.parse(path.read_text()))
    ]
    assert found == []


def test_the_check_sees_each_kind_of_read() -> None:
    source = "import time, datetime\ndatetime.datetime.now()\ntime.time()\ndatetime.date.today()"
    assert [call for _, call in _reads(ast.parse(source))] == [
        "datetime.now()",
        "time.time()",
        "date.today()",
    ]
    assert _reads(ast.parse("import time\ntime.monotonic()")) == []
