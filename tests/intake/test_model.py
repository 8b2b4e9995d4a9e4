from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.errors import InputError
from affidavit.intake import Alert, Entity, EntityKind, Severity
from affidavit.intake._time import parse_timestamp


def _alert(**changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "vendor": "falco",
        "vendor_alert_id": "a-1",
        "title": "Terminal shell in container",
        "severity": Severity.LOW,
        "created": datetime(2025, 3, 3, 8, 0, tzinfo=UTC),
        "raw": {"rule": "Terminal shell in container", "nested": {"list": [1, 2.5, None]}},
    }
    fields.update(changes)
    return Alert(**fields)


@pytest.mark.parametrize(
    ("kind", "value", "canonical"),
    [
        (EntityKind.HOST, "PC-Sales-0215.Corp.Example.", "pc-sales-0215.corp.example"),
        (EntityKind.IP, " 2001:DB8:0:0:0:0:0:1 ", "2001:db8::1"),
        (EntityKind.IP, "10.0.1.142", "10.0.1.142"),
        (EntityKind.DOMAIN, "Example.ORG", "example.org"),
        (EntityKind.DOMAIN, "bücher.example", "xn--bcher-kva.example"),
        (EntityKind.FILE, "AB" * 32, "ab" * 32),
        (EntityKind.EMAIL, "Alice@Corp.Example", "alice@corp.example"),
        (EntityKind.USER, " CORP\\alice ", "CORP\\alice"),
        (
            EntityKind.URL,
            "https://cdn-update.example.net/a?b=1",
            "https://cdn-update.example.net/a?b=1",
        ),
        (EntityKind.PROCESS, "net user backup P@ssw0rd! /add", "net user backup P@ssw0rd! /add"),
        (EntityKind.CLOUD_RESOURCE, "arn:aws:s3:::bucket", "arn:aws:s3:::bucket"),
    ],
)
def test_entity_values_are_canonical(kind: EntityKind, value: str, canonical: str) -> None:
    assert Entity(kind, value).value == canonical


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (EntityKind.IP, "10.0.0.256"),
        (EntityKind.HOST, "bad host"),
        (EntityKind.DOMAIN, "localhost"),
        (EntityKind.FILE, "0" * 64),  # CrowdStrike's "unknown hash"
        (EntityKind.FILE, "xyz"),
        (EntityKind.FILE, "a" * 63),
        (EntityKind.EMAIL, "not-an-address"),
        (EntityKind.URL, "/relative/path"),
        (EntityKind.USER, "bad\nname"),
        (EntityKind.PROCESS, "   "),
        (EntityKind.HOST, "x" * 300),
    ],
)
def test_invalid_entity_values_are_refused(kind: EntityKind, value: str) -> None:
    with pytest.raises(InputError, match=f"not a valid {kind.value} entity value"):
        Entity(kind, value)


def test_entity_kind_and_role_are_checked() -> None:
    assert Entity("host", "srv-db-01").kind is EntityKind.HOST  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown entity kind"):
        Entity("printer", "x")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="role"):
        Entity(EntityKind.HOST, "srv-db-01", "Not A Role")
    with pytest.raises(InputError, match="32 KiB"):
        Entity(EntityKind.PROCESS, "x" * (32 * 1024 + 1))


def test_alert_validates_its_fields() -> None:
    with pytest.raises(InputError, match="title"):
        _alert(title="  ")
    with pytest.raises(InputError, match="timezone-aware"):
        _alert(created=datetime(2025, 3, 3, 8, 0))
    with pytest.raises(InputError, match="ATT&CK"):
        _alert(techniques=("T12",))
    with pytest.raises(InputError, match="severity"):
        _alert(severity="urgent")
    with pytest.raises(InputError, match="raw severity"):
        _alert(severity_raw=float("nan"))
    with pytest.raises(InputError, match="NaN"):
        _alert(raw={"x": float("inf")})
    with pytest.raises(InputError, match="not JSON"):
        _alert(raw={"x": datetime(2025, 1, 1, tzinfo=UTC)})
    with pytest.raises(InputError, match="key that is not text"):
        _alert(raw={1: "x"})
    with pytest.raises(InputError, match="Entity objects"):
        _alert(entities=("host",))


