"""Tests for affidavit.policy.catalog and action_spec: loading, extension, parameters, targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from affidavit.errors import InputError
from affidavit.policy.action_spec import TIERS, ActionSpec
from affidavit.policy.catalog import MAX_CATALOG_BYTES, STABLE_ACTIONS, Catalog
from affidavit.policy.targets import Target

REQUIRED_IDS = {
    "enrich_ip_reputation": 0,
    "add_case_note": 1,
    "isolate_host": 2,
    "block_ip": 2,
    "disable_account": 3,
    "revoke_sessions": 3,
    "wipe_host": 4,
}

EXTRA_ACTION = """
actions:
  - id: snapshot_vm
    name: Snapshot VM
    description: Take a forensic snapshot of a virtual machine.
    tier: 0
    target_kinds: [vm]
    reversible: true
    connector: hypervisor
    params:
      type: object
      properties:
        label: {type: string, maxLength: 40}
      required: [label]
      additionalProperties: false
"""


def _action(**overrides: Any) -> dict[str, Any]:
    action: dict[str, Any] = {
        "id": "snapshot_vm",
        "name": "Snapshot VM",
        "description": "Take a snapshot.",
        "tier": 0,
        "target_kinds": ["vm"],
        "reversible": True,
        "connector": "hypervisor",
    }
    action.update(overrides)
    return action


def _yaml(*actions: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump({"actions": list(actions)})


# ---- the shipped catalog ---------------------------------------------------------------


def test_shipped_catalog_has_the_stable_actions_without_required_params() -> None:
    catalog = Catalog.default()
    assert dict(STABLE_ACTIONS) == REQUIRED_IDS
    for action_id, tier in REQUIRED_IDS.items():
        action = catalog.get(action_id)
        assert action.tier == tier
        assert not action.params_schema.get("required")
        catalog.validate_params(action_id, {})  # no parameter needed


def test_shipped_catalog_is_rich_and_consistent() -> None:
    catalog = Catalog.default()
    assert len(catalog) >= 14
    assert {action.tier for action in catalog} == set(TIERS)
    connectors = {action.connector for action in catalog}
    assert {
        "edr",
        "idp",
        "firewall",
        "email",
        "ticketing",
        "webhook",
        "intel",
        "case",
    } <= connectors
    for action in catalog:
        Draft202012Validator.check_schema(dict(action.params_schema))
        assert action.params_schema["type"] == "object"
        if action.tier == 4:
            assert action.reversible is False
    for action_id in ("block_domain", "quarantine_file", "kill_process", "force_password_reset"):
        assert action_id in catalog
    assert catalog.get("block_domain").params_schema["required"] == ["ttl_seconds"]


def test_catalog_digest_names_the_content() -> None:
    base = Catalog.default()
    assert len(base.digest) == 64
    assert Catalog.load().digest == base.digest
    assert base.extended(EXTRA_ACTION).digest != base.digest


# ---- unknown actions -------------------------------------------------------------------


@pytest.mark.parametrize("action_id", ["format_all_disks", "", "ISOLATE_HOST", "tier_2", None, 7])
def test_unknown_action_is_refused(action_id: object) -> None:
    catalog = Catalog.default()
    with pytest.raises(InputError, match="unknown action"):
        catalog.get(action_id)
    assert action_id not in catalog
    with pytest.raises(InputError, match="unknown action"):
        catalog.validate_params(action_id, {})  # type: ignore[arg-type]


# ---- extension -------------------------------------------------------------------------


def test_extension_adds_an_action(tmp_path: Path) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text(EXTRA_ACTION, encoding="utf-8")
    catalog = Catalog.load(path)
    assert len(catalog) == len(Catalog.default()) + 1
    action = catalog.get("snapshot_vm")
    assert (action.tier, action.target_kinds, action.connector) == (0, ("vm",), "hypervisor")
    catalog.validate_params("snapshot_vm", {"label": "before-wipe"})
    with pytest.raises(InputError, match=r"\$ of action 'snapshot_vm'.*required"):
        catalog.validate_params("snapshot_vm", {})
    assert "snapshot_vm" not in Catalog.default()


def test_extension_overrides_an_action_as_a_whole() -> None:
    override = _action(
        id="isolate_host",
        name="Isolate host (CrowdStrike)",
        tier=2,
        target_kinds=["host"],
        connector="crowdstrike",
    )
    catalog = Catalog.default().extended(_yaml(override))
    action = catalog.get("isolate_host")
    assert action.connector == "crowdstrike"
    assert action.name == "Isolate host (CrowdStrike)"
    with pytest.raises(InputError, match="comment"):  # params replaced by the default: none
        catalog.validate_params("isolate_host", {"comment": "x"})


def test_later_files_win(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(_yaml(_action(connector="one")), encoding="utf-8")
    second.write_text(_yaml(_action(connector="two")), encoding="utf-8")
    assert Catalog.load(first, second).get("snapshot_vm").connector == "two"


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"id": "isolate_host", "tier": 1, "target_kinds": ["host"]}, "must stay at tier 2"),
        ({"id": "wipe_host", "tier": 3, "target_kinds": ["host"]}, "must stay at tier 4"),
        (
            {
                "id": "block_ip",
                "tier": 2,
                "target_kinds": ["ip"],
                "params": {"type": "object", "required": ["ttl_seconds"]},
            },
            "must not require any parameter",
        ),
    ],
)
def test_extension_cannot_break_the_stable_actions(override: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        Catalog.default().extended(_yaml(_action(**override)), source="mine.yaml")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("actions: [", "not valid YAML"),
        ("- id: x", "a mapping with a list under 'actions'"),
        ("actions: {}", "a mapping with a list under 'actions'"),
        ("actions: []\nversion: 2", "unknown top-level keys"),
        (_yaml(_action(), _action()), "defined twice"),
        (_yaml(_action(tier=5)), "tier must be an integer from 0 to 4"),
        (_yaml(_action(tier="2")), "tier must be an integer"),
        (_yaml(_action(tier=True)), "tier must be an integer"),
        (_yaml(_action(id="Snapshot-VM")), "action id"),
        (_yaml(_action(id="tier_2")), "reserved"),
        (_yaml(_action(target_kinds=[])), "at least one target kind"),
        (_yaml(_action(target_kinds="vm")), "target_kinds must be a list"),
        (_yaml(_action(target_kinds=["vm", "vm"])), "twice"),
        (_yaml(_action(target_kinds=["Virtual Machine"])), "target kind"),
        (_yaml(_action(reversible="yes")), "reversible must be true or false"),
        (_yaml(_action(connector="")), "connector"),
        (_yaml(_action(name="")), "name must not be empty"),
        (_yaml(_action(description="bad\x07bell")), "control"),
        (_yaml(_action(colour="red")), "unknown keys"),
        (_yaml({"id": "snapshot_vm"}), "missing keys"),
        (_yaml(_action(params={"type": "array"})), '"type": "object"'),
        (_yaml(_action(params={"type": "object", "minProperties": -1})), "not a valid JSON Schema"),
        (
            _yaml(_action(params={"type": "object", "properties": {"a": {"type": "strin"}}})),
            r"not a valid JSON Schema at \$\.properties\.a\.type",
        ),
        (_yaml(_action(params=[1])), "params must be a JSON Schema object"),
        (
            _yaml(_action(params={"type": "object", "$ref": "https://evil.example/s.json"})),
            "local references",
        ),
        (
            _yaml(_action(params={"$schema": "http://json-schema.org/draft-04/schema#"})),
            "Draft 2020-12",
        ),
    ],
)
def test_bad_catalog_files_are_refused_with_the_action_named(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as caught:
        Catalog.default().extended(text, source="mine.yaml")
    assert caught.value.message.startswith("mine.yaml")


def test_catalog_files_are_size_limited(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("actions: []\n" + "#" * MAX_CATALOG_BYTES, encoding="utf-8")
    with pytest.raises(InputError, match="larger than"):
        Catalog.load(path)
    with pytest.raises(InputError, match="cannot read"):
        Catalog.load(tmp_path / "missing.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"actions: [\xff]")
    with pytest.raises(InputError, match="not UTF-8"):
        Catalog.load(binary)


def test_a_catalog_without_the_stable_actions_is_refused() -> None:
    with pytest.raises(InputError, match="must define the stable action"):
        Catalog([ActionSpec("snapshot_vm", "Snap", "Snap.", 0, ("vm",), True, "hv")])


def test_action_spec_schema_is_a_private_read_only_copy() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "integer"}}}
    action = ActionSpec("snapshot_vm", "Snap", "Snap.", 0, ("vm",), True, "hv", schema)
    schema["properties"]["a"]["type"] = "string"
    assert action.params_schema["properties"]["a"]["type"] == "integer"
    with pytest.raises(TypeError):
        action.params_schema["type"] = "array"  # type: ignore[index]
    assert action.to_dict()["params"] == {
        "type": "object",
        "properties": {"a": {"type": "integer"}},
    }


# ---- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action_id", "params", "path"),
    [
        ("block_ip", {"ttl_seconds": "1 day"}, r"\$\.ttl_seconds"),
        ("block_ip", {"ttl_seconds": 5}, r"\$\.ttl_seconds"),
        ("block_ip", {"direction": "sideways"}, r"\$\.direction"),
        ("block_ip", {"ttl": 60}, r"\$ "),
        ("isolate_host", {"allow_ips": ["10.0.0.1", "not-an-ip"]}, r"\$\.allow_ips\[1\]"),
        ("block_domain", {}, r"\$ .*ttl_seconds.*required"),
        ("delete_mailbox_items", {"message_ids": []}, r"\$\.message_ids"),
        ("kill_process", {"pid": 0}, r"\$\.pid"),
    ],
)
def test_schema_violations_name_the_json_path(
    action_id: str, params: dict[str, Any], path: str
) -> None:
    with pytest.raises(InputError, match=f"parameter {path}"):
        Catalog.default().validate_params(action_id, params)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ([], "must be a JSON object"),
        ("ttl=60", "must be a JSON object"),
        (None, "must be a JSON object"),
        ({"ttl_seconds": float("nan")}, "NaN"),
        ({"ttl_seconds": 2**60}, r"2\*\*53|integer|range"),
        ({"comment": "x" * 70_000}, "bytes as JSON; the limit"),
        ({1: "x"}, "keys must be str"),
        ({"comment": b"bytes"}, "not a JSON type"),
    ],
)
def test_non_json_or_oversized_params_are_refused(params: object, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        Catalog.default().validate_params("block_ip", params)


def test_valid_params_pass() -> None:
    catalog = Catalog.default()
    catalog.validate_params("block_ip", {"ttl_seconds": 3600, "direction": "both"})
    catalog.validate_params("block_domain", {"ttl_seconds": 600, "include_subdomains": True})
    catalog.validate_params("isolate_host", {"allow_ips": ["10.0.0.1"], "comment": "C2"})
    catalog.validate_params("delete_mailbox_items", {"message_ids": ["<a@b.example>"]})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
PARAM_NAMES = st.sampled_from(
    ["ttl_seconds", "comment", "pid", "direction", "message_ids", "allow_ips", "text", "sources"]
)


@given(
    st.sampled_from(Catalog.default().ids),
    st.dictionaries(PARAM_NAMES | st.text(max_size=8), JSON, max_size=4) | JSON,
)
def test_random_params_are_valid_or_an_input_error(action_id: str, params: object) -> None:
    refused: InputError | None = None
    try:
        Catalog.default().validate_params(action_id, params)
    except InputError as exc:
        refused = exc
    if refused is None:
        assert isinstance(params, dict)
    else:
        assert f"action '{action_id}'" in refused.message


# ---- targets ---------------------------------------------------------------------------


def test_target_kind_must_fit_the_action() -> None:
    catalog = Catalog.default()
    catalog.check_target("isolate_host", Target("host", "pc-1"))
    catalog.check_target("create_ticket", Target("user", "bob@corp.example"))
    with pytest.raises(InputError, match="applies to host targets, not to ip"):
        catalog.check_target("isolate_host", Target("ip", "203.0.113.7"))
    with pytest.raises(InputError, match="unknown action"):
        catalog.check_target("nope", Target("host", "pc-1"))


SECRET = "AKIAZ3Q4LMN2PR7STYVW"


@pytest.mark.parametrize(
    ("action_id", "params"),
    [
        ("block_ip", {"ttl_seconds": SECRET}),
        ("block_ip", {"direction": SECRET}),
        ("isolate_host", {"allow_ips": ["10.0.0.1", SECRET]}),
        ("add_case_note", {"text": SECRET * 1001}),
    ],
)
def test_a_rejected_parameter_value_is_never_echoed(action_id: str, params: dict[str, Any]) -> None:
    """Issue 9, item 5: jsonschema's messages quoted the rejected value."""
    with pytest.raises(InputError) as raised:
        Catalog.default().validate_params(action_id, params)
    assert SECRET not in str(raised.value)
    assert "the value is not shown" in str(raised.value)
