"""The Okta connector against a local Okta Users API (documented shapes, real loopback HTTP).

This module also exercises the HTTP layer every vendor connector shares:
Retry-After and reset headers, backoff, 5xx, timeouts, dropped connections,
garbage, oversized answers, redirects, and credentials kept out of everything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import pytest

from affidavit.connectors import ActionResult, ConnectorContext, load_connectors
from affidavit.connectors.vendors import OktaConnector, VendorSettings
from affidavit.connectors.vendors.okta import SPEC
from affidavit.errors import ConfigError, Conflict, InputError
from affidavit.store import Database
from tests.connectors._shared import START, Clock, make_request
from tests.connectors.vendors._checks import assert_failed, assert_secret_absent
from tests.connectors.vendors._fake import (
    DROP,
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

TOKEN = "00Okta-planted-api-token-7Hq2LxZ9wR"
USERS = "/api/v1/users/(?P<id>[^/]+)"


def _error(code: str, summary: str) -> dict[str, Any]:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oaeKq3yPpLxS1aZb2c3d4e5f",
        "errorCauses": [],
    }


@dataclass
class OktaFake(FakeVendor):
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions_cleared: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.route("GET", USERS, self._get)
        self.route("POST", USERS + "/lifecycle/suspend", self._suspend)
        self.route("DELETE", USERS + "/sessions", self._sessions)

    def add(self, okta_id: str, login: str, state: str = "ACTIVE") -> None:
        self.users[okta_id] = {
            "id": okta_id,
            "status": state,
            "created": "2025-01-01T00:00:00.000Z",
            "profile": {"login": login, "email": login, "firstName": "Isaac"},
            "_links": {"self": {"href": f"{self.url}/api/v1/users/{okta_id}"}},
        }

    def _find(self, ident: str) -> dict[str, Any] | None:
        for user in self.users.values():
            if ident in (user["id"], user["profile"]["login"]):
                return user
        return None

    def _auth(self, call: Call) -> Answer | None:
        if call.headers.get("authorization") != f"SSWS {TOKEN}":
            return reply(401, _error("E0000011", "Invalid token provided"))
        return None

    def _get(self, call: Call, match: re.Match[str]) -> Answer:
        denied = self._auth(call)
        if denied:
            return denied
        user = self._find(match["id"])
        if user is None:
            return reply(
                404, _error("E0000007", f"Not found: Resource not found: {match['id']} (User)")
            )
        return reply(200, user)

    def _suspend(self, call: Call, match: re.Match[str]) -> Answer:
        denied = self._auth(call)
        if denied:
            return denied
        user = self._find(match["id"])
        if user is None:
            return reply(404, _error("E0000007", "Not found: Resource not found (User)"))
        if user["status"] != "ACTIVE":
            body = _error("E0000001", "Api validation failed: suspend")
            body["errorCauses"] = [{"errorSummary": "Cannot suspend a user that is not active"}]
            return reply(400, body)
        user["status"] = "SUSPENDED"
        return reply(200, {})

    def _sessions(self, call: Call, match: re.Match[str]) -> Answer:
        denied = self._auth(call)
        if denied:
            return denied
        user = self._find(match["id"])
        if user is None:
            return reply(404, _error("E0000007", "Not found: Resource not found (User)"))
        self.sessions_cleared.append(user["id"])
        return 204, {}, b""


@pytest.fixture
def okta() -> Iterator[OktaFake]:
    fake = OktaFake()
    fake.start()
    fake.add("00ub0oNGTSWTBKOLGLNR", "isaac.brock@example.com")
    yield fake
    fake.stop()


def connector(
    db: Database, url: str, sleeps: Sleeps, clock: Clock | None = None, **extra: Any
) -> OktaConnector:
    section = {"org_url": url, "api_token_env": "OKTA_TOKEN", "retry_base_s": 0.25, **extra}
    return OktaConnector(
        VendorSettings.parse(SPEC, section),
        db,
        environ={"OKTA_TOKEN": TOKEN},
        sleep=sleeps,
        clock=clock or Clock(),
    )


def suspend(user: str = "isaac.brock@example.com", **kwargs: Any) -> Any:
    return make_request("disable_account", f"user:{user}", **kwargs)


# ---- the documented flow ------------------------------------------------------


def test_suspend_reads_the_user_then_suspends_with_the_api_token(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert result.status == "succeeded", result.detail
    assert result.detail == {
        "user": "00ub0oNGTSWTBKOLGLNR",
        "status": "SUSPENDED",
        "changed": True,
        "previous": {"status": "ACTIVE"},
    }
    assert result.external_ref == "00ub0oNGTSWTBKOLGLNR"
    get, post = okta.calls
    assert (get.method, get.raw_path) == ("GET", "/api/v1/users/isaac.brock%40example.com")
    assert (post.method, post.path) == (
        "POST",
        "/api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/suspend",
    )
    assert post.headers["authorization"] == f"SSWS {TOKEN}"
    assert post.headers["accept"] == "application/json"
    assert okta.users["00ub0oNGTSWTBKOLGLNR"]["status"] == "SUSPENDED"


def test_a_suspended_user_is_left_alone(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    okta.users["00ub0oNGTSWTBKOLGLNR"]["status"] = "SUSPENDED"
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert result.status == "succeeded"
    assert result.detail["changed"] is False
    assert okta.calls_to("POST", ".*suspend") == []


@pytest.mark.parametrize("state", ["DEPROVISIONED", "STAGED", "PROVISIONED"])
def test_a_user_okta_cannot_suspend_is_a_clear_failure(
    db: Database, okta: OktaFake, sleeps: Sleeps, state: str
) -> None:
    okta.users["00ub0oNGTSWTBKOLGLNR"]["status"] = state
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert_failed(
        result, "state", f"Okta suspends only ACTIVE users; user 00ub0oNGTSWTBKOLGLNR is {state}"
    )
    assert okta.calls_to("POST", ".*suspend") == []


def test_the_same_execution_runs_once(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    conn = connector(db, okta.url, sleeps)
    request = suspend()
    first = conn.execute(request)
    calls = len(okta.calls)
    assert conn.execute(request) == first
    assert len(okta.calls) == calls, "a repeated execution id reached Okta"
    # Another Affidavit process (a fresh connector on the same database) agrees.
    assert connector(db, okta.url, sleeps).execute(request) == first
    assert len(okta.calls) == calls


def test_suspension_answered_5xx_after_taking_effect_is_checked_not_repeated(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    okta.fault("POST", ".*/lifecycle/suspend", apply_then(status(503, b"upstream reset")))
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert result.status == "succeeded", result.detail
    assert result.detail["changed"] is True
    assert result.detail["previous"] == {"status": "ACTIVE"}
    assert len(okta.calls_to("POST", ".*suspend")) == 1, "the suspension was sent twice"
    assert sleeps.waits == [0.25]


def test_clear_sessions_revokes_oauth_tokens_too(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    request = make_request("revoke_sessions", "user:00ub0oNGTSWTBKOLGLNR")
    result = connector(db, okta.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    assert result.detail["sessions_cleared"] is True
    [delete] = okta.calls_to("DELETE", USERS + "/sessions")
    assert delete.arg("oauthTokens") == "true"
    assert okta.sessions_cleared == ["00ub0oNGTSWTBKOLGLNR"]


def test_clear_sessions_is_repeated_on_5xx(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    okta.fault("DELETE", USERS + "/sessions", status(502, b"bad gateway"), status(500))
    request = make_request("revoke_sessions", "user:00ub0oNGTSWTBKOLGLNR")
    result = connector(db, okta.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    assert len(okta.calls_to("DELETE", USERS + "/sessions")) == 3
    assert sleeps.waits == [0.25, 0.5]


def test_an_unknown_user_fails_with_okta_s_words(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    result = connector(db, okta.url, sleeps).execute(suspend("nobody@example.com"))
    assert_failed(result, "http_status", "Okta answered HTTP 404 (E0000007): Not found")
    assert result.detail["status_code"] == 404
    assert result.detail["vendor_error_code"] == "E0000007"


# ---- rate limits and retries ------------------------------------------------------


def test_429_waits_as_retry_after_says(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    limited = _error("E0000047", "API call exceeded rate limit due to too many requests.")
    okta.fault("GET", USERS, status(429, limited, {"Retry-After": "7"}))
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert result.status == "succeeded", result.detail
    assert sleeps.waits == [7.0]


def test_429_waits_until_the_okta_reset_time(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    headers = {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0"}
    headers["X-Rate-Limit-Reset"] = str(int(START) + 12)
    okta.fault("GET", USERS, status(429, _error("E0000047", "rate limit"), headers))
    result = connector(db, okta.url, sleeps, Clock(START)).execute(suspend())
    assert result.status == "succeeded", result.detail
    assert sleeps.waits == [12.0]


def test_429_with_an_http_date(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    when = formatdate(START + 30, usegmt=True)
    okta.fault("GET", USERS, status(429, b"", {"Retry-After": when}))
    result = connector(db, okta.url, sleeps, Clock(START)).execute(suspend())
    assert result.status == "succeeded", result.detail
    assert sleeps.waits == [30.0]


def test_a_wait_longer_than_max_wait_fails_at_once(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    okta.fault("GET", USERS, status(429, b"", {"Retry-After": "3600"}))
    result = connector(db, okta.url, sleeps, max_wait_s=60).execute(suspend())
    assert_failed(result, "rate_limited", "asks to wait 3600 s, more than max_wait_s (60 s)")
    assert sleeps.waits == []


def test_persistent_429_gives_up_after_max_attempts(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    okta.fault("GET", USERS, *[status(429, b"", {"Retry-After": "1"})] * 5)
    result = connector(db, okta.url, sleeps, max_attempts=3).execute(suspend())
    assert_failed(result, "rate_limited", "Okta answered HTTP 429")
    assert result.detail["attempts"] == 3
    assert sleeps.waits == [1.0, 1.0]


def test_persistent_5xx_on_a_read_backs_off_exponentially(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    okta.fault("GET", USERS, *[status(503, b"<html>maintenance</html>")] * 4)
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert_failed(result, "http_status", "Okta answered HTTP 503")
    assert result.detail["attempts"] == 4
    assert sleeps.waits == [0.25, 0.5, 1.0]


# ---- bad upstream: down, garbage, timeouts -------------------------------------


def test_okta_down_is_a_failed_result(db: Database, sleeps: Sleeps) -> None:
    result = connector(db, closed_port_url(), sleeps, max_attempts=2).execute(suspend())
    assert_failed(result, "connect", "could not connect to Okta")
    assert sleeps.waits == [0.25]


@pytest.mark.parametrize(
    "body",
    [b"<html>not json</html>", b"", b"[1, 2", b'"a string"', b"\xff\xfe\x00garbage"],
)
def test_garbage_is_a_failed_result(
    db: Database, okta: OktaFake, sleeps: Sleeps, body: bytes
) -> None:
    okta.fault("GET", USERS, status(200, body))
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert_failed(result, "garbage", "Okta answered HTTP 200")


def test_json_of_the_wrong_shape_is_a_failed_result(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    okta.fault("GET", USERS, status(200, {"id": 12, "status": None}))
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert_failed(result, "garbage", "a user without an id or status")


def test_a_read_that_times_out_is_retried_then_fails(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    okta.fault("GET", USERS, HANG, HANG)
    result = connector(db, okta.url, sleeps, timeout_s=0.2, max_attempts=2).execute(suspend())
    assert_failed(result, "timeout", "Okta did not answer within 0.2 s")


def test_a_suspension_that_times_out_is_checked_before_another_try(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    okta.fault("POST", ".*/lifecycle/suspend", HANG)
    result = connector(db, okta.url, sleeps, timeout_s=0.3).execute(suspend())
    assert result.status == "succeeded", result.detail
    assert len(okta.calls_to("POST", ".*suspend")) == 2  # nothing was applied the first time
    assert len(okta.calls_to("GET", USERS)) == 2


def test_a_dropped_connection_is_a_failed_result(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    okta.fault("GET", USERS, DROP, DROP)
    result = connector(db, okta.url, sleeps, max_attempts=2).execute(suspend())
    assert result.status == "failed"
    assert result.detail["error_kind"] in ("transport", "connect")


def test_an_oversized_answer_is_not_read(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    okta.fault("GET", USERS, status(200, b'{"pad": "' + b"x" * 5000 + b'"}'))
    result = connector(db, okta.url, sleeps, max_response_bytes=1024).execute(suspend())
    assert_failed(result, "oversized", "more than 1024 bytes")


def test_a_redirect_is_not_followed(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    okta.fault("GET", USERS, status(302, b"", {"Location": "http://127.0.0.1:9/steal"}))
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert_failed(result, "redirect", "redirects are not followed")


# ---- credentials ------------------------------------------------------------------


def test_a_planted_token_never_reaches_results_or_logs(
    db: Database, okta: OktaFake, sleeps: Sleeps, debug_logs: pytest.LogCaptureFixture
) -> None:
    # A hostile or buggy upstream echoes the Authorization header in its error.
    echo = _error("E0000011", f"Invalid token provided: SSWS {TOKEN}")
    okta.fault("GET", USERS, status(401, echo))
    failed = connector(db, okta.url, sleeps).execute(suspend())
    assert_failed(failed, "auth", "Okta answered HTTP 401 (E0000011): Invalid token provided")
    assert "<redacted>" in failed.detail["error"]
    okta.fault(
        "GET", USERS, status(503, {"errorSummary": TOKEN}), status(503, {"errorSummary": TOKEN})
    )
    retried = connector(db, okta.url, sleeps, max_attempts=2).execute(suspend())
    ok = connector(db, okta.url, sleeps).execute(suspend())
    for result in (failed, retried, ok):
        assert_secret_absent([TOKEN], result, debug_logs)


def test_a_wrong_token_is_an_auth_failure(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    settings = VendorSettings.parse(SPEC, {"org_url": okta.url, "api_token_env": "T"})
    conn = OktaConnector(settings, db, environ={"T": "wrong-token-123456"}, sleep=sleeps)
    result = conn.execute(suspend())
    assert_failed(result, "auth", "HTTP 401")
    assert sleeps.waits == [], "a refused credential is not retried"


# ---- requests refused before anything is sent -----------------------------------


@pytest.mark.parametrize(
    "target",
    ["user:../../admin", "user:a/b", "user:x y", "user:" + "a" * 300, "user:?q=1"],
)
def test_a_hostile_target_is_refused_before_any_call(
    db: Database, okta: OktaFake, sleeps: Sleeps, target: str
) -> None:
    with pytest.raises(InputError):
        connector(db, okta.url, sleeps).execute(make_request("disable_account", target))
    assert okta.calls == []


def test_actions_and_kinds_it_does_not_serve(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    conn = connector(db, okta.url, sleeps)
    with pytest.raises(InputError, match="cannot run action isolate_host"):
        conn.execute(make_request("isolate_host", "host:pc-1"))
    with pytest.raises(InputError, match="applies to user targets"):
        conn.execute(make_request("disable_account", "host:pc-1"))


def test_unconfigured_it_refuses_to_run(db: Database) -> None:
    connectors = load_connectors(ConnectorContext(db))
    with pytest.raises(ConfigError, match=r"okta connector .* is not configured"):
        connectors["okta"].execute(suspend())


def test_an_execution_id_is_never_reused_for_another_action(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    conn = connector(db, okta.url, sleeps)
    conn.execute(suspend(execution_id="exec-shared"))
    with pytest.raises(Conflict):
        conn.execute(
            make_request(
                "revoke_sessions", "user:isaac.brock@example.com", execution_id="exec-shared"
            )
        )


def test_settings_are_checked(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="no org_url"):
        VendorSettings.parse(SPEC, {"api_token_env": "T"})
    with pytest.raises(ConfigError, match="must not hold api_token itself"):
        VendorSettings.parse(SPEC, {"org_url": "https://acme.okta.com", "api_token": TOKEN})
    with pytest.raises(ConfigError, match="unknown okta setting 'colour'"):
        VendorSettings.parse(
            SPEC, {"org_url": "https://a.okta.com", "api_token_env": "T", "colour": 1}
        )
    with pytest.raises(ConfigError, match="http or https"):
        VendorSettings.parse(SPEC, {"org_url": "file:///etc/passwd", "api_token_env": "T"})
    with pytest.raises(ConfigError, match="max_attempts"):
        VendorSettings.parse(
            SPEC, {"org_url": "https://a.okta.com", "api_token_env": "T", "max_attempts": 0}
        )


def test_results_are_plain_json(db: Database, okta: OktaFake, sleeps: Sleeps) -> None:
    result = connector(db, okta.url, sleeps).execute(suspend())
    assert ActionResult.from_json(json.loads(json.dumps(result.to_json()))) == result


def test_an_execution_interrupted_after_acting_is_resumed_without_acting_again(
    db: Database, okta: OktaFake, sleeps: Sleeps
) -> None:
    from affidavit.connectors import _executions

    request = suspend()
    # An earlier process claimed the execution, suspended the user, and died.
    _executions.claim(db, "okta", request, START)
    okta.users["00ub0oNGTSWTBKOLGLNR"]["status"] = "SUSPENDED"
    with pytest.raises(Conflict, match="has no recorded result"):
        connector(db, okta.url, sleeps, Clock(START + 10)).execute(request)
    result = connector(db, okta.url, sleeps, Clock(START + 3600)).execute(request)
    assert result.status == "succeeded", result.detail
    assert result.detail["changed"] is False
    assert okta.calls_to("POST", ".*suspend") == []


def test_a_short_credential_is_scrubbed_too(
    db: Database, okta: OktaFake, sleeps: Sleeps, debug_logs: pytest.LogCaptureFixture
) -> None:
    short = "Zq7#x1"
    settings = VendorSettings.parse(SPEC, {"org_url": okta.url, "api_token_env": "T"})
    conn = OktaConnector(settings, db, environ={"T": short}, sleep=sleeps)
    okta.fault("GET", USERS, status(401, _error("E0000011", f"Invalid token {short}")))
    result = conn.execute(suspend())
    assert_failed(result, "auth", "Invalid token <redacted>")
    assert_secret_absent([short], result, debug_logs)
