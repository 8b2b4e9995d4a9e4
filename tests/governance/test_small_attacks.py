"""Small attacks at the gate (issue 9, item 11): each failed on the code before the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.governance.conftest import Cast, Clock, make_governor

from affidavit.config import Settings
from affidavit.connectors import InMemoryConnector, load_connector_config
from affidavit.errors import AffidavitError, InputError, PolicyError
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger


@pytest.fixture
def manual(
    ledger: Ledger, settings: Settings, clock: Clock, connectors: dict[str, InMemoryConnector]
) -> Governor:
    return make_governor(ledger, settings, clock, connectors, auto_execute=False)


def test_republishing_an_old_bundle_does_not_revive_a_voided_authorization(
    manual: Governor, connectors: dict[str, InMemoryConnector]
) -> None:
    from tests.governance.conftest import add_cast

    cast = add_cast(manual)
    bundle_a = manual.active_policy()[1] + "\n// A\n"
    manual.publish_policy(bundle_a)
    proposal = manual.propose(
        cast.triage, case="C", action="enrich_ip_reputation", target="ip:203.0.113.7"
    )
    assert proposal.status == "authorized"
    manual.publish_policy(bundle_a + "// B\n")
    with pytest.raises(PolicyError):
        manual.execute(proposal.id)
    manual.publish_policy(bundle_a)  # A again: the same text, the same hash
    with pytest.raises(PolicyError, match="published"):
        manual.execute(proposal.id)
    assert connectors["intel"].executed == []
    fresh = manual.propose(
        cast.triage, case="C", action="enrich_ip_reputation", target="ip:203.0.113.7"
    )
    assert manual.execute(fresh.id) == "executed"  # decided under A's new publication


def test_a_configuration_published_after_the_decision_voids_its_authorization(
    manual: Governor, connectors: dict[str, InMemoryConnector]
) -> None:
    # regression: publishing a configuration (which can move an action's tier or
    # quorum) left authorizations decided under the old one usable
    from tests.conftest import configure
    from tests.governance.conftest import add_cast

    cast = add_cast(manual)
    proposal = manual.propose(
        cast.triage, case="C", action="enrich_ip_reputation", target="ip:203.0.113.7"
    )
    assert proposal.status == "authorized"
    configure(manual, auto_execute=False, authorization_ttl_s=1800)
    with pytest.raises(PolicyError, match="governance configuration was published"):
        manual.execute(proposal.id)
    assert connectors["intel"].executed == []
    fresh = manual.propose(
        cast.triage, case="C", action="enrich_ip_reputation", target="ip:203.0.113.7"
    )
    assert manual.execute(fresh.id) == "executed"
    assert manual.ledger.verify().size > 0


def _deep(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("levels", [40, 5_000, 100_000])
def test_deeply_nested_params_are_refused_through_the_api_path(
    gov: Governor, cast: Cast, levels: int
) -> None:
    size = gov.ledger.verify().size
    with pytest.raises(InputError, match="nests deeper than"):
        gov.propose(
            cast.alice,
            case="C",
            action="notify_owner",
            target="host:pc-1",
            params={"message": _deep(levels)},
        )
    assert gov.ledger.verify().size == size


BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("char", BIDI)
def test_free_text_with_bidi_overrides_is_refused(gov: Governor, cast: Cast, char: str) -> None:
    with pytest.raises(InputError, match="bidirectional") as raised:
        gov.propose(
            cast.alice,
            case="C",
            action="isolate_host",
            target="host:pc-1",
            rationale=f"isolate {char}1 tsoh{char} now",
        )
    assert char not in str(raised.value)
    with pytest.raises(InputError, match="bidirectional"):
        gov.propose(
            cast.alice,
            case="C",
            action="notify_owner",
            target="host:pc-1",
            params={"message": f"hello {char}dlrow"},
        )
    pending = gov.propose(cast.alice, case="C", action="isolate_host", target="host:pc-1")
    with pytest.raises(InputError, match="bidirectional"):
        gov.approve(cast.bob, pending.id, rationale=f"fine{char}")


@pytest.mark.parametrize(
    "text",
    [
        "webhook: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "webhook:\n" + "".join(" " * i + "k:\n" for i in range(1, 1400)),
    ],
)
def test_deep_connector_settings_are_one_clear_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "connectors.yaml"
    path.write_text(text)
    with pytest.raises(AffidavitError, match="nested too deeply") as raised:
        load_connector_config(path)
    assert "\n" not in str(raised.value)
