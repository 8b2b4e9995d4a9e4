"""The Jira connector against a local Jira Cloud REST API v3 (issues, comments, JQL search).

Shapes follow Atlassian's v3 reference: ``POST /rest/api/3/issue`` with ``fields``
(ADF description) answering 201 ``{"id", "key", "self"}``, ``GET
/rest/api/3/search/jql``, issue comments with entity ``properties``, HTTP basic
auth with e-mail and API token, errors ``{"errorMessages", "errors"}``.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from affidavit.connectors.vendors import JiraConnector, VendorSettings
from affidavit.connectors.vendors.jira import SPEC
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

EMAIL = "soc-bot@acme.example"
TOKEN = "ATATT3xFfGF0PlantedJiraToken-9a8b7c6d"
BASIC = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
ISSUE = "/rest/api/3/issue"
COMMENTS = "/rest/api/3/issue/(?P<key>[^/]+)/comment"


def _errors(*messages: str, **fields: str) -> dict[str, Any]:
    return {"errorMessages": list(messages), "errors": fields}


@dataclass
class JiraFake(FakeVendor):
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(10000))

    def __post_init__(self) -> None:
        self.route("POST", ISSUE, self._create)
        self.route("GET", "/rest/api/3/search/jql", self._search)
        self.route("GET", COMMENTS, self._list_comments)
        self.route("POST", COMMENTS, self._comment)

    def _auth(self, call: Call) -> Answer | None:
        if call.headers.get("authorization") != BASIC:
            return reply(401, _errors("Client must be authenticated to access this resource."))
        return None

    def _create(self, call: Call, match: re.Match[str]) -> Answer:
        denied = self._auth(call)
        if denied:
            return denied
        fields = call.json()["fields"]
        if fields.get("project", {}).get("key") != "SOC":
            return reply(400, _errors(project="valid project is required"))
        if not fields.get("summary"):
            return reply(400, _errors(summary="You must specify a summary of the issue."))
        description = fields.get("description", {})
        if description.get("type") != "doc" or description.get("version") != 1:
            return reply(400, _errors(description="Operation value must be an Atlassian Document"))
        number = next(self._ids)
        key = f"SOC-{number - 9999}"
        self.issues[key] = {"id": str(number), "key": key, "fields": fields}
        return reply(201, {"id": str(number), "key": key, "self": f"{self.url}{ISSUE}/{number}"})

    def _search(self, call: Call, match: re.Match[str]) -> Answer:
        denied = self._auth(call)
        if denied:
            return denied
        label = re.fullmatch(r'labels = "([^"]+)"', call.arg("jql") or "")
        if label is None:
            return reply(400, _errors("Error in the JQL Query"))
        found = [
            {"id": i["id"], "key": i["key"]}
            for i in self.issues.values()
            if label[1] in i["fields"]["labels"]
        ]
        return reply(200, {"issues": found[: int(call.arg("maxResults") or 50)], "isLast": True})

    def _known(self, key: str) -> Answer | None:
        if key not in self.issues:
            return reply(
                404, _errors("Issue does not exist or you do not have permission to see it.")
            )
        return None

    def _list_comments(self, call: Call, match: re.Match[str]) -> Answer:
        refused = self._auth(call) or self._known(match["key"])
        if refused:
            return refused
        items = self.comments.get(match["key"], [])
        with_props = call.arg("expand") == "properties"
        shown = [
            c if with_props else {k: v for k, v in c.items() if k != "properties"} for c in items
        ]
        return reply(200, {"startAt": 0, "maxResults": 100, "total": len(items), "comments": shown})

    def _comment(self, call: Call, match: re.Match[str]) -> Answer:
        refused = self._auth(call) or self._known(match["key"])
        if refused:
            return refused
        body = call.json()
        comment = {
            "id": str(next(self._ids)),
            "body": body["body"],
            "properties": body.get("properties", []),
            "created": "2026-12-07T10:00:00.000+0000",
        }
        self.comments.setdefault(match["key"], []).append(comment)
        return reply(201, {k: v for k, v in comment.items() if k != "properties"})


@pytest.fixture
def jira() -> Iterator[JiraFake]:
    fake = JiraFake()
    fake.start()
    yield fake
    fake.stop()


def connector(db: Database, url: str, sleeps: Sleeps, **extra: Any) -> JiraConnector:
    section = {
        "site_url": url,
        "email": EMAIL,
        "api_token_env": "JIRA_TOKEN",
        "project_key": "SOC",
        **extra,
    }
    return JiraConnector(
        VendorSettings.parse(SPEC, section), db, environ={"JIRA_TOKEN": TOKEN}, sleep=sleeps
    )


def ticket(**params: Any) -> Any:
    return make_request(
        "create_ticket", "host:pc-sales-0215", {"summary": "Reimage pc-sales-0215", **params}
    )


def test_create_ticket_posts_an_issue_with_its_execution_label(
    db: Database, jira: JiraFake, sleeps: Sleeps
) -> None:
    request = ticket(priority="urgent", queue="desktop")
    result = connector(db, jira.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    assert result.external_ref == "SOC-1"
    assert result.detail == {"issue": "SOC-1", "issue_id": "10000", "changed": True}
    [post] = jira.calls_to("POST", ISSUE)
    assert post.headers["authorization"] == BASIC
    fields = post.json()["fields"]
    assert fields["project"] == {"key": "SOC"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["priority"] == {"name": "Highest"}
    assert fields["labels"] == [
        "affidavit",
        f"affidavit-{request.execution_id}",
        "affidavit-queue-desktop",
    ]
    text = fields["description"]["content"][0]["content"][0]["text"]
    assert text == "Opened by Affidavit for host:pc-sales-0215 in case case-1."
    [search] = jira.calls_to("GET", "/rest/api/3/search/jql")
    assert search.arg("jql") == f'labels = "affidavit-{request.execution_id}"'


def test_an_issue_created_before_a_timeout_is_found_by_its_label(
    db: Database, jira: JiraFake, sleeps: Sleeps
) -> None:
    jira.fault("POST", ISSUE, apply_then(status(504, b"Gateway Timeout")))
    result = connector(db, jira.url, sleeps).execute(ticket())
    assert result.status == "succeeded", result.detail
    assert list(jira.issues) == ["SOC-1"]


def test_update_ticket_comments_once(db: Database, jira: JiraFake, sleeps: Sleeps) -> None:
    connector(db, jira.url, sleeps).execute(ticket())
    jira.fault("POST", COMMENTS, apply_then(status(500, _errors("Internal server error"))))
    request = make_request(
        "update_ticket", "ticket:SOC-1", {"comment": "Host isolated.\nNext: reimage."}
    )
    result = connector(db, jira.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    [comment] = jira.comments["SOC-1"]
    assert comment["properties"] == [
        {"key": "affidavit", "value": {"execution": request.execution_id}}
    ]
    assert [p["content"][0]["text"] for p in comment["body"]["content"]] == [
        "Host isolated.",
        "Next: reimage.",
    ]
    assert result.detail["comment"] == comment["id"]


def test_jira_s_validation_errors_are_reported(
    db: Database, jira: JiraFake, sleeps: Sleeps
) -> None:
    result = connector(db, jira.url, sleeps, project_key="OPS").execute(ticket())
    assert_failed(
        result, "http_status", "Jira answered HTTP 400: project: valid project is required"
    )
    missing = make_request("update_ticket", "ticket:SOC-404", {"comment": "x"})
    result = connector(db, jira.url, sleeps).execute(missing)
    assert_failed(result, "http_status", "Issue does not exist")


def test_the_token_and_basic_header_stay_out_of_results_and_logs(
    db: Database, jira: JiraFake, sleeps: Sleeps, debug_logs: pytest.LogCaptureFixture
) -> None:
    jira.fault("GET", "/rest/api/3/search/jql", status(403, _errors(f"denied for {BASIC}")))
    failed = connector(db, jira.url, sleeps).execute(ticket())
    assert_failed(failed, "auth", "<redacted>")
    ok = connector(db, jira.url, sleeps).execute(ticket())
    for result in (failed, ok):
        assert_secret_absent([TOKEN, BASIC.split()[1]], result, debug_logs)


@pytest.mark.parametrize(
    ("action", "target", "params", "words"),
    [
        ("create_ticket", "host:pc-1", {}, "needs the parameter summary"),
        ("create_ticket", "host:pc-1", {"summary": "x", "priority": "p0"}, "priority must be"),
        ("update_ticket", "ticket:soc-1", {"comment": "x"}, "Jira issue key"),
        ("update_ticket", "ticket:SOC-1/../../x", {"comment": "x"}, "Jira issue key"),
        ("update_ticket", "ticket:SOC-1", {}, "needs the parameter comment"),
    ],
)
def test_requests_it_cannot_serve(
    db: Database,
    jira: JiraFake,
    sleeps: Sleeps,
    action: str,
    target: str,
    params: dict[str, Any],
    words: str,
) -> None:
    with pytest.raises(InputError, match=words):
        connector(db, jira.url, sleeps).execute(make_request(action, target, params))
    assert jira.calls == []


@pytest.mark.parametrize("trouble", ["down", "garbage", "timeout", "throttled", "5xx"])
def test_bad_upstream_is_a_failed_result(
    db: Database, jira: JiraFake, sleeps: Sleeps, trouble: str
) -> None:
    url = jira.url
    search = "/rest/api/3/search/jql"
    if trouble == "down":
        url = closed_port_url()
    elif trouble == "garbage":
        jira.fault("GET", search, status(200, b"<!DOCTYPE html><title>Atlassian</title>"))
    elif trouble == "timeout":
        jira.fault("GET", search, HANG, HANG)
    elif trouble == "throttled":
        jira.fault("GET", search, status(429, b"", {"Retry-After": "900"}))
    else:
        jira.fault("GET", search, status(503, b""), status(503, b""))
    result = connector(db, url, sleeps, timeout_s=0.2, max_attempts=2).execute(ticket())
    assert result.status == "failed"
    assert "Jira" in result.detail["error"]
    assert jira.issues == {}
