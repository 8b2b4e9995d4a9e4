"""Tests for affidavit.policy.bundle: validation at publish, annotations, hashing."""

from __future__ import annotations

import hashlib

import pytest

from affidavit.errors import InputError
from affidavit.policy.bundle import MAX_POLICY_BYTES, PolicyBundle, Requirements
from affidavit.policy.catalog import Catalog

PERMIT_TIER_2 = """
@id("containment")
@description("Containment needs one approver.")
@approvals("1")
permit (principal, action in Action::"tier_2", resource)
when { resource.criticality != "low" };
"""

SNAPSHOT_ACTION = """
actions:
  - id: snapshot_vm
    name: Snapshot VM
    description: Take a forensic snapshot of a virtual machine.
    tier: 0
    target_kinds: [vm]
    reversible: true
    connector: hypervisor
"""


def _permit(annotations: str, body: str = "permit (principal, action, resource);") -> str:
    return f"{annotations}\n{body}\n"


def test_default_bundle_publishes_and_is_versioned_by_the_hash_of_its_text() -> None:
    bundle = PolicyBundle.default()
    assert bundle.hash == hashlib.sha256(bundle.text.encode("utf-8")).hexdigest()
    assert PolicyBundle.publish(bundle.text).hash == bundle.hash
    assert PolicyBundle(bundle.text + "\n").hash != bundle.hash
    ids = [rule.id for rule in bundle.rules]
    assert len(ids) == len(set(ids))
    assert {"agent-never-tier-4", "agent-within-scope", "tier-4-destructive"} <= set(ids)


