"""ActionRequest and ActionResult: checked on construction, read-only, JSON round trips."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit import canonical
from affidavit.connectors import ActionRequest, ActionResult
from affidavit.connectors.request import MAX_DETAIL_BYTES, MAX_PARAMS_BYTES
from affidavit.errors import InputError
from tests.connectors._shared import make_request

HASH = "a" * 64


def _fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "execution_id": "exec-1",
        "action": "isolate_host",
        "target_kind": "host",
        "target_id": "pc-sales-0215",
        "params": {"comment": "ransomware"},
        "case": "case-7",
        "authorization_id": "auth-9",
        "action_hash": HASH,
    }
    fields.update(changes)
    return fields


def test_a_valid_request_keeps_its_fields_and_target() -> None:
    request = ActionRequest(**_fields())
    assert request.target == "host:pc-sales-0215"
    assert request.params == {"comment": "ransomware"}
    assert request.to_json() == {**_fields(), "params": {"comment": "ransomware"}}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("execution_id", "", "execution id"),
        ("execution_id", "exec 1", "execution id"),
        ("execution_id", "exéc-1", "execution id"),
        ("execution_id", "x" * 129, "execution id"),
        ("execution_id", 17, "execution id"),
        ("action", "Isolate-Host", "action"),
        ("action", "x", "action"),
        ("target_kind", "Host", "target kind"),
        ("target_kind", "h" * 33, "target kind"),
        ("target_id", "", "target id"),
        ("target_id", " pc-1", "target id"),
        ("target_id", "pc-1\n", "target id"),
        ("target_id", "pc\u202e1", "target id"),  # right-to-left override
        ("target_id", "pc\u200b1", "target id"),  # zero-width space
        ("target_id", "x" * 1025, "target id"),
        ("target_id", None, "target id"),
        ("params", ["not", "an", "object"], "parameters"),
        ("params", {"n": float("nan")}, "NaN"),
        ("params", {"n": 2**60}, "integer"),
        ("params", {"s": "\ud800"}, "surrogate"),
        ("params", {1: "non-string key"}, "key"),
        ("case", "", "case id"),
        ("case", "c" * 129, "case id"),
        ("authorization_id", "", "authorization id"),
        ("action_hash", "A" * 64, "action hash"),
        ("action_hash", "a" * 63, "action hash"),
    ],
)
def test_bad_fields_are_refused_with_input_error(field: str, value: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ActionRequest(**_fields(**{field: value}))


def test_huge_params_are_refused() -> None:
    huge = {"comment": "x" * (MAX_PARAMS_BYTES + 1)}
    with pytest.raises(InputError, match="limit"):
        ActionRequest(**_fields(params=huge))


def test_params_nested_too_deep_are_refused() -> None:
    deep: Any = "leaf"
    for _ in range(300):
        deep = {"a": deep}
    with pytest.raises(InputError):
        ActionRequest(**_fields(params=deep))


def test_params_are_a_private_read_only_copy() -> None:
    given_params = {"allow_ips": ["10.0.0.1"]}
    request = ActionRequest(**_fields(params=given_params))
    given_params["allow_ips"].append("10.0.0.2")
    given_params["extra"] = True  # type: ignore[assignment]
    assert request.params == {"allow_ips": ["10.0.0.1"]}
    with pytest.raises(TypeError):
        request.params["x"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        request.action = "wipe_host"  # type: ignore[misc]


def test_requests_are_hashable_and_compare_by_value() -> None:
    first, second = ActionRequest(**_fields()), ActionRequest(**_fields())
    assert first == second
    assert len({first, second}) == 1


def test_printable_unicode_target_ids_are_kept_exactly() -> None:
    odd = "ПК-продажи-0215 😀 e\u0301"  # Cyrillic, emoji, combining accent
    request = ActionRequest(**_fields(target_id=odd))
    assert request.target_id == odd
    assert ActionRequest.from_json(canonical.decode(canonical.encode(request.to_json()))) == request


def test_from_json_refuses_missing_and_unknown_fields() -> None:
    data = ActionRequest(**_fields()).to_json()
    with pytest.raises(InputError, match="extra"):
        ActionRequest.from_json({**data, "extra": 1})
    del data["case"]
    with pytest.raises(InputError, match="case"):
        ActionRequest.from_json(data)
    with pytest.raises(InputError, match="JSON object"):
        ActionRequest.from_json([1, 2])


_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(max_size=20)
)
_json = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_printable = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")),
    min_size=1,
    max_size=40,
)


@given(
    target_id=_printable,
    params=st.dictionaries(st.text(max_size=10), _json, max_size=5),
    case=st.none() | _printable,
)
def test_request_json_round_trip(target_id: str, params: dict[str, Any], case: str | None) -> None:
    request = ActionRequest(**_fields(target_id=target_id, params=params, case=case))
    text = canonical.encode(request.to_json())
    assert ActionRequest.from_json(canonical.decode(text)) == request


@given(detail=st.dictionaries(st.text(max_size=10), _json, max_size=5), ok=st.booleans())
def test_result_json_round_trip(detail: dict[str, Any], ok: bool) -> None:
    result = ActionResult("succeeded" if ok else "failed", detail, external_ref="ref-1")
    assert ActionResult.from_json(canonical.decode(canonical.encode(result.to_json()))) == result


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "ok", "detail": {}}, "status"),
        ({"status": "failed", "detail": "timeout"}, "JSON object"),
        ({"status": "failed", "detail": {"x": b"bytes"}}, "bytes"),
        ({"status": "succeeded", "detail": {"x": "y" * MAX_DETAIL_BYTES}}, "limit"),
        ({"status": "succeeded", "detail": {}, "external_ref": ""}, "external reference"),
        ({"status": "succeeded", "detail": {}, "external_ref": "a\tb"}, "external reference"),
    ],
)
def test_bad_results_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        ActionResult(**kwargs)


def test_result_detail_is_read_only() -> None:
    result = ActionResult("succeeded", {"changed": True})
    assert result.succeeded
    with pytest.raises(TypeError):
        result.detail["changed"] = False  # type: ignore[index]
    assert not ActionResult("failed", {"error": "timed out"}).succeeded


def test_make_request_helper_builds_valid_requests() -> None:
    request = make_request("block_ip", "ip:2001:db8::1", {"ttl_seconds": 600})
    assert (request.target_kind, request.target_id) == ("ip", "2001:db8::1")
