"""Tests for affidavit.policy.request: principals and decision requests validate on construction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.errors import InputError
from affidavit.policy.assets import Asset
from affidavit.policy.request import MAX_TARGET_COUNT, MAX_TARGETS, DecisionRequest, Principal

DANA = Principal("dana", "human", roles=("approver:ir_lead", "analyst", "analyst"))
HOST = Asset("pc-1", "host", "low", "prod")


def test_principal_normalises_sets() -> None:
    assert DANA.roles == ("analyst", "approver:ir_lead")
    assert DANA.is_human
    bot = Principal("bot", "model", owner="alice", scopes=("b", "a"))
    assert bot.scopes == ("a", "b")
    assert not bot.is_human
    assert bot.to_dict() == {
        "id": "bot",
        "kind": "model",
        "owner": "alice",
        "roles": [],
        "scopes": ["a", "b"],
    }


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"id": "", "kind": "human"}, "principal id must not be empty"),
        ({"id": "x\ty", "kind": "human"}, "control"),
        ({"id": "x", "kind": "robot"}, "principal kind 'robot'"),
        ({"id": "x", "kind": "agent"}, "the owner of agent 'x' must not be empty"),
        (
            {"id": "x", "kind": "agent", "owner": "a", "roles": ("approver:ir_lead",)},
            "roles belong",
        ),
        ({"id": "x", "kind": "human", "scopes": ("wipe_host",)}, "scopes belong to agents"),
        ({"id": "x", "kind": "human", "roles": "analyst"}, "roles must be a list"),
        ({"id": "x", "kind": "human", "roles": ("",)}, "must not be empty"),
    ],
)
def test_principal_refuses_bad_fields(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        Principal(**kwargs)  # type: ignore[arg-type]


def test_request_defaults() -> None:
    request = DecisionRequest(DANA, "isolate_host", [HOST])
    assert request.targets == (HOST,)
    assert request.params == {}
    assert request.target_count == 1
    assert request.confidence_percent == 0
    assert request.spike is False
    assert DecisionRequest(DANA, "isolate_host", HOST).targets == (HOST,)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("confidence", "percent"),
    [(0, 0), (0.0, 0), (0.29, 29), (0.57, 57), (0.999, 99), (0.005, 0), (1, 100), (1.0, 100)],
)
def test_confidence_becomes_a_percentage_rounded_down(confidence: float, percent: int) -> None:
    request = DecisionRequest(DANA, "isolate_host", [HOST], confidence=confidence)
    assert request.confidence_percent == percent


@given(st.floats(min_value=0, max_value=1))
def test_confidence_percent_is_never_rounded_up(confidence: float) -> None:
    percent = DecisionRequest(DANA, "a", [HOST], confidence=confidence).confidence_percent
    assert 0 <= percent <= 100
    assert percent <= confidence * 100 + 1e-9
    assert percent + 1 > confidence * 100 - 1e-9


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"principal": "dana"}, "principal must be a Principal"),
        ({"action": ""}, "action must not be empty"),
        ({"action": 7}, "action must be a string"),
        ({"targets": []}, "1 to 1000 targets"),
        ({"targets": [HOST] * 2}, "listed twice"),
        ({"targets": ["host:pc-1"]}, "must be an Asset"),
        ({"targets": "host:pc-1"}, "must be a list"),
        (
            {"targets": [Asset(f"pc-{i}", "host", "low", "prod") for i in range(MAX_TARGETS + 1)]},
            "1 to 1000",
        ),
        ({"params": [("ttl", 1)]}, "params must be a JSON object"),
        ({"confidence": 1.5}, "confidence must be a number from 0 to 1"),
        ({"confidence": -0.1}, "confidence"),
        ({"confidence": float("nan")}, "confidence"),
        ({"confidence": True}, "confidence"),
        ({"confidence": "0.9"}, "confidence"),
        ({"spike": 1}, "spike must be true or false"),
        ({"target_count": 0}, "target_count"),
        ({"target_count": True}, "target_count"),
        ({"target_count": MAX_TARGET_COUNT + 1}, "target_count"),
        (
            {"targets": [HOST, Asset("pc-2", "host", "low", "prod")], "target_count": 1},
            "target_count",
        ),
    ],
)
def test_request_refuses_bad_fields(kwargs: dict[str, object], fragment: str) -> None:
    fields: dict[str, object] = {"principal": DANA, "action": "isolate_host", "targets": [HOST]}
    fields.update(kwargs)
    with pytest.raises(InputError, match=fragment):
        DecisionRequest(**fields)  # type: ignore[arg-type]


def test_target_count_may_exceed_the_sample_of_targets() -> None:
    request = DecisionRequest(
        DANA, "block_ip", [Asset.unknown("ip", "192.0.2.1")], target_count=500
    )
    assert request.target_count == 500
