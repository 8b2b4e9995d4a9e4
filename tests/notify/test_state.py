"""The state file: a cursor, an outbox deduplicated by (entry, event, channel), schedules."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from affidavit.errors import ConfigError
from affidavit.notify import Event, NotifyState, RetryPolicy

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _event(seq: int, kind: str = "approval_pending") -> Event:
    return Event(
        kind=kind,  # type: ignore[arg-type]
        seq=seq,
        proposal=f"prop_{seq}",
        case="C",
        action="isolate_host",
        tier=2,
        target_kind="host",
        criticality="low",
        agent="triage",
        approvals_required=1,
        roles=(),
        deadline=None,
    )


def test_an_entry_read_twice_is_queued_once_per_channel(tmp_path: Path) -> None:
    state = NotifyState(tmp_path / "n.db")
    try:
        found = [(_event(1), "a"), (_event(1), "b"), (_event(2), "a")]
        assert state.record_scan(3, found, [], NOW) == 3
        assert state.record_scan(3, found, [], NOW) == 0  # a crash before the cursor moved
        assert state.record_scan(3, [(_event(1, "approval_expiring"), "a")], [], NOW) == 1
        assert state.counts() == {"pending": 4}
        assert state.channels_due(NOW) == ["a", "b"]
    finally:
        state.close()


def test_the_cursor_and_the_queue_survive_a_restart(tmp_path: Path) -> None:
    state = NotifyState(tmp_path / "n.db")
    state.record_scan(42, [(_event(1), "a")], [], NOW)
    [item] = state.due("a", NOW, 10)
    retry = RetryPolicy(max_attempts=2, backoff_s=60, max_backoff_s=60)
    assert state.mark_failed([item], "HTTP 500", NOW, retry) == NOW + timedelta(seconds=60)
    state.close()
    again = NotifyState(tmp_path / "n.db")
    try:
        assert again.cursor() == 42
        assert again.due("a", NOW, 10) == []  # waiting out its backoff
        [item] = again.due("a", NOW + timedelta(seconds=60), 10)
        assert (item.attempts, item.last_error) == (1, "HTTP 500")
        again.mark_failed([item], "HTTP 502", NOW, retry)
        [gave_up] = again.deliveries(["failed"])
        assert (gave_up.attempts, gave_up.last_error, gave_up.done_at) == (
            2,
            "HTTP 502",
            "2026-11-28T09:00:00.000000Z",
        )
    finally:
        again.close()


def test_a_state_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    NotifyState(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(ConfigError, match="written by a newer Affidavit"):
        NotifyState(path)