def test_rules_carry_their_annotations() -> None:
    bundle = PolicyBundle.publish(
        PERMIT_TIER_2
        + """
@id("lead-only")
@approvals("2")
@approver_roles("approver:soc_manager, approver:ir_lead")
@require_evidence_view("true")
@expires_after("900")
permit (principal, action in Action::"tier_3", resource);

@id("no-agents-on-tier-4")
forbid (principal is Agent, action in Action::"tier_4", resource);
"""
    )
    containment, lead, no_agents = bundle.rules
    assert containment.effect == "permit"
    assert containment.description == "Containment needs one approver."
    assert containment.requirements == Requirements(1)
    assert lead.requirements == Requirements(
        2, ("approver:ir_lead", "approver:soc_manager"), True, 900
    )
    assert (no_agents.effect, no_agents.requirements) == ("forbid", None)
    assert bundle.rule_name(no_agents.cedar_id) == "no-agents-on-tier-4"
    assert bundle.explain(f"policy `{lead.cedar_id}` failed") == "policy `lead-only` failed"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        # typos and type errors caught by Cedar's validator against the schema
        (PERMIT_TIER_2.replace("resource.criticality", "resource.critcality"), "critcality"),
        (
            _permit(
                '@id("p") @approvals("0")',
                "permit (principal, action, resource) when { context.spkie };",
            ),
            "spkie",
        ),
        (
            _permit(
                '@id("p") @approvals("0")',
                'permit (principal, action == Action::"isolate_hots", resource);',
            ),
            "isolate_hots",
        ),
        (
            _permit('@id("p") @approvals("0")', "permit (principal is Robot, action, resource);"),
            "Robot",
        ),
        (
            _permit(
                '@id("p") @approvals("0")',
                "permit (principal, action, resource) when { context.spike > 1 };",
            ),
            "expected Long but saw Bool",
        ),
        (
            _permit(
                '@id("p") @approvals("0")',
                "permit (principal is Human, action, resource) "
                'when { principal.scopes.contains("x") };',
            ),
            "scopes",
        ),
        (
            _permit(
                '@id("p") @approvals("0")',
                'permit (principal, action, resource) when { resource.owner.name == "x" };',
            ),
            "but saw String",
        ),
        (
            _permit(
                '@id("p") @approvals("0")',
                'permit (principal, action, resource) when { context.tier == "2" };',
            ),
            "Long and String are not compatible",
        ),
        # parse errors
        ("permit (principal, action, resource", "does not parse"),
        ("this is not cedar", "does not parse"),
        ("", "contains no policy"),
        ("// only a comment\n", "contains no policy"),
        (
            _permit(
                '@id("t") @approvals("0")', "permit (principal == ?principal, action, resource);"
            ),
            "templates",
        ),
    ],
)
def test_publish_rejects_policies_that_do_not_validate(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        PolicyBundle.publish(text)


def test_schema_errors_name_the_policy_by_its_id() -> None:
    with pytest.raises(InputError, match="`containment`") as caught:
        PolicyBundle.publish(PERMIT_TIER_2.replace("resource.criticality", "resource.critcality"))
    assert "policy0" not in caught.value.message


@pytest.mark.parametrize(
    ("annotations", "fragment"),
    [
        ('@approvals("0")', r"policy #1 \(permit\) needs an @id"),
        ('@id @approvals("0")', "needs a value"),
        ('@id("") @approvals("0")', "must be 1-64"),
        ('@id("has space") @approvals("0")', "must be 1-64"),
        ('@id("p")', 'must state @approvals\\("N"\\)'),
        ('@id("p") @approvals("two")', "whole number from 0 to 10"),
        ('@id("p") @approvals("-1")', "whole number from 0 to 10"),
        ('@id("p") @approvals("11")', "whole number from 0 to 10"),
        ('@id("p") @approvals("01")', "whole number from 0 to 10"),
        ('@id("p") @approvals("")', "whole number from 0 to 10"),
        ('@id("p") @approvals', "needs a value"),
        ('@id("p") @approvals("1") @approver_roles("")', "not a role name"),
        ('@id("p") @approvals("1") @approver_roles("IR Lead")', "not a role name"),
        ('@id("p") @approvals("1") @approver_roles("approver:ir_lead,,x")', "not a role name"),
        ('@id("p") @approvals("1") @require_evidence_view("yes")', '"true" or "false"'),
        ('@id("p") @approvals("1") @expires_after("10")', "from 60 to 2592000"),
        ('@id("p") @approvals("1") @expires_after("1h")', "from 60 to 2592000"),
        ('@id("p") @approvals("1") @expires_after("99999999")', "from 60 to 2592000"),
        ('@id("p") @approval("1")', "unknown annotation @approval"),
        ('@id("p") @approvals("1") @owner("me")', "unknown annotation @owner"),
        ('@id("p") @approvals("1") @description("line\\nbreak")', "@description must be printable"),
    ],
)
def test_publish_checks_annotations(annotations: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        PolicyBundle.publish(_permit(annotations))


@pytest.mark.parametrize(
    "annotation", ['@approvals("0")', '@approver_roles("approver:ir_lead")', '@expires_after("60")']
)
def test_a_forbid_cannot_carry_requirements(annotation: str) -> None:
    with pytest.raises(InputError, match="a forbid cannot carry"):
        PolicyBundle.publish(
            _permit(f'@id("f") {annotation}', "forbid (principal, action, resource);")
        )


def test_policy_ids_must_be_unique() -> None:
    text = _permit('@id("p") @approvals("0")') + _permit('@id("p") @approvals("1")')
    with pytest.raises(InputError, match="ids must be unique"):
        PolicyBundle.publish(text)


def test_policy_text_must_be_a_reasonable_string() -> None:
    with pytest.raises(InputError, match="must be a string"):
        PolicyBundle.publish(b"permit (principal, action, resource);")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not valid Unicode"):
        PolicyBundle.publish('@id("p\ud800") @approvals("0") permit (principal, action, resource);')
    padding = "// " + "x" * MAX_POLICY_BYTES + "\n"
    with pytest.raises(InputError, match="the limit is"):
        PolicyBundle.publish(padding + _permit('@id("p") @approvals("0")'))


def test_actions_from_an_extended_catalog_are_valid_in_policies() -> None:
    text = _permit(
        '@id("snapshots") @approvals("0")',
        'permit (principal, action == Action::"snapshot_vm", resource) when { context.tier == 0 };',
    )
    with pytest.raises(InputError, match="snapshot_vm"):
        PolicyBundle.publish(text)
    extended = Catalog.default().extended(SNAPSHOT_ACTION)
    bundle = PolicyBundle.publish(text, extended)
    assert bundle.catalog is extended
    assert PolicyBundle.publish(
        text.replace('== Action::"snapshot_vm"', 'in Action::"tier_0"'), extended
    )
