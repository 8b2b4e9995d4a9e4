"""Run the CLI in-process, as the console script would, capturing its output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from affidavit.cli import _common, main
from tests.conftest import Clock


@dataclass
class Run:
    code: int
    out: str
    err: str


Invoke = Callable[..., Run]


@pytest.fixture
def cli(
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> Invoke:
    """The CLI on the test's database (SQLite in AFFIDAVIT_HOME, or a PostgreSQL schema)
    and on the test's clock."""
    monkeypatch.setattr(_common, "clock", clock)

    def invoke(*args: str) -> Run:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return Run(code, captured.out, captured.err)

    return invoke
