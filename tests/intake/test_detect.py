from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affidavit.errors import InputError
from affidavit.intake import (
    BUILTIN_NORMALIZERS,
    Alert,
    detect_vendor,
    normalize,
    normalized_alerts,
    read_alerts,
)
from affidavit.intake.normalizers import falco
from affidavit.samples.alerts import generate_alerts

from ._shared import panther_tests, shapes_dir, shared_data, vendor_sample

_VENDOR_FILES = {
    "defender_endpoint.json": "microsoft_defender",
    "crowdstrike_falcon.json": "crowdstrike_falcon",
    "guardduty.json": "aws_guardduty",
    "scc.json": "google_scc",
    "falco.json": "falco",
}
_PANTHER_FILES = {
    "okta_threatinsight_security_threat_detected.yml": "okta",
    "crowdstrike_detection_passthrough.yml": "crowdstrike_falcon",
    "defender_detection_passthrough.yml": "microsoft_defender",
    "aws_guardduty_high_sev_findings.yml": "aws_guardduty",
}


@pytest.mark.parametrize(("file_name", "vendor"), sorted(_VENDOR_FILES.items()))
def test_vendor_samples_are_detected(file_name: str, vendor: str) -> None:
    assert detect_vendor(vendor_sample(file_name)).name == vendor


@pytest.mark.parametrize(("file_name", "vendor"), sorted(_PANTHER_FILES.items()))
def test_labelled_panther_alerts_are_detected(file_name: str, vendor: str) -> None:
    alerts = [t["Log"] for t in panther_tests(file_name) if t["ExpectedResult"] is True]
    assert alerts
    for event in alerts:
        assert detect_vendor(event).name == vendor
        assert normalize(event).vendor == vendor


@pytest.mark.parametrize(
    "file_name",
    [
        "ec2_proxy_s3_exfiltration_2020-09-14011940.json",
        "psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json",
    ],
)
def test_raw_logs_are_not_alerts(file_name: str) -> None:
    # CloudTrail and Windows Security/Sysmon events are telemetry, not alerts.
    records = list(read_alerts((shared_data() / "logs" / file_name).read_bytes()))
    assert len(records) > 100
    for record in records:
        with pytest.raises(InputError, match=r"^unrecognised alert format; keys seen: '"):
            normalize(record)


def test_unrecognised_message_lists_keys() -> None:
    with pytest.raises(InputError) as raised:
        detect_vendor({f"key{i:02d}": i for i in range(20)})
    assert str(raised.value) == (
        "unrecognised alert format; keys seen: "
        + ", ".join(f"'key{i:02d}'" for i in range(15))
        + " and 5 more."
    )
    with pytest.raises(InputError, match="keys seen: none"):
        detect_vendor({})
    with pytest.raises(InputError, match="must be a JSON object, not list"):
        detect_vendor([1])  # type: ignore[arg-type]


class _AnyRule:
    """A real (if greedy) normaliser: claims every object with a "rule" key."""

    name = "any_rule"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return "rule" in obj

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        raise InputError("not implemented for this test")


def test_two_matching_normalisers_are_ambiguous() -> None:
    with pytest.raises(InputError, match=r"ambiguous alert format: .*any_rule, falco; keys seen"):
        detect_vendor(vendor_sample("falco.json"), [falco.NORMALIZER, _AnyRule()])


def test_explicit_normaliser_list_limits_detection() -> None:
    assert detect_vendor(vendor_sample("falco.json"), [falco.NORMALIZER]) is falco.NORMALIZER
    with pytest.raises(InputError, match="unrecognised"):
        normalize(vendor_sample("guardduty.json"), [falco.NORMALIZER])


# ---- robustness: nothing but InputError, whatever arrives ----

_DETECTION_KEYS = [
    "class_uid",
    "finding_info",
    "rule",
    "priority",
    "output",
    "time",
    "eventType",
    "eventtype",
    "uuid",
    "published",
    "actor",
    "finding",
    "name",
    "category",
    "detail",
    "source",
    "arn",
    "type",
    "id",
    "alertCreationTime",
    "machineId",
    "properties",
    "AlertId",
    "Title",
    "ServiceSource",
    "DetectionSource",
    "metadata",
    "event",
    "ExternalApiType",
    "DetectId",
    "ComputerName",
    "SeverityName",
    "detection_id",
    "behaviors",
    "device",
    "composite_id",
    "severity",
    "evidence",
    "createdAt",
    "output_fields",
    "Type",
    "SystemAlertId",
    "AlertSeverity",
    "AlertName",
    "TimeGenerated",
    "Entities",
    "type",
    "kibana.alert.rule.name",
    "kibana.alert.uuid",
    "kibana",
    "alert",
    "_source",
    "_id",
    "@timestamp",
    "_time",
    "rule_name",
    "search_name",
    "urgency",
    "security_domain",
    "event_id",
    "threatInfo",
    "agentRealtimeInfo",
    "agentDetectionInfo",
    "indicators",
    "sourceRule",
    "entitySnapshot",
    "createdDateTime",
    "serviceSource",
    "@odata.type",
    "mitreAttack",
    "primaryTechniques",
    "product",
    "value",
    "listFindingsResults",
    "results",
    "data",
]
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            2004,
            "aws.guardduty",
            "DetectionSummaryEvent",
            "AdvancedHunting-AlertInfo",
            "Event_EppDetectionSummaryEvent",
            "arn:aws:guardduty:x:1:detector/d/finding/f",
            "organizations/1/sources/2/findings/3",
            "2025-01-01T00:00:00Z",
            "High",
            "SecurityAlert",
            "Microsoft.SecurityInsights/Incidents",
            "#microsoft.graph.security.alert",
            "#microsoft.graph.security.processEvidence",
            "EPPDetectionSummaryEvent",
            "IdpDetectionSummaryEvent",
            "x@@notable@@y",
            "idp",
            "ACTIVE_SCANNING",
        ]
    )
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(_DETECTION_KEYS) | st.text(max_size=8), children, max_size=6
        )
    ),
    max_leaves=25,
)
_OBJECTS = st.dictionaries(
    st.sampled_from(_DETECTION_KEYS) | st.text(max_size=8), _JSON, max_size=8
)


