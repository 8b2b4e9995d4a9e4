"""Cursor files: atomic, owner-only, checked when read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from affidavit.errors import ConfigError
from affidavit.export import SinkState, StateStore


def test_a_saved_cursor_reads_back(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "export")
    assert store.load("siem") == SinkState("siem")
    state = SinkState(
        "siem", last_seq=41, last_leaf="ab" * 32, delivered=12, failures=2, last_error="down"
    )
    store.save(state)
    assert store.load("siem") == state
    assert state.next_seq == 42
    mode = stat.S_IMODE((tmp_path / "export" / "siem.json").stat().st_mode)
    assert mode & 0o077 == 0
    assert [p.name for p in (tmp_path / "export").iterdir()] == ["siem.json"]


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "[]",
        '{"sink": "other"}',
        '{"sink": "siem", "last_seq": -1, "last_leaf": null, "delivered": 0, "failures": 0, '
        '"last_error": null, "last_attempt": null, "last_success": null}',
        '{"sink": "siem", "last_seq": 3, "last_leaf": null, "delivered": 0, "failures": 0, '
        '"last_error": null, "last_attempt": null, "last_success": null}',
    ],
)
def test_a_damaged_cursor_is_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "siem.json").write_text(text)
    with pytest.raises(ConfigError, match="is damaged"):
        StateStore(tmp_path).load("siem")


def test_sink_names_cannot_reach_outside_the_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        StateStore(tmp_path).load("../etc/passwd")
