"""The ServiceNow connector against a local Table API (incident, sys_journal_field).

Shapes follow ServiceNow's Table API: ``POST /api/now/table/incident`` answering
201 ``{"result": {...}}``, ``GET`` with ``sysparm_query``/``sysparm_fields``/
``sysparm_limit`` answering ``{"result": [...]}``, ``PATCH`` of ``work_notes``
(appended to the journal), HTTP basic auth, and errors ``{"error": {"message",
"detail"}, "status": "failure"}``.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from affidavit.connectors.vendors import ServiceNowConnector, VendorSettings
from affidavit.connectors.vendors.servicenow import SPEC
from affidavit.errors import InputError
from affidavit.store import Database
from tests.connectors._shared import make_request
from tests.connectors.vendors._checks import assert_failed, assert_secret_absent
from tests.connectors.vendors._fake import (
    HANG,
    Answer,
    Call,
    FakeVendor,
    Sleeps,
    apply_then,
    closed_port_url,
    reply,
    status,
)

USER = "svc.affidavit"
PASSWORD = "Sn0w-Planted-Passw0rd!#long-enough"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
INCIDENTS = "/api/now/table/incident"
JOURNAL = "/api/now/table/sys_journal_field"


def _failure(message: str, detail: str = "") -> dict[str, Any]:
    return {"error": {"message": message, "detail": detail}, "status": "failure"}


@dataclass
class ServiceNowFake(FakeVendor):
    incidents: list[dict[str, Any]] = field(default_factory=list)
    journal: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(10001))

    def __post_init__(self) -> None:
        self.route("POST", INCIDENTS, self._create)
        self.route("GET", INCIDENTS, self._query_incidents)
        self.route("PATCH", INCIDENTS + "/(?P<sys_id>[0-9a-f]{32})", self._patch)
        self.route("GET", JOURNAL, self._query_journal)

    def _auth(self, call: Call) -> Answer | None:
        if call.headers.get("authorization") != BASIC:
            return reply(
                401, _failure("User Not Authenticated", "Required to provide Auth information")
            )
        return None

    def _create(self, call: Call, match: re.Match[str]) -> Answer:
        denied = self._auth(call)
        if denied:
            return denied
        n = next(self._ids)
        row = {"sys_id": f"{n:032x}", "number": f"INC{n:07d}", "state": "1", **call.json()}
        self.incidents.append(row)
        return reply(201, {"result": row})

    @staticmethod
    def _matches(row: dict[str, Any], query: str) -> bool:
        for term in query.split("^"):
            name, op, value = re.fullmatch(r"(\w+?)(LIKE|=)(.*)", term).groups()  # type: ignore[union-attr]
            have = str(row.get(name, ""))
            if (op == "=" and have != value) or (op == "LIKE" and value not in have):
                return False
        return True

    def _select(self, call: Call, rows: list[dict[str, Any]]) -> Answer:
        denied = self._auth(call)
        if denied:
            return denied
        query = call.arg("sysparm_query") or ""
        fields = (call.arg("sysparm_fields") or "").split(",")
        found = [{f: r.get(f, "") for f in fields} for r in rows if self._matches(r, query)]
        return reply(200, {"result": found[: int(call.arg("sysparm_limit") or 10000)]})

    def _query_incidents(self, call: Call, match: re.Match[str]) -> Answer:
        return self._select(call, self.incidents)

    def _query_journal(self, call: Call, match: re.Match[str]) -> Answer:
        return self._select(call, self.journal)

    def _patch(self, call: Call, match: re.Match[str]) -> Answer:
        denied = self._auth(call)
        if denied:
            return denied
        row = next((r for r in self.incidents if r["sys_id"] == match["sys_id"]), None)
        if row is None:
            return reply(404, _failure("No Record found", "Record doesn't exist or ACL restricts"))
        note = call.json()["work_notes"]
        self.journal.append(
            {
                "sys_id": f"{next(self._ids):032x}",
                "element_id": row["sys_id"],
                "element": "work_notes",
                "value": note,
            }
        )
        return reply(200, {"result": row})


@pytest.fixture
def snow() -> Iterator[ServiceNowFake]:
    fake = ServiceNowFake()
    fake.start()
    yield fake
    fake.stop()


def connector(db: Database, url: str, sleeps: Sleeps, **extra: Any) -> ServiceNowConnector:
    section = {
        "instance_url": url,
        "username": USER,
        "password_env": "SN_PASSWORD",
        "assignment_group": "SOC L2",
        **extra,
    }
    return ServiceNowConnector(
        VendorSettings.parse(SPEC, section), db, environ={"SN_PASSWORD": PASSWORD}, sleep=sleeps
    )


def ticket(**params: Any) -> Any:
    return make_request("create_ticket", "user:jdoe", {"summary": "Reset MFA for jdoe", **params})


def test_an_incident_carries_the_execution_id_as_correlation_id(
    db: Database, snow: ServiceNowFake, sleeps: Sleeps
) -> None:
    request = ticket(priority="high")
    result = connector(db, snow.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    assert result.external_ref == "INC0010001"
    [post] = snow.calls_to("POST", INCIDENTS)
    assert post.headers["authorization"] == BASIC
    body = post.json()
    assert body["correlation_id"] == request.execution_id
    assert body["correlation_display"] == "Affidavit"
    assert (body["urgency"], body["impact"]) == ("1", "2")
    assert body["assignment_group"] == "SOC L2"
    assert body["short_description"] == "Reset MFA for jdoe"
    [lookup] = snow.calls_to("GET", INCIDENTS)
    assert lookup.arg("sysparm_query") == f"correlation_id={request.execution_id}"
    assert lookup.arg("sysparm_limit") == "1"


def test_an_incident_created_before_a_dropped_answer_is_found_not_duplicated(
    db: Database, snow: ServiceNowFake, sleeps: Sleeps
) -> None:
    snow.fault("POST", INCIDENTS, apply_then(status(503, _failure("Service Unavailable"))))
    result = connector(db, snow.url, sleeps).execute(ticket())
    assert result.status == "succeeded", result.detail
    assert len(snow.incidents) == 1


def test_a_work_note_is_added_once(db: Database, snow: ServiceNowFake, sleeps: Sleeps) -> None:
    connector(db, snow.url, sleeps).execute(ticket())
    snow.fault("PATCH", INCIDENTS + "/.*", apply_then(HANG))
    request = make_request("update_ticket", "ticket:INC0010001", {"comment": "Sessions revoked."})
    result = connector(db, snow.url, sleeps, timeout_s=0.3).execute(request)
    assert result.status == "succeeded", result.detail
    [note] = snow.journal
    assert note["value"] == f"Sessions revoked.\n\naffidavit-execution:{request.execution_id}"
    assert result.detail == {
        "incident": "INC0010001",
        "sys_id": snow.incidents[0]["sys_id"],
        "changed": True,
    }


def test_an_unknown_incident(db: Database, snow: ServiceNowFake, sleeps: Sleeps) -> None:
    request = make_request("update_ticket", "ticket:INC0099999", {"comment": "x"})
    result = connector(db, snow.url, sleeps).execute(request)
    assert_failed(result, "not_found", "ServiceNow has no incident INC0099999")


def test_the_password_stays_out_of_results_and_logs(
    db: Database, snow: ServiceNowFake, sleeps: Sleeps, debug_logs: pytest.LogCaptureFixture
) -> None:
    snow.fault("GET", INCIDENTS, status(401, _failure("User Not Authenticated", f"{PASSWORD}")))
    failed = connector(db, snow.url, sleeps).execute(ticket())
    assert_failed(
        failed, "auth", "ServiceNow answered HTTP 401: User Not Authenticated (<redacted>)"
    )
    ok = connector(db, snow.url, sleeps).execute(ticket())
    for result in (failed, ok):
        assert_secret_absent([PASSWORD, BASIC.split()[1]], result, debug_logs)


@pytest.mark.parametrize(
    ("target", "params", "words"),
    [
        ("ticket:INC001^ORDERBYnumber", {"comment": "x"}, "incident number"),
        ("ticket:inc0010001", {"comment": "x"}, "incident number"),
        ("ticket:INC0010001", {}, "needs the parameter comment"),
    ],
)
def test_requests_it_cannot_serve(
    db: Database,
    snow: ServiceNowFake,
    sleeps: Sleeps,
    target: str,
    params: dict[str, Any],
    words: str,
) -> None:
    with pytest.raises(InputError, match=words):
        connector(db, snow.url, sleeps).execute(make_request("update_ticket", target, params))
    assert snow.calls == []


@pytest.mark.parametrize("trouble", ["down", "garbage", "timeout", "throttled", "wrong shape"])
def test_bad_upstream_is_a_failed_result(
    db: Database, snow: ServiceNowFake, sleeps: Sleeps, trouble: str
) -> None:
    url = snow.url
    if trouble == "down":
        url = closed_port_url()
    elif trouble == "garbage":
        snow.fault("GET", INCIDENTS, status(200, b"<?xml version='1.0'?><response/>"))
    elif trouble == "timeout":
        snow.fault("GET", INCIDENTS, HANG, HANG)
    elif trouble == "throttled":
        snow.fault("GET", INCIDENTS, status(429, b"", {"Retry-After": "900"}))
    else:
        snow.fault("GET", INCIDENTS, status(200, {"result": {"not": "a list"}}))
    result = connector(db, url, sleeps, timeout_s=0.2, max_attempts=2).execute(ticket())
    assert result.status == "failed"
    assert "ServiceNow" in result.detail["error"]
    assert snow.incidents == []
