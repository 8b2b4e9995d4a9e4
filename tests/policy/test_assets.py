"""Tests for affidavit.policy.assets: the Asset model and CSV/YAML loading."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.errors import InputError
from affidavit.policy.assets import (
    CRITICALITIES,
    MAX_ASSETS_FILE_BYTES,
    Asset,
    load_assets,
    parse_assets,
)
from affidavit.policy.targets import Target

GOOD_CSV = """id,kind,criticality,environment,owner,tags
pc-sales-0215,host,medium,prod,sales-it@corp.example,laptop;sales
dc-01,Host,CRITICAL,Prod,infra@corp.example,domain-controller; tier0 ;
203.0.113.7,ip,low,internet,,

alice@corp.example,user,high,prod,hr@corp.example,vip
"""


def test_asset_model() -> None:
    asset = Asset("pc-1", "host", "high", "prod", "it@corp.example", ("b", "a", "b"))
    assert asset.tags == ("a", "b")  # sorted and de-duplicated
    assert asset.known is True
    assert asset.target == Target("host", "pc-1")
    assert asset.criticality_rank == 2
    assert asset.to_dict() == {
        "id": "pc-1",
        "kind": "host",
        "criticality": "high",
        "environment": "prod",
        "owner": "it@corp.example",
        "tags": ["a", "b"],
        "known": True,
    }
    assert [Asset("x", "host", c, "prod").criticality_rank for c in CRITICALITIES] == [0, 1, 2, 3]


def test_unknown_asset_is_treated_as_critical() -> None:
    asset = Asset.unknown("host", "laptop-77")
    assert (asset.criticality, asset.environment, asset.known) == ("critical", "unknown", False)
    assert asset.criticality_rank == max(
        Asset("x", "host", c, "prod").criticality_rank for c in CRITICALITIES
    )
    with pytest.raises(InputError):
        Asset.unknown("Host", "laptop-77")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"criticality": "severe"}, "criticality 'severe' is not one of"),
        ({"criticality": "High"}, "criticality"),
        ({"environment": "Prod"}, "environment"),
        ({"environment": ""}, "environment"),
        ({"id": ""}, "asset id must not be empty"),
        ({"id": "pc\n1"}, "control"),
        ({"kind": "HOST"}, "asset kind"),
        ({"owner": "x" * 300}, "owner is 300 characters"),
        ({"tags": ("a;b",)}, "';'"),
        ({"tags": "a"}, "tags must be a list"),
        ({"tags": tuple(f"t{i}" for i in range(65))}, "limit is 64"),
        ({"known": "yes"}, "known must be true or false"),
    ],
)
def test_asset_validates_on_construction(kwargs: dict[str, object], fragment: str) -> None:
    fields: dict[str, object] = {
        "id": "pc-1",
        "kind": "host",
        "criticality": "low",
        "environment": "prod",
    }
    fields.update(kwargs)
    with pytest.raises(InputError, match=fragment):
        Asset(**fields)  # type: ignore[arg-type]


def test_loads_csv(tmp_path: Path) -> None:
    path = tmp_path / "assets.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    assets = load_assets(path)
    assert [a.target for a in assets] == [
        Target("host", "pc-sales-0215"),
        Target("host", "dc-01"),
        Target("ip", "203.0.113.7"),
        Target("user", "alice@corp.example"),
    ]
    dc = assets[1]
    assert (dc.kind, dc.criticality, dc.environment) == ("host", "critical", "prod")
    assert dc.tags == ("domain-controller", "tier0")
    assert assets[2].owner == ""
    assert assets[2].tags == ()


def test_csv_with_bom_reordered_and_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "assets.CSV"
    path.write_bytes("\ufeffKind,ID,Environment,Criticality\r\nhost,pc-1,lab,low\r\n".encode())
    assert load_assets(path) == [Asset("pc-1", "host", "low", "lab")]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty; expected a header row"),
        ("id,kind,criticality\nx,host,low\n", r"line 1: missing columns \['environment'\]"),
        ("id,kind,criticality,environment,colour\n", r"line 1: unknown columns \['colour'\]"),
        ("id,id,kind,criticality,environment\n", "line 1: a column is named twice"),
        (
            "id,kind,criticality,environment\npc-1,host,low,prod\npc-2,host,severe,prod\n",
            "line 3: criticality 'severe'",
        ),
        ("id,kind,criticality,environment\npc-1,host,low\n", "line 2: expected 4 fields"),
        ("id,kind,criticality,environment\n,host,low,prod\n", "line 2: asset id must not be empty"),
        (
            "id,kind,criticality,environment\npc-1,host,low,prod\n\npc-1,host,high,prod\n",
            "line 4: asset host:pc-1 is already defined on line 2",
        ),
        (
            'id,kind,criticality,environment\n"pc\n1",host,low,prod\n',
            "line 3: asset id contains control",
        ),
        ("id,kind,criticality,environment\npc-1,host,low,prod\x00\n", "line 2"),
        ('id,kind,criticality,environment\n"pc-1,host,low,prod\n', "line"),
    ],
)
def test_bad_csv_rows_name_the_line(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as caught:
        parse_assets(text, fmt="csv", source="inv.csv")
    assert caught.value.message.startswith("inv.csv")


def test_loads_yaml_list_and_mapping(tmp_path: Path) -> None:
    listed = tmp_path / "a.yaml"
    listed.write_text(
        "- {id: pc-1, kind: host, criticality: high, environment: prod, tags: [a, b]}\n"
        "- id: 4711\n  kind: user\n  criticality: Low\n  environment: prod\n  tags: 'x;y'\n",
        encoding="utf-8",
    )
    wrapped = tmp_path / "b.yml"
    wrapped.write_text(
        "assets:\n  - {id: pc-1, kind: host, criticality: high, environment: prod, tags: [b, a]}\n"
        "  - {id: '4711', kind: user, criticality: low, environment: prod, tags: [y, x]}\n",
        encoding="utf-8",
    )
    expected = [
        Asset("pc-1", "host", "high", "prod", tags=("a", "b")),
        Asset("4711", "user", "low", "prod", tags=("x", "y")),
    ]
    assert load_assets(listed) == expected
    assert load_assets(wrapped) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("assets: [", "not valid YAML"),
        ("{}", "expected a list of assets"),
        ("assets: {id: x}", "expected a list of assets"),
        ("just text", "expected a list of assets"),
        ("- {id: a, kind: host, criticality: low, environment: prod}\n- 7\n", "line 2: each asset"),
        ("- {id: a, kind: host, criticality: low}\n", r"line 1: missing keys \['environment'\]"),
        (
            "- {id: a, kind: host, criticality: low, environment: prod}\n"
            "- id: b\n  kind: host\n  criticality: low\n  environment: prod\n  colour: red\n",
            r"line 2: unknown keys \['colour'\]",
        ),
        (
            "# inventory\n\n- {id: a, kind: host, criticality: low, environment: prod}\n"
            "- {id: b, kind: host, criticality: extreme, environment: prod}\n",
            "line 4: criticality 'extreme'",
        ),
        ("- {id: [a], kind: host, criticality: low, environment: prod}\n", "line 1: asset id"),
        ("- {id: true, kind: host, criticality: low, environment: prod}\n", "line 1: asset id"),
        ("- {id: a, kind: host, criticality: low, environment: prod, tags: 3}\n", "tags"),
        (
            "- {id: a, kind: host, criticality: low, environment: prod}\n"
            "- {id: a, kind: host, criticality: high, environment: prod}\n",
            "line 2: asset host:a is already defined on line 1",
        ),
        ("--- []\n--- []\n", "not valid YAML"),
    ],
)
def test_bad_yaml_rows_name_the_line(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as caught:
        parse_assets(text, fmt="yaml", source="inv.yaml")
    assert caught.value.message.startswith("inv.yaml")


def test_file_level_limits(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"must end in \.csv, \.yaml or \.yml"):
        load_assets(tmp_path / "assets.json")
    with pytest.raises(InputError, match="cannot read"):
        load_assets(tmp_path / "missing.csv")
    binary = tmp_path / "latin1.csv"
    binary.write_bytes(b"id,kind,criticality,environment\ncaf\xe9,host,low,prod\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_assets(binary)
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.write(b"id,kind,criticality,environment\n")
        handle.truncate(MAX_ASSETS_FILE_BYTES + 1)
    with pytest.raises(InputError, match="limit"):
        load_assets(big)


ASSETS = st.lists(
    st.builds(
        Asset,
        id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9@._ -]{0,30}[A-Za-z0-9]", fullmatch=True),
        kind=st.sampled_from(["host", "ip", "user", "mailbox"]),
        criticality=st.sampled_from(CRITICALITIES),
        environment=st.sampled_from(["prod", "staging", "lab"]),
        owner=st.sampled_from(["", "it@corp.example", "Team Blue, Ops"]),
        tags=st.lists(
            st.from_regex(r"[a-z0-9][a-z0-9 ,-]{0,10}[a-z0-9]", fullmatch=True), max_size=3
        ).map(tuple),
    ),
    max_size=8,
    unique_by=lambda a: (a.kind, a.id),
)


@settings(max_examples=60)
@given(ASSETS)
def test_csv_and_yaml_round_trip(assets: list[Asset]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "kind", "criticality", "environment", "owner", "tags"])
    for a in assets:
        writer.writerow([a.id, a.kind, a.criticality, a.environment, a.owner, ";".join(a.tags)])
    assert parse_assets(buffer.getvalue(), fmt="csv") == assets
    rows = [{k: v for k, v in a.to_dict().items() if k != "known"} for a in assets]
    assert parse_assets(yaml.safe_dump({"assets": rows}), fmt="yaml") == assets
    assert parse_assets(yaml.safe_dump(rows), fmt="yaml") == assets