def _only_input_errors(obj: Any) -> None:
    try:
        alert = normalize(obj)
    except InputError:
        return
    assert isinstance(alert, Alert)
    json.dumps(alert.to_dict())


@settings(max_examples=400, deadline=None)
@given(_OBJECTS)
def test_random_objects_give_an_alert_or_an_input_error(obj: dict[str, Any]) -> None:
    _only_input_errors(obj)


def _shape_files() -> list[Path]:
    return sorted(path for path in shapes_dir().rglob("*") if path.is_file())


def _samples() -> list[dict[str, Any]]:
    found = generate_alerts(21, seed=1)  # holds every format with a sample generator
    found += [vendor_sample(name) for name in _VENDOR_FILES]
    for rule_file in _PANTHER_FILES:
        found += [test["Log"] for test in panther_tests(rule_file)]
    for path in _shape_files():
        found += read_alerts(path.read_bytes())
    return found


_SAMPLES = _samples()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += _paths(item, (*prefix, index))
    return paths


@st.composite
def _mutated_sample(draw: st.DrawFn) -> dict[str, Any]:
    """A real alert with a few fields replaced by random JSON or removed."""
    sample: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(_SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = [p for p in _paths(sample) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = sample
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(_JSON)
    return sample


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_sample())
def test_mutated_real_alerts_give_an_alert_or_an_input_error(obj: dict[str, Any]) -> None:
    _only_input_errors(obj)


def test_every_format_is_among_the_fuzzed_samples() -> None:
    vendors = set()
    for sample in _SAMPLES:
        try:
            vendors.add(detect_vendor(sample).name)
        except InputError:
            continue  # the labelled non-alerts are fuzzed too
    assert vendors == {normalizer.name for normalizer in BUILTIN_NORMALIZERS}


@pytest.mark.parametrize("path", _shape_files(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_each_real_shaped_sample_is_claimed_by_exactly_one_normaliser(path: Path) -> None:
    samples = list(read_alerts(path.read_bytes()))
    assert len(samples) >= 3
    for sample in samples:
        claimed = [n.name for n in BUILTIN_NORMALIZERS if n.detect(sample)]
        assert claimed == [path.parent.name]
        alert = normalize(sample)
        assert alert.vendor == path.parent.name
        assert alert.unmapped is not None


def test_the_other_labelled_samples_are_claimed_by_exactly_one_normaliser() -> None:
    for sample in _SAMPLES:
        claimed = [n.name for n in BUILTIN_NORMALIZERS if n.detect(sample)]
        assert len(claimed) <= 1, claimed


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_random_documents_read_and_normalised_give_alerts_or_an_input_error(value: Any) -> None:
    try:
        data = json.dumps(value).encode()
    except ValueError:
        return
    try:
        for where, alert in normalized_alerts(data):
            assert where and isinstance(alert, Alert)
    except InputError:
        return


def test_python_values_that_are_not_json_are_refused() -> None:
    event = vendor_sample("falco.json")
    event["output_fields"]["when"] = object()
    with pytest.raises(InputError, match="not JSON"):
        normalize(event)
    event = vendor_sample("guardduty.json")
    event["detail"]["severity"] = float("nan")
    with pytest.raises(InputError, match="NaN or Infinity at"):
        normalize(event)


def test_an_unrecognised_item_is_named_by_its_array_index_and_line() -> None:
    good = json.dumps(vendor_sample("falco.json"))
    data = f'[\n{good},\n{{"foo": 1}}\n]'.encode()
    with pytest.raises(InputError) as raised:
        list(normalized_alerts(data))
    assert str(raised.value) == ("item 1 (line 3): unrecognised alert format; keys seen: 'foo'.")


def test_an_unrecognised_line_is_named_in_json_lines() -> None:
    good = json.dumps(vendor_sample("falco.json"))
    data = f'{good}\n\n{good}\n{{"foo": 1}}\n'.encode()
    with pytest.raises(InputError, match=r"^line 4: unrecognised alert format; keys seen: 'foo'"):
        list(normalized_alerts(data))
    located = list(normalized_alerts(f"{good}\n{good}\n".encode()))
    assert [where for where, _ in located] == ["line 1", "line 2"]
    assert all(alert.unmapped is not None for _, alert in located)


def test_a_bad_single_alert_names_its_line() -> None:
    with pytest.raises(InputError, match=r"^the alert \(line 2\): unrecognised"):
        list(normalized_alerts(b'\n{"foo": 1}'))
