"""The TheHive connector against a local TheHive 5 API (cases, comments, tasks, the query API).

Shapes follow TheHive 5's API: ``POST /api/v1/case/{id}/comment`` and ``/task``
answering 201 with the created object (``_id``, ``_type``, ...), ``GET`` and
``PATCH /api/v1/case/{id}`` (204), ``POST /api/v1/query`` with a list of query
operations answering a JSON array, ``Authorization: Bearer <API key>``,
``X-Organisation``, and errors ``{"type", "message"}``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from affidavit.connectors.vendors import TheHiveConnector, VendorSettings
from affidavit.connectors.vendors.thehive import SPEC
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

API_KEY = "TheHivePlantedApiKey+abc123XYZ/789=="
CASE = "~123456"
CASE_PATH = "/api/v1/case/(?P<id>[^/]+)"


@dataclass
class TheHiveFake(FakeVendor):
    case: dict[str, Any] = field(
        default_factory=lambda: {
            "_id": CASE,
            "_type": "Case",
            "number": 7,
            "title": "Phishing wave",
            "severity": 2,
            "status": "New",
            "tags": ["phishing"],
            "summary": "",
        }
    )
    comments: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    patches: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(41000))

    def __post_init__(self) -> None:
        self.route("POST", CASE_PATH + "/comment", self._comment)
        self.route("POST", CASE_PATH + "/task", self._task)
        self.route("GET", CASE_PATH, self._get)
        self.route("PATCH", CASE_PATH, self._patch)
        self.route("POST", "/api/v1/query", self._query)

    def _check(self, call: Call, case: str | None) -> Answer | None:
        if call.headers.get("authorization") != f"Bearer {API_KEY}":
            return reply(401, {"type": "AuthenticationError", "message": "Authentication failure"})
        if call.headers.get("x-organisation") != "SOC":
            return reply(403, {"type": "AuthorizationError", "message": "Organisation not found"})
        if case is not None and case not in (CASE, "7"):
            return reply(404, {"type": "NotFoundError", "message": f"Case {case} not found"})
        return None

    def _new(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {
            "_id": f"~{next(self._ids)}",
            "_type": kind,
            "_createdBy": "affidavit@soc",
            "_createdAt": 1765000000000,
            **fields,
        }

    def _comment(self, call: Call, match: re.Match[str]) -> Answer:
        refused = self._check(call, match["id"])
        if refused:
            return refused
        comment = self._new("Comment", message=call.json()["message"], isEdited=False)
        self.comments.insert(0, comment)
        return reply(201, comment)

    def _task(self, call: Call, match: re.Match[str]) -> Answer:
        refused = self._check(call, match["id"])
        if refused:
            return refused
        body = call.json()
        if not body.get("title"):
            return reply(400, {"type": "BadRequest", "message": "title is missing"})
        task = self._new("Task", status="Waiting", flag=False, **body)
        self.tasks.insert(0, task)
        return reply(201, task)

    def _get(self, call: Call, match: re.Match[str]) -> Answer:
        return self._check(call, match["id"]) or reply(200, self.case)

    def _patch(self, call: Call, match: re.Match[str]) -> Answer:
        refused = self._check(call, match["id"])
        if refused:
            return refused
        self.patches.append(call.json())
        self.case.update(call.json())
        return 204, {}, b""

    def _query(self, call: Call, match: re.Match[str]) -> Answer:
        refused = self._check(call, None)
        if refused:
            return refused
        ops = call.json()["query"]
        assert ops[0]["_name"] == "getCase"
        if ops[0]["idOrName"] not in (CASE, "7"):
            return reply(404, {"type": "NotFoundError", "message": "Case not found"})
        items = self.comments if ops[1]["_name"] == "comments" else self.tasks
        page = next(op for op in ops if op["_name"] == "page")
        return reply(200, items[page["from"] : page["to"]])


@pytest.fixture
def hive() -> Iterator[TheHiveFake]:
    fake = TheHiveFake()
    fake.start()
    yield fake
    fake.stop()


def connector(db: Database, url: str, sleeps: Sleeps, **extra: Any) -> TheHiveConnector:
    section = {"url": url, "api_key_env": "HIVE_KEY", "organisation": "SOC", **extra}
    return TheHiveConnector(
        VendorSettings.parse(SPEC, section), db, environ={"HIVE_KEY": API_KEY}, sleep=sleeps
    )


def note(text: str = "Mailbox quarantine done.", **kwargs: Any) -> Any:
    return make_request("add_case_note", f"case:{CASE}", {"text": text}, **kwargs)


def test_a_note_is_a_comment_that_names_the_execution(
    db: Database, hive: TheHiveFake, sleeps: Sleeps
) -> None:
    request = note()
    result = connector(db, hive.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    [comment] = hive.comments
    assert comment["message"] == (
        f"Mailbox quarantine done.\n\n_affidavit-execution:{request.execution_id}_"
    )
    assert result.detail == {"case": CASE, "comment": comment["_id"], "changed": True}
    [post] = hive.calls_to("POST", CASE_PATH + "/comment")
    assert post.headers["authorization"] == f"Bearer {API_KEY}"
    assert post.headers["x-organisation"] == "SOC"
    assert post.raw_path == "/api/v1/case/~123456/comment"
    [query] = hive.calls_to("POST", "/api/v1/query")
    assert query.json()["query"][:2] == [
        {"_name": "getCase", "idOrName": CASE},
        {"_name": "comments"},
    ]


def test_a_note_found_by_its_marker_is_not_added_again(
    db: Database, hive: TheHiveFake, sleeps: Sleeps
) -> None:
    hive.fault("POST", CASE_PATH + "/comment", apply_then(status(503, b"")))
    result = connector(db, hive.url, sleeps).execute(note())
    assert result.status == "succeeded", result.detail
    assert len(hive.comments) == 1


def test_create_task(db: Database, hive: TheHiveFake, sleeps: Sleeps) -> None:
    request = make_request(
        "create_case_task", "case:7", {"title": "Reset VPN credentials", "description": "All 12"}
    )
    result = connector(db, hive.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    [task] = hive.tasks
    assert task["title"] == "Reset VPN credentials"
    assert task["group"] == "affidavit"
    assert task["description"].endswith(f"_affidavit-execution:{request.execution_id}_")
    assert result.external_ref == task["_id"]


def test_a_task_that_timed_out_but_exists_is_not_created_twice(
    db: Database, hive: TheHiveFake, sleeps: Sleeps
) -> None:
    hive.fault("POST", CASE_PATH + "/task", apply_then(HANG))
    request = make_request("create_case_task", f"case:{CASE}", {"title": "Collect triage"})
    result = connector(db, hive.url, sleeps, timeout_s=0.3).execute(request)
    assert result.status == "succeeded", result.detail
    assert len(hive.tasks) == 1


def test_update_case_records_the_values_before(
    db: Database, hive: TheHiveFake, sleeps: Sleeps
) -> None:
    request = make_request(
        "update_case", f"case:{CASE}", {"status": "TruePositive", "severity": 3, "tags": ["bec"]}
    )
    result = connector(db, hive.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    assert hive.patches == [{"status": "TruePositive", "severity": 3, "tags": ["bec"]}]
    assert result.detail["previous"] == {"status": "New", "severity": 2, "tags": ["phishing"]}
    assert result.detail["changed"] is True
    again = make_request("update_case", f"case:{CASE}", {"status": "TruePositive", "severity": 3})
    assert connector(db, hive.url, sleeps).execute(again).detail["changed"] is False
    assert len(hive.patches) == 1


def test_a_patch_answered_500_is_repeated(db: Database, hive: TheHiveFake, sleeps: Sleeps) -> None:
    hive.fault("PATCH", CASE_PATH, status(500, {"type": "InternalError", "message": "db"}))
    request = make_request("update_case", f"case:{CASE}", {"severity": 4})
    result = connector(db, hive.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    assert hive.case["severity"] == 4


def test_an_unknown_case(db: Database, hive: TheHiveFake, sleeps: Sleeps) -> None:
    result = connector(db, hive.url, sleeps).execute(
        make_request("add_case_note", "case:~999", {"text": "x"})
    )
    assert_failed(
        result, "http_status", "TheHive answered HTTP 404 (NotFoundError): Case not found"
    )


def test_the_api_key_stays_out_of_results_and_logs(
    db: Database, hive: TheHiveFake, sleeps: Sleeps, debug_logs: pytest.LogCaptureFixture
) -> None:
    hive.fault(
        "POST",
        "/api/v1/query",
        status(401, {"type": "AuthenticationError", "message": f"bad key {API_KEY}"}),
    )
    failed = connector(db, hive.url, sleeps).execute(note())
    assert_failed(failed, "auth", "<redacted>")
    ok = connector(db, hive.url, sleeps).execute(note())
    for result in (failed, ok):
        assert_secret_absent([API_KEY], result, debug_logs)


@pytest.mark.parametrize(
    ("action", "target", "params", "words"),
    [
        ("add_case_note", "case:~12/../admin", {"text": "x"}, "a TheHive case is its id"),
        ("add_case_note", f"case:{CASE}", {}, "needs the parameter text"),
        (
            "create_case_task",
            f"case:{CASE}",
            {"description": "no title"},
            "needs the parameter title",
        ),
        ("update_case", f"case:{CASE}", {}, "at least one of"),
        ("update_case", f"case:{CASE}", {"status": "Closed"}, "status must be one of"),
        ("update_case", f"case:{CASE}", {"severity": 9}, "between 1 and 4"),
    ],
)
def test_requests_it_cannot_serve(
    db: Database,
    hive: TheHiveFake,
    sleeps: Sleeps,
    action: str,
    target: str,
    params: dict[str, Any],
    words: str,
) -> None:
    with pytest.raises(InputError, match=words):
        connector(db, hive.url, sleeps).execute(make_request(action, target, params))
    assert hive.calls == []


@pytest.mark.parametrize("trouble", ["down", "garbage", "timeout", "throttled", "not a list"])
def test_bad_upstream_is_a_failed_result(
    db: Database, hive: TheHiveFake, sleeps: Sleeps, trouble: str
) -> None:
    url = hive.url
    if trouble == "down":
        url = closed_port_url()
    elif trouble == "garbage":
        hive.fault("POST", "/api/v1/query", status(200, b"{'python': 'repr'}"))
    elif trouble == "timeout":
        hive.fault("POST", "/api/v1/query", HANG, HANG)
    elif trouble == "throttled":
        hive.fault("POST", "/api/v1/query", status(429, b"", {"Retry-After": "900"}))
    else:
        hive.fault("POST", "/api/v1/query", status(200, {"comments": []}))
    result = connector(db, url, sleeps, timeout_s=0.2, max_attempts=2).execute(note())
    assert result.status == "failed"
    assert "TheHive" in result.detail["error"]
    assert hive.comments == []
