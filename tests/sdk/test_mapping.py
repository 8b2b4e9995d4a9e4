"""The tool mapping shared by the gateways and adapters: templates name arguments only,
bad files are refused with a message naming where, nothing is evaluated."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.errors import InputError
from affidavit.sdk import ToolMapping
from affidavit.sdk.mapping import MAX_MAPPING_BYTES

GOOD = """
unmapped: allow
tools:
  isolate_host:
    action: isolate_host
    target: "host:{hostname}"
    params: {comment: "{reason}", allow_ips: "{allow}", fixed: 3, note: "by {who.name}"}
    rationale: "{reason}"
    confidence: "{confidence}"
"""


def test_apply_builds_target_params_and_keeps_types() -> None:
    spec = ToolMapping.parse(GOOD).get("isolate_host")
    assert spec is not None
    mapped = spec.apply(
        {
            "hostname": "pc-1",
            "reason": "C2",
            "allow": ["10.0.0.1"],
            "who": {"name": "triage"},
            "confidence": 0.8,
        }
    )
    assert mapped.action == "isolate_host" and mapped.target == "host:pc-1"
    assert mapped.params == {
        "comment": "C2",
        "allow_ips": ["10.0.0.1"],
        "fixed": 3,
        "note": "by triage",
    }
    assert (mapped.rationale, mapped.confidence) == ("C2", 0.8)


def test_missing_arguments() -> None:
    spec = ToolMapping.parse(GOOD).get("isolate_host")
    assert spec is not None
    bare = spec.apply({"hostname": "pc-1"})
    assert bare.params == {"fixed": 3} and bare.rationale == "" and bare.confidence is None
    for bad in ({}, {"hostname": None}, {"hostname": {"x": 1}}, {"hostname": [1]}):
        with pytest.raises(InputError, match="argument 'hostname' is needed for the target"):
            spec.apply(bad)
    assert spec.apply({"hostname": "h", "confidence": 7}).confidence is None  # out of 0..1
    assert spec.apply({"hostname": "h", "confidence": True}).confidence is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b", "must be a mapping"),
        ("tools: [1]", "tools must map tool names"),
        ("unmapped: maybe", "unmapped must be deny or allow"),
        ("other: 1", "unknown keys other"),
        ("tools: {t: {action: x, target: 'host:{h}', run: 'rm -rf /'}}", "unknown keys run"),
        ("tools: {t: {action: 'X Y', target: 'host:{h}'}}", "action must be a catalog action id"),
        ("tools: {t: {action: x, target: nokind}}", "target must be a KIND"),
        ("tools: {t: {action: x, target: 'host:{h}', params: [1]}}", "params must be a mapping"),
        ("tools: {'bad name!': {action: x, target: 'host:{h}'}}", "a tool name is 1-128"),
        (
            "tools: {t: {action: x, target: 'host:{h}', params: {a: !!python/object:os.system x}}}",
            "not valid YAML",
        ),
        ("tools: {t: notamapping}", "must be a mapping with action and target"),
        ("{{{", "not valid YAML"),
    ],
)
def test_bad_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ToolMapping.parse(text, "tools.yaml")


def test_load_limits(tmp_path: Path) -> None:
    assert ToolMapping.load(_write(tmp_path, "")).unmapped == "deny"  # empty: deny all
    with pytest.raises(InputError, match="larger than"):
        ToolMapping.load(_write(tmp_path, "#" * (MAX_MAPPING_BYTES + 1)))
    with pytest.raises(InputError, match="cannot read mapping file"):
        ToolMapping.load(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"tools: {t\xe9: 1}")
    with pytest.raises(InputError, match="not UTF-8"):
        ToolMapping.load(bad)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return path


@given(
    st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=20), st.integers(), st.none()))
)
def test_templates_never_evaluate_anything(arguments: dict[str, object]) -> None:
    """Whatever the arguments, a template yields their text or refuses; format specs,
    attribute access and indexing in argument values are never interpreted."""
    spec = ToolMapping.parse("tools: {t: {action: x, target: 'ip:{ip}', rationale: '{ip}'}}").get(
        "t"
    )
    assert spec is not None
    arguments = {**arguments, "ip": "{0.__class__}{ip!r}"}
    mapped = spec.apply(arguments)
    assert mapped.target == "ip:{0.__class__}{ip!r}"
    assert mapped.rationale == "{0.__class__}{ip!r}"
