"""The simulated EDR: real rows change, the previous state is reported, repeats change nothing."""

from __future__ import annotations

import pytest

from affidavit import canonical
from affidavit.connectors import SimulatedEDR
from affidavit.connectors._tables import (
    sim_edr_hosts,
    sim_edr_killed_processes,
    sim_edr_quarantine,
)
from affidavit.errors import InputError
from affidavit.store import Database
from tests.connectors._shared import Clock, make_request, rows

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture
def edr(db: Database, clock: Clock) -> SimulatedEDR:
    return SimulatedEDR(db, clock=clock)


def test_isolate_host_sets_the_row_and_reports_the_previous_state(
    edr: SimulatedEDR, db: Database
) -> None:
    request = make_request(
        "isolate_host", "host:pc-sales-0215", {"comment": "ransomware", "allow_ips": ["10.0.0.5"]}
    )
    result = edr.execute(request)
    assert result.status == "succeeded"
    assert result.detail["previous"] == {
        "isolated": False,
        "isolated_by": None,
        "isolated_at": None,
    }
    assert result.detail["changed"] is True
    assert result.detail["simulated"] is True
    [host] = rows(db, sim_edr_hosts, host_id="pc-sales-0215")
    assert host["isolated"] is True
    assert host["isolated_by"] == request.execution_id
    assert host["isolated_at"] == "2027-01-15T08:00:00.000000Z"
    assert host["isolation_comment"] == "ransomware"
    assert canonical.decode(host["isolation_allow_ips"]) == ["10.0.0.5"]


def test_isolating_twice_keeps_the_first_isolation(edr: SimulatedEDR, db: Database) -> None:
    first = make_request("isolate_host", "host:pc-1")
    edr.execute(first)
    second = edr.execute(make_request("isolate_host", "host:pc-1"))
    assert second.detail["changed"] is False
    assert second.detail["previous"]["isolated_by"] == first.execution_id
    assert rows(db, sim_edr_hosts, host_id="pc-1")[0]["isolated_by"] == first.execution_id


def test_a_repeated_execution_returns_the_stored_result(
    edr: SimulatedEDR, db: Database, clock: Clock
) -> None:
    request = make_request("wipe_host", "host:pc-1")
    first = edr.execute(request)
    clock.now += 3600
    assert edr.execute(request) == first
    [host] = rows(db, sim_edr_hosts, host_id="pc-1")
    assert host["wiped_at"] == "2027-01-15T08:00:00.000000Z"  # not wiped again an hour later


def test_wipe_reports_the_earlier_wipe(edr: SimulatedEDR, db: Database, clock: Clock) -> None:
    first = make_request("wipe_host", "host:pc-1")
    edr.execute(first)
    clock.now += 60
    second = edr.execute(make_request("wipe_host", "host:pc-1", {"comment": "again"}))
    assert second.detail["previous"]["wiped_by"] == first.execution_id
    assert rows(db, sim_edr_hosts, host_id="pc-1")[0]["wiped_at"] == "2027-01-15T08:01:00.000000Z"


def test_quarantine_on_listed_hosts_and_everywhere(edr: SimulatedEDR, db: Database) -> None:
    listed = edr.execute(make_request("quarantine_file", f"file:{SHA}", {"hosts": ["a", "b"]}))
    assert listed.detail["hosts_quarantined"] == 2
    assert listed.detail["scope"] == "listed_hosts"
    again = edr.execute(
        make_request("quarantine_file", f"file:{SHA.upper()}", {"hosts": ["b", "c"]})
    )
    assert (again.detail["hosts_quarantined"], again.detail["already_quarantined"]) == (1, 1)
    everywhere = edr.execute(make_request("quarantine_file", f"file:{SHA}"))
    assert everywhere.detail["scope"] == "all_hosts"
    assert sorted(r["host_id"] for r in rows(db, sim_edr_quarantine, file_sha=SHA)) == [
        "*",
        "a",
        "b",
        "c",
    ]


def test_kill_process_records_the_kill(edr: SimulatedEDR, db: Database) -> None:
    first = make_request("kill_process", "host:pc-1", {"pid": 4242, "image_sha256": SHA})
    result = edr.execute(first)
    assert result.detail == {
        "host": "pc-1",
        "pid": 4242,
        "killed": True,
        "previous": {"killed_by": None},
        "simulated": True,
    }
    later = edr.execute(make_request("kill_process", "host:pc-1", {"pid": 4242}))
    assert later.detail["previous"]["killed_by"] == first.execution_id
    assert len(rows(db, sim_edr_killed_processes, host_id="pc-1")) == 2


def test_lookup_host_context_is_deterministic_and_changes_nothing(
    edr: SimulatedEDR, db: Database
) -> None:
    one = edr.execute(
        make_request("lookup_host_context", "host:srv-db-01", {"include_processes": True})
    )
    two = edr.execute(
        make_request("lookup_host_context", "host:srv-db-01", {"include_processes": True})
    )
    assert one.detail == two.detail
    assert one.detail["isolated"] is False
    assert one.detail["processes"]
    assert rows(db, sim_edr_hosts) == []
    edr.execute(make_request("isolate_host", "host:srv-db-01"))
    after = edr.execute(make_request("lookup_host_context", "host:srv-db-01"))
    assert after.detail["isolated"] is True
    assert "processes" not in after.detail


@pytest.mark.parametrize(
    ("action", "target", "params", "message"),
    [
        ("block_ip", "ip:203.0.113.5", {}, "cannot run action block_ip"),
        ("isolate_host", "user:alice", {}, "applies to host targets"),
        ("isolate_host", "host:" + "h" * 256, {}, "limit is 255"),
        ("isolate_host", "host:pc-1", {"allow_ips": ["10.0.0.300"]}, "IPv4"),
        ("isolate_host", "host:pc-1", {"comment": 7}, "comment"),
        ("quarantine_file", "file:not-a-hash", {}, "file hash"),
        ("quarantine_file", f"file:{SHA}", {"hosts": []}, "at least one"),
        ("quarantine_file", f"file:{SHA}", {"hosts": ["a", "a"]}, "more than once"),
        ("kill_process", "host:pc-1", {}, "pid"),
        ("kill_process", "host:pc-1", {"pid": 0}, "pid"),
        ("kill_process", "host:pc-1", {"pid": True}, "pid"),
        ("kill_process", "host:pc-1", {"pid": 5, "image_sha256": SHA.upper()}, "image_sha256"),
    ],
)
def test_requests_the_edr_cannot_serve_are_input_errors(
    edr: SimulatedEDR,
    db: Database,
    action: str,
    target: str,
    params: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(InputError, match=message):
        edr.execute(make_request(action, target, params))
    assert rows(db, sim_edr_hosts) == []


def test_a_refused_request_leaves_no_execution_record(edr: SimulatedEDR) -> None:
    bad = make_request("kill_process", "host:pc-1", {}, execution_id="exec-bad")
    with pytest.raises(InputError):
        edr.execute(bad)
    with pytest.raises(InputError):  # refused again, not answered from a record
        edr.execute(bad)


def test_odd_but_printable_unicode_host_ids_round_trip(edr: SimulatedEDR, db: Database) -> None:
    host = "ПК-😀-e\u0301-東京"
    edr.execute(make_request("isolate_host", f"host:{host}"))
    assert rows(db, sim_edr_hosts, host_id=host)[0]["isolated"] is True
    assert edr.actions == {
        "isolate_host",
        "quarantine_file",
        "kill_process",
        "wipe_host",
        "lookup_host_context",
    }
