"""Targets are canonical (issue 9, item 10): another spelling or another name of an
inventory asset gets that asset's policy, never the policy of an unknown target."""

from __future__ import annotations

import pytest
from tests.governance.conftest import Cast

from affidavit.errors import InputError
from affidavit.governance.governor import Governor
from affidavit.policy import Asset

FORBID_DCS = (
    '\n@id("never-isolate-a-domain-controller")\n'
    "forbid (principal, action, resource)\n"
    'when { resource.tags.contains("domain_controller") };\n'
)


@pytest.fixture
def dc_gov(gov: Governor) -> Governor:
    gov.import_inventory(
        [
            Asset(
                id="dc01",
                kind="host",
                criticality="low",
                environment="prod",
                tags=("domain_controller",),
            ),
            Asset(
                id="dc02.corp.example",
                kind="host",
                criticality="low",
                environment="prod",
                tags=("domain_controller",),
                aliases=("EDR-7781",),
            ),
            Asset(
                id="dc03",
                kind="host",
                criticality="low",
                environment="prod",
                tags=("domain_controller",),
                aliases=("dc03.corp.example",),
            ),
        ],
        source="test",
    )
    gov.publish_policy(gov.active_policy()[1] + FORBID_DCS)
    return gov


@pytest.mark.parametrize(
    "target",
    [
        "host:dc01",
        "host:DC01",
        "host:Dc01.",
        "host:DC02.CORP.EXAMPLE",
        "host:dc02",  # the short name of a host known by its FQDN
        "host:edr-7781",  # an EDR id listed as an alias
        "host:DC03.corp.example",  # an FQDN listed as an alias
    ],
)
def test_other_spellings_and_names_meet_the_forbid(
    dc_gov: Governor, cast: Cast, target: str
) -> None:
    proposal = dc_gov.propose(cast.alice, case="C", action="isolate_host", target=target)
    assert (proposal.effect, proposal.status) == ("deny", "denied"), target
    assert proposal.target in ("host:dc01", "host:dc02.corp.example", "host:dc03")


def test_an_unlisted_fqdn_of_a_known_short_name_is_refused(dc_gov: Governor, cast: Cast) -> None:
    with pytest.raises(InputError, match="not in the inventory") as raised:
        dc_gov.propose(cast.alice, case="C", action="isolate_host", target="host:dc01.corp.example")
    assert "corp.example" not in str(raised.value)  # the rejected value is not echoed
    # Another domain's host with the short name of an FQDN in the inventory, too.
    with pytest.raises(InputError):
        dc_gov.propose(cast.alice, case="C", action="isolate_host", target="host:dc02.evil.example")


def test_an_alias_two_assets_claim_is_refused(dc_gov: Governor, cast: Cast) -> None:
    dc_gov.import_inventory(
        [
            Asset(
                id="pc-9", kind="host", criticality="low", environment="prod", aliases=("edr-7781",)
            )
        ],
        source="test",
    )
    with pytest.raises(InputError, match="alias of 2 assets"):
        dc_gov.propose(cast.alice, case="C", action="isolate_host", target="host:EDR-7781")


def test_other_kinds_fold_as_documented(dc_gov: Governor, cast: Cast) -> None:
    ip = dc_gov.propose(cast.alice, case="C", action="block_ip", target="ip:2001:DB8:0::1")
    assert ip.target == "ip:2001:db8::1"
    user = dc_gov.propose(
        cast.alice, case="C", action="disable_account", target="user:Alice@Corp.Example"
    )
    assert user.target == "user:alice@corp.example"


def test_the_tables_still_equal_the_projection(dc_gov: Governor) -> None:
    from affidavit.governance import rebuild

    with dc_gov.ledger.db.read() as conn:
        live = rebuild.snapshot(conn)
    with rebuild.replay_scratch(dc_gov.ledger) as conn:
        assert rebuild.snapshot(conn) == live
    assert ("host", "dc02", "dc02.corp.example") in live["asset_aliases"]
