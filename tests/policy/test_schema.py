"""Tests for affidavit.policy.schema: the Cedar schema follows the catalog."""

from __future__ import annotations

import cedarpy

from affidavit.policy.catalog import Catalog
from affidavit.policy.schema import cedar_schema, cedar_schema_text

EXTRA = """
actions:
  - id: snapshot_vm
    name: Snapshot VM
    description: Take a forensic snapshot of a virtual machine.
    tier: 3
    target_kinds: [vm]
    reversible: true
    connector: hypervisor
"""


def test_every_catalog_action_is_declared_in_its_tier_group() -> None:
    catalog = Catalog.default().extended(EXTRA)
    text = cedar_schema_text(catalog)
    for tier in range(5):
        assert f'action "tier_{tier}";' in text
    for action in catalog:
        assert f'action "{action.id}" in [Action::"tier_{action.tier}"]' in text
    assert 'action "snapshot_vm" in [Action::"tier_3"]' in text
    assert "snapshot_vm" not in cedar_schema_text(Catalog.default())


def test_the_parsed_schema_is_reused_and_validates_policies() -> None:
    catalog = Catalog.default()
    assert cedar_schema(catalog) is cedar_schema(Catalog.default())
    result = cedarpy.validate_policies(
        'permit (principal is Agent, action in Action::"tier_2", resource) '
        "when { principal.scopes.contains(context.action_id) && resource.known };",
        cedar_schema(catalog),
    )
    assert result.validation_passed, result.errors
