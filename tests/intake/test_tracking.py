"""Unmapped fields: what a normaliser never read is reported, by JSON path."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.errors import InputError
from affidavit.intake import Alert, normalize
from affidavit.intake._jsonvalue import copy_json
from affidavit.intake._tracking import FieldReads, json_path, untracked
from affidavit.intake.normalizers import falco

from ._shared import vendor_sample


def test_paths_of_fields_never_read_are_reported_in_document_order() -> None:
    reads = FieldReads(
        {"a": 1, "b": {"c": "x", "d": [10, 20, {"e": True}]}, "empty": "", "none": None}
    )
    root = reads.root
    assert root["a"] == 1
    assert root.get("b")["d"][1] == 20
    assert reads.unread() == ("b.c", "b.d[0]", "b.d[2].e")


def test_iteration_items_and_values_count_as_reading() -> None:
    reads = FieldReads({"tags": ["x", "y"], "m": {"k1": "v1", "k2": "v2"}, "n": {"z": 1}})
    assert list(reads.root["tags"]) == ["x", "y"]
    assert dict(reads.root["m"].items()) == {"k1": "v1", "k2": "v2"}
    assert list(reads.root["n"].values()) == [1]
    assert reads.unread() == ()


def test_containment_and_keys_do_not_count_as_reading() -> None:
    reads = FieldReads({"a": 1, "b": [1]})
    assert "a" in reads.root and 1 in reads.root["b"] and list(reads.root) == ["a", "b"]
    assert reads.unread() == ("a", "b[0]")


def test_copying_as_evidence_is_not_reading() -> None:
    reads = FieldReads({"a": {"b": [1, {"c": 2}]}})
    assert copy_json(reads.root, where="x") == {"a": {"b": [1, {"c": 2}]}}
    assert json.loads(json.dumps(untracked(reads.root))) == {"a": {"b": [1, {"c": 2}]}}
    assert reads.unread() == ("a.b[0]", "a.b[1].c")


def test_json_paths_quote_keys_that_are_not_plain_names() -> None:
    assert json_path(("kibana.alert.rule.name",)) == '["kibana.alert.rule.name"]'
    assert json_path(("evidence", 0, "@odata.type")) == 'evidence[0]["@odata.type"]'
    assert json_path(("x\x1b[31m",)) == '["x\\u001b[31m"]'
    assert json_path(("a", "b-c", "$ref")) == "a.b-c.$ref"
    assert len(json_path(tuple("k" * 50 for _ in range(20)))) == 300


def test_normalize_reports_what_the_normaliser_did_not_read() -> None:
    event = vendor_sample("falco.json")
    event["cluster_region"] = "eu-west-1"
    event["output_fields"]["container.mounts"] = "/data:/data:rw"
    alert = normalize(event)
    assert alert.unmapped is not None
    assert "cluster_region" in alert.unmapped
    assert 'output_fields["container.mounts"]' in alert.unmapped
    assert "rule" not in alert.unmapped and "priority" not in alert.unmapped
    assert alert.to_dict()["unmapped"] == list(alert.unmapped)


def test_a_normaliser_called_directly_leaves_unmapped_unknown() -> None:
    alert = falco.NORMALIZER.normalize(vendor_sample("falco.json"))
    assert alert.unmapped is None
    assert alert.to_dict()["unmapped"] is None


def test_content_ids_do_not_read_the_whole_alert() -> None:
    event = vendor_sample("falco.json")
    event.pop("uuid", None)
    alert = normalize(event)
    assert alert.vendor_alert_id.startswith("sha256:")
    assert alert.unmapped  # the fields hashed into the id are still reported


_SCALAR = st.none() | st.booleans() | st.integers() | st.text(max_size=4)
_JSON = st.recursive(
    _SCALAR,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=20,
)


def _read_all(value: Any) -> None:
    if isinstance(value, Mapping):
        for key in value:
            _read_all(value[key])
    elif isinstance(value, list):
        for item in value:
            _read_all(item)


def _non_empty_leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_non_empty_leaves(item) for item in value.values())
    if isinstance(value, list):
        return sum(_non_empty_leaves(item) for item in value)
    return 0 if value is None or (isinstance(value, str) and not value.strip()) else 1


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=5), _JSON, max_size=5))
def test_reading_everything_leaves_nothing_unmapped(obj: dict[str, Any]) -> None:
    untouched = FieldReads(obj)
    assert len(untouched.unread()) == _non_empty_leaves(obj)
    reads = FieldReads(obj)
    _read_all(reads.root)
    assert reads.unread() == ()
    assert isinstance(reads.root, dict)


def test_alert_validates_unmapped() -> None:
    alert = normalize(vendor_sample("falco.json"))
    assert isinstance(alert, Alert)
    with pytest.raises(InputError, match="JSON paths"):
        dataclasses.replace(alert, unmapped=(1,))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="JSON paths"):
        dataclasses.replace(alert, unmapped="abc")  # type: ignore[arg-type]
