"""The Defender for Endpoint connector against a local Defender API and Entra ID token endpoint.

Shapes follow Microsoft's documentation: the client-credentials token request
(form, ``/{tenant}/oauth2/v2.0/token``), ``POST /api/machines/{id}/isolate`` and
``/unisolate`` answering 201 with a MachineAction, ``GET /api/machineactions``
with an OData ``$filter`` answering ``{"value": [...]}``, and the error body
``{"error": {"code", "message", "target"}}``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from affidavit.connectors.vendors import DefenderConnector, VendorSettings
from affidavit.connectors.vendors.defender import SPEC
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

TENANT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
CLIENT_ID = "5a6b7c8d-1111-2222-3333-444455556666"
SECRET = "Mde~planted.client-secret_8Qw3Ez5Rt7Yu"
MACHINE = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07"
ISOLATE = f"/api/machines/{MACHINE}/isolate"
TOKEN_PATH = f"/{TENANT}/oauth2/v2.0/token"


def _mde_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "target": "43f4cb08-8fac-4b65-9db1"}}


@dataclass
class DefenderFake(FakeVendor):
    machines: set[str] = field(default_factory=lambda: {MACHINE})
    actions: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    token_forms: list[dict[str, str]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.route("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", self._token)
        self.route("GET", "/api/machineactions", self._list)
        self.route("POST", "/api/machines/(?P<id>[^/]+)/(?P<verb>isolate|unisolate)", self._act)

    def _token(self, call: Call, match: re.Match[str]) -> Answer:
        form = call.form()
        self.token_forms.append(form)
        if (
            match["tenant"] != TENANT
            or form.get("grant_type") != "client_credentials"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != SECRET
        ):
            return reply(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. "
                    "Ensure the secret being sent in the request is the client secret value.",
                    "error_codes": [7000215],
                    "trace_id": "0a1b2c3d",
                },
            )
        token = f"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.token{next(self._ids)}"
        self.tokens.add(token)
        return reply(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

    def _authorized(self, call: Call) -> bool:
        value = call.headers.get("authorization", "")
        return value.startswith("Bearer ") and value[7:] in self.tokens

    def _list(self, call: Call, match: re.Match[str]) -> Answer:
        if not self._authorized(call):
            return reply(401, _mde_error("Unauthorized", "Unauthorized"))
        wanted = re.search(r"machineId eq '([0-9a-f]+)'", call.arg("$filter") or "")
        value = [
            a
            for a in self.actions
            if (wanted is None or a["machineId"] == wanted[1])
            and a["type"] in ("Isolate", "Unisolate")
        ]
        return reply(
            200,
            {
                "@odata.context": "https://api.securitycenter.microsoft.com/api/$metadata#MachineActions",
                "value": value,
            },
        )

    def add_action(self, kind: str, state: str = "Succeeded", comment: str = "by hand") -> None:
        n = next(self._ids)
        self.actions.append(
            {
                "id": f"5382f7ea-7557-4ab7-9782-{n:012d}",
                "type": kind,
                "scope": "Full" if kind == "Isolate" else None,
                "requestor": "analyst@contoso.example",
                "requestorComment": comment,
                "status": state,
                "machineId": MACHINE,
                "computerDnsName": "desktop-test",
                "creationDateTimeUtc": f"2026-12-07T10:{n // 60:02d}:{n % 60:02d}.2262283Z",
                "lastUpdateDateTimeUtc": f"2026-12-07T10:{n // 60:02d}:{n % 60:02d}.6596267Z",
                "relatedFileInfo": None,
            }
        )

    def _act(self, call: Call, match: re.Match[str]) -> Answer:
        if not self._authorized(call):
            return reply(401, _mde_error("Unauthorized", "Unauthorized"))
        if call.headers.get("content-type") != "application/json":
            return reply(400, _mde_error("InvalidRequestBody", "Request body is incorrect"))
        if match["id"] not in self.machines:
            return reply(
                404, _mde_error("ResourceNotFound", f"Machine {match['id']} was not found")
            )
        body = call.json()
        if not body.get("Comment"):
            return reply(
                400, _mde_error("MissingRequiredParameter", "Parameter Comment is missing")
            )
        kind = "Isolate" if match["verb"] == "isolate" else "Unisolate"
        self.add_action(kind, "Pending", body["Comment"])
        action = self.actions[-1]
        if kind == "Isolate":
            action["scope"] = body.get("IsolationType", "Full")
        return reply(201, action)


@pytest.fixture
def mde() -> Iterator[DefenderFake]:
    fake = DefenderFake()
    fake.start()
    yield fake
    fake.stop()


def connector(db: Database, url: str, sleeps: Sleeps, **extra: Any) -> DefenderConnector:
    section = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret_env": "MDE_SECRET",
        "api_url": url,
        "login_url": url,
        "retry_base_s": 0.5,
        **extra,
    }
    return DefenderConnector(
        VendorSettings.parse(SPEC, section), db, environ={"MDE_SECRET": SECRET}, sleep=sleeps
    )


def isolate(**params: Any) -> Any:
    return make_request("isolate_host", f"host:{MACHINE}", params)


def test_isolate_gets_a_token_then_lists_then_isolates(
    db: Database, mde: DefenderFake, sleeps: Sleeps
) -> None:
    request = isolate(comment="Ransomware on desktop-test")
    result = connector(db, mde.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    [form] = mde.token_forms
    assert form == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "scope": "https://api.securitycenter.microsoft.com/.default",
    }
    [listed] = mde.calls_to("GET", "/api/machineactions")
    assert listed.arg("$filter") == (
        f"machineId eq '{MACHINE}' and (type eq 'Isolate' or type eq 'Unisolate')"
    )
    [post] = mde.calls_to("POST", ISOLATE)
    assert post.json() == {
        "Comment": f"Ransomware on desktop-test [affidavit-execution:{request.execution_id}]",
        "IsolationType": "Full",
    }
    action = mde.actions[-1]
    assert result.external_ref == action["id"]
    assert result.detail == {
        "machine": MACHINE,
        "isolated": True,
        "changed": True,
        "machine_action_id": action["id"],
        "machine_action_status": "Pending",
        "previous": {"isolated": False},
        "isolation_type": "Full",
    }


def test_selective_isolation_and_release(db: Database, mde: DefenderFake, sleeps: Sleeps) -> None:
    conn = connector(db, mde.url, sleeps)
    assert conn.execute(isolate(isolation_type="Selective")).detail["isolation_type"] == "Selective"
    mde.actions[-1]["status"] = "Succeeded"
    released = conn.execute(make_request("release_host", f"host:{MACHINE}"))
    assert released.status == "succeeded", released.detail
    assert released.detail["isolated"] is False
    assert released.detail["previous"] == {"isolated": True}
    [post] = mde.calls_to("POST", f"/api/machines/{MACHINE}/unisolate")
    assert post.json()["Comment"].startswith("Released by Affidavit [affidavit-execution:")
    assert len(mde.token_forms) == 1, "the token is cached between executions"


def test_an_isolated_machine_is_not_isolated_again(
    db: Database, mde: DefenderFake, sleeps: Sleeps
) -> None:
    mde.add_action("Unisolate")
    mde.add_action("Isolate", "InProgress")
    result = connector(db, mde.url, sleeps).execute(isolate())
    assert result.status == "succeeded"
    assert result.detail["changed"] is False
    assert result.detail["reason"] == "already isolated"
    assert mde.calls_to("POST", ISOLATE) == []


def test_a_released_machine_is_not_released_again(
    db: Database, mde: DefenderFake, sleeps: Sleeps
) -> None:
    mde.add_action("Isolate")
    mde.add_action("Unisolate")
    mde.add_action("Isolate", "Failed")  # a failed isolation changed nothing
    result = connector(db, mde.url, sleeps).execute(make_request("release_host", f"host:{MACHINE}"))
    assert result.detail["changed"] is False
    assert mde.calls_to("POST", f"/api/machines/{MACHINE}/unisolate") == []


def test_an_isolation_that_answered_500_after_taking_effect_is_found_by_its_comment(
    db: Database, mde: DefenderFake, sleeps: Sleeps
) -> None:
    mde.fault("POST", ISOLATE, apply_then(status(500, _mde_error("InternalServerError", ""))))
    request = isolate()
    result = connector(db, mde.url, sleeps).execute(request)
    assert result.status == "succeeded", result.detail
    assert result.detail["resumed"] is True
    assert len(mde.calls_to("POST", ISOLATE)) == 1, "the machine was isolated twice"
    assert sleeps.waits == [0.5]


def test_a_resumed_execution_finds_its_own_action(
    db: Database, mde: DefenderFake, sleeps: Sleeps
) -> None:
    # An earlier process sent the isolation and died before recording the result.
    request = isolate()
    mde.add_action("Isolate", "Pending", f"x [affidavit-execution:{request.execution_id}]")
    result = connector(db, mde.url, sleeps).execute(request)
    assert result.detail["resumed"] is True
    assert mde.calls_to("POST", ISOLATE) == []


def test_an_expired_token_is_renewed_once(db: Database, mde: DefenderFake, sleeps: Sleeps) -> None:
    conn = connector(db, mde.url, sleeps)
    conn.execute(isolate())
    mde.tokens.clear()  # revoked or expired early
    mde.actions[-1]["status"] = "Succeeded"
    result = conn.execute(make_request("release_host", f"host:{MACHINE}"))
    assert result.status == "succeeded", result.detail
    assert len(mde.token_forms) == 2


def test_a_wrong_client_secret_is_an_auth_failure_without_the_secret(
    db: Database, mde: DefenderFake, sleeps: Sleeps, debug_logs: pytest.LogCaptureFixture
) -> None:
    section = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret_env": "S",
        "api_url": mde.url,
        "login_url": mde.url,
    }
    wrong = "Wrong~client.secret-value_0000000000"
    conn = DefenderConnector(VendorSettings.parse(SPEC, section), db, environ={"S": wrong})
    result = conn.execute(isolate())
    assert_failed(result, "auth", "refused the client credentials")
    assert "AADSTS7000215" in result.detail["error"]
    assert_secret_absent([wrong, SECRET], result, debug_logs)


def test_tokens_and_secrets_stay_out_of_results_and_logs(
    db: Database, mde: DefenderFake, sleeps: Sleeps, debug_logs: pytest.LogCaptureFixture
) -> None:
    conn = connector(db, mde.url, sleeps)
    results = [conn.execute(isolate())]
    # The API echoes the bearer token it was sent (the cached one) in an error.
    [token] = mde.tokens
    mde.fault(
        "GET", "/api/machineactions", status(400, _mde_error("BadRequest", f"Bearer {token}"))
    )
    results.append(conn.execute(isolate()))
    assert_failed(results[-1], "http_status", "<redacted>")
    for result in results:
        assert_secret_absent([SECRET, *mde.tokens], result, debug_logs)


def test_unknown_machine(db: Database, mde: DefenderFake, sleeps: Sleeps) -> None:
    other = "ab" * 20
    result = connector(db, mde.url, sleeps).execute(make_request("isolate_host", f"host:{other}"))
    assert_failed(result, "http_status", f"(ResourceNotFound): Machine {other} was not found")


@pytest.mark.parametrize(
    ("params", "target", "words"),
    [
        ({}, "host:pc-sales-0215", "40 hexadecimal digits"),
        ({}, f"host:{MACHINE}/../../x", "40 hexadecimal digits"),
        ({"allow_ips": ["10.0.0.1"]}, f"host:{MACHINE}", "no per-address exceptions"),
        ({"isolation_type": "Partial"}, f"host:{MACHINE}", "Full or Selective"),
    ],
)
def test_requests_it_cannot_serve_are_refused_before_any_call(
    db: Database, mde: DefenderFake, sleeps: Sleeps, params: Any, target: str, words: str
) -> None:
    with pytest.raises(InputError, match=words):
        connector(db, mde.url, sleeps).execute(make_request("isolate_host", target, params))
    assert mde.calls == []


@pytest.mark.parametrize("trouble", ["down", "garbage", "timeout", "throttled"])
def test_bad_upstream_is_a_failed_result(
    db: Database, mde: DefenderFake, sleeps: Sleeps, trouble: str
) -> None:
    url = mde.url
    if trouble == "down":
        url = closed_port_url()
    elif trouble == "garbage":
        mde.fault("GET", "/api/machineactions", status(200, b"<html>Service Unavailable</html>"))
    elif trouble == "timeout":
        mde.fault("GET", "/api/machineactions", HANG, HANG)
    else:
        mde.fault(
            "GET",
            "/api/machineactions",
            status(429, _mde_error("TooManyRequests", "quota"), {"Retry-After": "600"}),
        )
    result = connector(db, url, sleeps, timeout_s=0.2, max_attempts=2).execute(isolate())
    kind = {
        "down": "connect",
        "garbage": "garbage",
        "timeout": "timeout",
        "throttled": "rate_limited",
    }[trouble]
    assert_failed(result, kind, "Microsoft Defender for Endpoint")
    assert mde.calls_to("POST", ISOLATE) == []
