"""The simulated ticketing system: one ticket per execution, keyed SIM-<n>."""

from __future__ import annotations

import pytest

from affidavit.connectors import SimulatedTicketing
from affidavit.connectors._tables import sim_tickets
from affidavit.errors import InputError
from affidavit.store import Database
from tests.connectors._shared import make_request, rows


@pytest.fixture
def tickets(db: Database) -> SimulatedTicketing:
    return SimulatedTicketing(db)


def test_create_ticket(tickets: SimulatedTicketing, db: Database) -> None:
    request = make_request(
        "create_ticket",
        "host:pc-sales-0215",
        {"summary": "Reimage after containment", "queue": "desktop-ops", "priority": "high"},
        case="INC-9",
    )
    result = tickets.execute(request)
    [ticket] = rows(db, sim_tickets)
    assert result.external_ref == result.detail["ticket"] == f"SIM-{ticket['id']}"
    assert (ticket["queue"], ticket["priority"], ticket["status"], ticket["case_id"]) == (
        "desktop-ops",
        "high",
        "open",
        "INC-9",
    )
    assert tickets.execute(request) == result
    other = tickets.execute(make_request("create_ticket", "user:alice", {"summary": "Check MFA"}))
    assert other.external_ref != result.external_ref
    assert (other.detail["queue"], other.detail["priority"]) == ("soc", "medium")
    assert len(rows(db, sim_tickets)) == 2


@pytest.mark.parametrize(
    ("target", "params", "message"),
    [
        ("host:pc-1", {}, "summary"),
        ("host:pc-1", {"summary": ""}, "summary"),
        ("host:pc-1", {"summary": "s" * 201}, "summary"),
        ("host:pc-1", {"summary": "s", "queue": "bad queue"}, "queue"),
        ("host:pc-1", {"summary": "s", "priority": "whenever"}, "priority"),
        ("ip:192.0.2.1", {"summary": "s"}, "applies to case, host, user targets"),
    ],
)
def test_requests_ticketing_cannot_serve(
    tickets: SimulatedTicketing, db: Database, target: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        tickets.execute(make_request("create_ticket", target, params))
    assert rows(db, sim_tickets) == []