def test_creation_time_out_of_range_is_an_input_error() -> None:
    with pytest.raises(InputError, match="out of range"):
        _alert(created=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))


@given(st.datetimes(timezones=st.just(UTC)))
def test_exported_creation_time_reads_back_and_sorts(moment: datetime) -> None:
    text = _alert(created=moment).to_dict()["created"]
    assert len(text) == 27
    assert parse_timestamp(text) == moment
    later = _alert(created=moment + timedelta(microseconds=1)) if moment.year < 9999 else None
    if later is not None:
        assert later.to_dict()["created"] > text


def test_alert_normalises_values() -> None:
    created = datetime(2025, 3, 3, 17, 0, tzinfo=timezone(timedelta(hours=9)))
    alert = _alert(severity="high", created=created, techniques=("T1059", "T1059"), title=" t ")
    assert alert.severity is Severity.HIGH
    assert alert.created == datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    assert alert.created.tzinfo is UTC
    assert alert.techniques == ("T1059",)
    assert alert.title == "t"


def test_entities_are_deduplicated_keeping_order_and_the_first_role() -> None:
    alert = _alert(
        entities=(
            Entity(EntityKind.IP, "203.0.113.5"),
            Entity(EntityKind.HOST, "SRV-DB-01", "impacted"),
            Entity(EntityKind.IP, "203.0.113.5", "remote"),
            Entity(EntityKind.HOST, "srv-db-01", "source"),
        )
    )
    assert alert.entities == (
        Entity(EntityKind.IP, "203.0.113.5", "remote"),
        Entity(EntityKind.HOST, "srv-db-01", "impacted"),
    )
    assert alert.entities_of(EntityKind.IP) == (Entity(EntityKind.IP, "203.0.113.5", "remote"),)


def test_raw_is_a_private_copy_and_to_dict_is_json() -> None:
    raw: dict[str, Any] = {"rule": "r", "nested": {"list": [1, 2]}}
    alert = _alert(raw=raw, entities=(Entity(EntityKind.USER, "alice"),), severity_raw=3)
    raw["nested"]["list"].append(3)
    assert alert.raw == {"rule": "r", "nested": {"list": [1, 2]}}
    exported = alert.to_dict()
    exported["raw"]["rule"] = "changed"
    assert alert.raw["rule"] == "r"
    assert json.loads(json.dumps(exported)) == exported
    assert exported["created"] == "2025-03-03T08:00:00.000000Z"
    assert exported["entities"] == [{"kind": "user", "value": "alice", "role": None}]
    assert exported["severity"] == "low"
    assert exported["severity_raw"] == 3


def test_alerts_are_frozen_and_hashable() -> None:
    alert = _alert()
    with pytest.raises(AttributeError):
        alert.title = "x"  # type: ignore[misc]
    assert hash(alert) == hash(_alert())


def test_severity_rank_orders_levels() -> None:
    assert [s.rank for s in Severity] == [0, 1, 2, 3, 4]
    assert max([Severity.LOW, Severity.CRITICAL, Severity.HIGH], key=lambda s: s.rank) is (
        Severity.CRITICAL
    )


@given(st.ip_addresses())
def test_ip_entities_compare_by_address(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    spelled = address.exploded.upper()
    assert Entity(EntityKind.IP, spelled) == Entity(EntityKind.IP, str(address))


_ROLES = st.sampled_from([None, "actor", "remote"])
_ENTITY = st.builds(
    Entity, st.just(EntityKind.IP), st.sampled_from(["10.0.0.1", "10.0.0.2"]), _ROLES
) | st.builds(Entity, st.just(EntityKind.USER), st.sampled_from(["alice", "10.0.0.1"]), _ROLES)


@given(st.lists(_ENTITY, max_size=12))
def test_dedupe_keeps_one_of_each_kind_and_value(entities: list[Entity]) -> None:
    kept = _alert(entities=tuple(entities)).entities
    keys = [(e.kind, e.value) for e in kept]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(e.kind, e.value) for e in entities}
    for entity in kept:
        roles = [e.role for e in entities if (e.kind, e.value) == (entity.kind, entity.value)]
        assert entity.role == next((role for role in roles if role is not None), None)
