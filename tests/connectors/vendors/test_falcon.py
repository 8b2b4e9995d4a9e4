"""The Falcon connector against a local CrowdStrike API (OAuth2 token, device details, actions).

Shapes follow CrowdStrike's API reference: ``POST /oauth2/token`` (form) -> 201,
``GET /devices/entities/devices/v2?ids=`` -> ``{"meta", "resources", "errors"}``,
``POST /devices/entities/devices-actions/v2?action_name=contain|lift_containment``
with ``{"ids": [...]}`` -> 202, errors as ``{"errors": [{"code", "message"}]}`` and
429 with ``X-RateLimit-RetryAfter`` (Unix time).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from affidavit.connectors.vendors import FalconConnector, VendorSettings
from affidavit.connectors.vendors.falcon import SPEC
from affidavit.errors import InputError
from affidavit.store import Database
from tests.connectors._shared import START, Clock, make_request
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

CLIENT_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
SECRET = "FalconPlantedSecret0123456789abcdefGHIJ"
DEVICE = "4f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1c"
ACTIONS = "/devices/entities/devices-actions/v2"
DEVICES = "/devices/entities/devices/v2"


def _meta() -> dict[str, Any]:
    return {"query_time": 0.0042, "powered_by": "device-api", "trace_id": "7f0e1d2c-3b4a"}


def _errors(code: int, message: str) -> dict[str, Any]:
    return {"meta": _meta(), "resources": [], "errors": [{"code": code, "message": message}]}


@dataclass
class FalconFake(FakeVendor):
    devices: dict[str, str] = field(default_factory=lambda: {DEVICE: "normal"})
    tokens: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.route("POST", "/oauth2/token", self._token)
        self.route("GET", DEVICES, self._details)
        self.route("POST", ACTIONS, self._action)

    def _token(self, call: Call, match: re.Match[str]) -> Answer:
        form = call.form()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != SECRET:
            return reply(403, _errors(403, "access denied, invalid client credentials"))
        token = f"falcon-token-{len(self.tokens) + 1}-abcdefghijklmnop"
        self.tokens.append(token)
        return reply(201, {"access_token": token, "token_type": "bearer", "expires_in": 1799})

    def _authorized(self, call: Call) -> bool:
        return call.headers.get("authorization", "") in {f"Bearer {t}" for t in self.tokens}

    def _details(self, call: Call, match: re.Match[str]) -> Answer:
        if not self._authorized(call):
            return reply(401, _errors(401, "access denied, authorization failed"))
        ids = call.query.get("ids", [])
        found = [
            {
                "device_id": i,
                "cid": "0123456789abcdef0123456789abcdef",
                "hostname": "WIN-FIN-07",
                "platform_name": "Windows",
                "status": self.devices[i],
            }
            for i in ids
            if i in self.devices
        ]
        if not found:
            return reply(404, _errors(404, "No resources found for the given ids"))
        return reply(200, {"meta": _meta(), "resources": found, "errors": []})

    def _action(self, call: Call, match: re.Match[str]) -> Answer:
        if not self._authorized(call):
            return reply(401, _errors(401, "access denied, authorization failed"))
        action = call.arg("action_name")
        ids = call.json().get("ids", [])
        if action not in ("contain", "lift_containment") or not ids:
            return reply(400, _errors(400, "invalid action_name or ids"))
        for device in ids:
            if device not in self.devices:
                return reply(404, _errors(404, f"Device {device} not found"))
            pending = "containment_pending" if action == "contain" else "lift_containment_pending"
            self.devices[device] = pending
        resources = [{"id": d, "path": ""} for d in ids]
        return reply(202, {"meta": _meta(), "resources": resources, "errors": []})


@pytest.fixture
def falcon() -> Iterator[FalconFake]:
    fake = FalconFake()
    fake.start()
    yield fake
    fake.stop()


def connector(db: Database, url: str, sleeps: Sleeps, **extra: Any) -> FalconConnector:
    section = {"client_id": CLIENT_ID, "client_secret_env": "CS_SECRET", "api_url": url, **extra}
    return FalconConnector(
        VendorSettings.parse(SPEC, section),
        db,
        environ={"CS_SECRET": SECRET},
        sleep=sleeps,
        clock=Clock(START),
    )


def contain(**kwargs: Any) -> Any:
    return make_request("isolate_host", f"host:{DEVICE}", **kwargs)


def test_contain_reads_status_then_posts_the_action(
    db: Database, falcon: FalconFake, sleeps: Sleeps
) -> None:
    result = connector(db, falcon.url, sleeps).execute(contain())
    assert result.status == "succeeded", result.detail
    assert result.detail == {
        "device": DEVICE,
        "status": "containment_pending",
        "changed": True,
        "previous": {"status": "normal"},
    }
    [token] = falcon.calls_to("POST", "/oauth2/token")
    assert token.form() == {"client_id": CLIENT_ID, "client_secret": SECRET}
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    [details] = falcon.calls_to("GET", DEVICES)
    assert details.query == {"ids": [DEVICE]}
    [post] = falcon.calls_to("POST", ACTIONS)
    assert post.arg("action_name") == "contain"
    assert post.json() == {"ids": [DEVICE]}
    assert post.headers["authorization"] == f"Bearer {falcon.tokens[0]}"
    assert falcon.devices[DEVICE] == "containment_pending"


@pytest.mark.parametrize("state", ["contained", "containment_pending"])
def test_a_contained_host_is_left_alone(
    db: Database, falcon: FalconFake, sleeps: Sleeps, state: str
) -> None:
    falcon.devices[DEVICE] = state
    result = connector(db, falcon.url, sleeps).execute(contain())
    assert result.detail["changed"] is False
    assert falcon.calls_to("POST", ACTIONS) == []


def test_lift_containment(db: Database, falcon: FalconFake, sleeps: Sleeps) -> None:
    falcon.devices[DEVICE] = "contained"
    result = connector(db, falcon.url, sleeps).execute(
        make_request("release_host", f"host:{DEVICE}", {"comment": "cleaned"})
    )
    assert result.status == "succeeded", result.detail
    assert result.detail["previous"] == {"status": "contained"}
    assert result.detail["comment"] == "cleaned"
    [post] = falcon.calls_to("POST", ACTIONS)
    assert post.arg("action_name") == "lift_containment"
    released = connector(db, falcon.url, sleeps).execute(
        make_request("release_host", f"host:{DEVICE}")
    )
    assert released.detail["changed"] is False


def test_a_containment_answered_502_after_taking_effect_is_not_sent_again(
    db: Database, falcon: FalconFake, sleeps: Sleeps
) -> None:
    falcon.fault("POST", ACTIONS, apply_then(status(502, b"<html>Bad Gateway</html>")))
    result = connector(db, falcon.url, sleeps).execute(contain())
    assert result.status == "succeeded", result.detail
    assert result.detail["changed"] is False  # the second look found it pending
    assert result.detail["previous"] == {"status": "normal"}
    assert len(falcon.calls_to("POST", ACTIONS)) == 1


def test_429_waits_until_falcon_s_retry_after_time(
    db: Database, falcon: FalconFake, sleeps: Sleeps
) -> None:
    headers = {
        "X-RateLimit-Limit": "6000",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-RetryAfter": str(int(START) + 3),
    }
    falcon.fault("GET", DEVICES, status(429, _errors(429, "API rate limit exceeded."), headers))
    result = connector(db, falcon.url, sleeps).execute(contain())
    assert result.status == "succeeded", result.detail
    assert sleeps.waits == [3.0]


def test_an_unknown_device_fails_with_falcon_s_words(
    db: Database, falcon: FalconFake, sleeps: Sleeps
) -> None:
    other = "0" * 32
    result = connector(db, falcon.url, sleeps).execute(
        make_request("isolate_host", f"host:{other}")
    )
    assert_failed(result, "http_status", "CrowdStrike Falcon answered HTTP 404 (404): No resources")


def test_wrong_credentials(
    db: Database, falcon: FalconFake, sleeps: Sleeps, debug_logs: pytest.LogCaptureFixture
) -> None:
    wrong = "WrongFalconSecret-000000000000000000"
    settings = VendorSettings.parse(
        SPEC, {"client_id": CLIENT_ID, "client_secret_env": "S", "api_url": falcon.url}
    )
    result = FalconConnector(settings, db, environ={"S": wrong}, sleep=sleeps).execute(contain())
    assert_failed(result, "auth", "refused the client credentials")
    assert_secret_absent([wrong, SECRET], result, debug_logs)


def test_secrets_and_tokens_never_reach_results_or_logs(
    db: Database, falcon: FalconFake, sleeps: Sleeps, debug_logs: pytest.LogCaptureFixture
) -> None:
    conn = connector(db, falcon.url, sleeps, max_attempts=2)
    ok = conn.execute(contain())
    # The API echoes the token it was sent (the cached one) and the secret.
    echo = status(500, _errors(500, f"token {falcon.tokens[0]} {SECRET}"))
    falcon.fault("GET", DEVICES, echo, echo)
    failed = conn.execute(make_request("release_host", f"host:{DEVICE}"))
    assert failed.status == "failed"
    for result in (ok, failed):
        assert_secret_absent([SECRET, *falcon.tokens], result, debug_logs)


@pytest.mark.parametrize("target", ["host:WIN-FIN-07", f"host:{DEVICE.upper()}", "host:../x"])
def test_a_target_that_is_not_a_device_id_is_refused(
    db: Database, falcon: FalconFake, sleeps: Sleeps, target: str
) -> None:
    with pytest.raises(InputError, match="32 lowercase hexadecimal"):
        connector(db, falcon.url, sleeps).execute(make_request("isolate_host", target))
    assert falcon.calls == []


@pytest.mark.parametrize("trouble", ["down", "garbage", "timeout", "wrong shape"])
def test_bad_upstream_is_a_failed_result(
    db: Database, falcon: FalconFake, sleeps: Sleeps, trouble: str
) -> None:
    url = falcon.url
    if trouble == "down":
        url = closed_port_url()
    elif trouble == "garbage":
        falcon.fault("GET", DEVICES, status(200, b"\x00\x01 not json"))
    elif trouble == "timeout":
        falcon.fault("GET", DEVICES, HANG, HANG)
    else:
        falcon.fault("GET", DEVICES, status(200, {"resources": "nope"}))
    result = connector(db, url, sleeps, timeout_s=0.2, max_attempts=2).execute(contain())
    assert result.status == "failed"
    assert "CrowdStrike Falcon" in result.detail["error"]
    assert falcon.calls_to("POST", ACTIONS) == []
