"""Asset context: what policy knows about a target (criticality, environment, owner, tags).

``load_assets`` reads CSV (header ``id,kind,criticality,environment,owner,tags``,
tags separated by ``;``; owner, tags and aliases columns optional) or YAML (a list of
mappings, or ``{assets: [...]}``), UTF-8, at most ``MAX_ASSETS_FILE_BYTES``
bytes and ``MAX_ASSETS`` assets. Kind, criticality and environment are folded
to lowercase so that ``Prod`` in a spreadsheet still matches ``"prod"`` in a
policy. Every error names the file and the line.

The inventory stores ids in the canonical spelling of their kind (``Asset.canonical``,
``policy.targets``).
``aliases`` (``;``-separated in CSV) are the other names of the same asset: an
FQDN, a short name, an EDR or directory id; a target written with one of them
gets this asset's policy (``governance.assets.resolve``).

A target that is not in the inventory is ``Asset.unknown(kind, id)``: criticality
``critical``, environment ``unknown``, ``known=False``, so policy treats it as the
most critical kind of asset rather than the least.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from affidavit._text import (
    KIND_PATTERN,
    check_pattern,
    check_printable,
    check_string_set,
    preview,
)
from affidavit.errors import InputError
from affidavit.policy.targets import MAX_TARGET_ID_LENGTH, Target, canonical_id

__all__ = [
    "CRITICALITIES",
    "MAX_ASSETS",
    "MAX_ASSETS_FILE_BYTES",
    "Asset",
    "Criticality",
    "load_assets",
    "parse_assets",
]

Criticality = Literal["low", "medium", "high", "critical"]
CRITICALITIES: tuple[Criticality, ...] = ("low", "medium", "high", "critical")
MAX_ASSETS_FILE_BYTES = 16 << 20
MAX_ASSETS = 100_000
_MAX_TAGS = 64
_ENVIRONMENT = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_ENVIRONMENT_RULE = "an environment is a lowercase label such as prod, staging or lab"
_CSV_REQUIRED = ("id", "kind", "criticality", "environment")
_COLUMNS = frozenset((*_CSV_REQUIRED, "owner", "tags", "aliases"))
_MAX_ALIASES = 16


@dataclass(frozen=True)
class Asset:
    """A target with the attributes policy sees. Construction checks every field."""

    id: str
    kind: str
    criticality: Criticality
    environment: str
    owner: str = ""
    tags: tuple[str, ...] = ()
    known: bool = True
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_printable(self.id, "asset id", max_len=MAX_TARGET_ID_LENGTH)
        check_pattern(self.kind, "asset kind", KIND_PATTERN, "a lowercase word such as host")
        if self.criticality not in CRITICALITIES:
            raise InputError(
                f"criticality {preview(self.criticality)} is not one of "
                "low, medium, high, critical."
            )
        check_pattern(self.environment, "environment", _ENVIRONMENT, _ENVIRONMENT_RULE)
        check_printable(self.owner, "owner", max_len=256, allow_empty=True)
        tags = check_string_set(self.tags, "tags", max_items=_MAX_TAGS, max_len=64)
        if any(";" in tag for tag in tags):
            raise InputError("a tag must not contain ';' (it separates tags in CSV files).")
        object.__setattr__(self, "tags", tags)
        aliases = check_string_set(self.aliases, "aliases", max_items=_MAX_ALIASES, max_len=256)
        canonical = {canonical_id(self.kind, alias) for alias in aliases}
        canonical.discard(canonical_id(self.kind, self.id))
        object.__setattr__(self, "aliases", tuple(sorted(canonical)))
        if not isinstance(self.known, bool):
            raise InputError("known must be true or false.")

    @classmethod
    def unknown(cls, kind: str, id: str) -> Asset:
        """A target missing from the inventory, treated as critical."""
        return cls(id=id, kind=kind, criticality="critical", environment="unknown", known=False)

    def canonical(self) -> Asset:
        """This asset under the canonical spelling of its id (``policy.targets``)."""
        ident = canonical_id(self.kind, self.id)
        return self if ident == self.id else replace(self, id=ident)

    @property
    def target(self) -> Target:
        return Target(self.kind, self.id)

    @property
    def criticality_rank(self) -> int:
        """0 for low up to 3 for critical, so policies can compare levels."""
        return CRITICALITIES.index(self.criticality)

    def to_dict(self) -> dict[str, Any]:
        found = {
            "id": self.id,
            "kind": self.kind,
            "criticality": self.criticality,
            "environment": self.environment,
            "owner": self.owner,
            "tags": list(self.tags),
            "known": self.known,
        }
        if self.aliases:  # absent when empty: entries written before aliases stay the same
            found["aliases"] = list(self.aliases)
        return found


def load_assets(path: str | Path) -> list[Asset]:
    """Read assets from a ``.csv``, ``.yaml`` or ``.yml`` file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        raise InputError(f"{path}: asset files must end in .csv, .yaml or .yml.")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_ASSETS_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read asset file {path}: {exc.strerror}.") from None
    if len(data) > MAX_ASSETS_FILE_BYTES:
        raise InputError(f"{path} is larger than the {MAX_ASSETS_FILE_BYTES}-byte limit.")
    try:
        text = data.decode("utf-8-sig")  # spreadsheets often write a BOM
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text (byte {exc.start}).") from None
    return parse_assets(text, fmt="csv" if suffix == ".csv" else "yaml", source=str(path))


def parse_assets(text: str, *, fmt: Literal["csv", "yaml"], source: str = "<text>") -> list[Asset]:
    """Parse assets from CSV or YAML text; errors name ``source`` and the line."""
    if len(text) > MAX_ASSETS_FILE_BYTES:
        raise InputError(f"{source} is larger than the {MAX_ASSETS_FILE_BYTES}-character limit.")
    rows = _csv_rows(text, source) if fmt == "csv" else _yaml_rows(text, source)
    assets: list[Asset] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, fields in rows:
        if len(assets) >= MAX_ASSETS:
            raise InputError(f"{source} has more than {MAX_ASSETS} assets; split the file.")
        try:
            asset = _asset_from_fields(fields)
        except InputError as exc:
            raise InputError(f"{source} line {line}: {exc.message}") from None
        key = (asset.kind, asset.id)
        if key in first_line:
            raise InputError(
                f"{source} line {line}: asset {asset.target} is already defined "
                f"on line {first_line[key]}."
            )
        first_line[key] = line
        assets.append(asset)
    return assets


def _asset_from_fields(fields: Mapping[str, object]) -> Asset:
    tags = fields.get("tags", ())
    if isinstance(tags, str):
        tags = tuple(tag.strip() for tag in tags.split(";") if tag.strip())
    elif isinstance(tags, list):
        tags = tuple(tags)
    aliases = fields.get("aliases", ())
    if isinstance(aliases, str):
        aliases = tuple(alias.strip() for alias in aliases.split(";") if alias.strip())
    elif isinstance(aliases, list):
        aliases = tuple(aliases)
    ident = fields["id"]
    if isinstance(ident, int) and not isinstance(ident, bool):
        ident = str(ident)  # YAML reads numeric ids (e.g. employee numbers) as integers
    return Asset(
        id=cast(str, ident),
        kind=_lower(fields["kind"]),
        criticality=cast(Criticality, _lower(fields["criticality"])),
        environment=_lower(fields["environment"]),
        owner=cast(str, fields.get("owner", "")),
        tags=cast(tuple[str, ...], tags),
        aliases=cast(tuple[str, ...], aliases),
    )


def _lower(value: object) -> str:
    return value.strip().lower() if isinstance(value, str) else cast(str, value)


def _csv_rows(text: str, source: str) -> list[tuple[int, dict[str, object]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(f"{source} is empty; expected a header row {','.join(_COLUMNS)}.")
        columns = [name.strip().lower() for name in header]
        _check_columns(columns, source)
        rows = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if len(record) != len(columns):
                raise InputError(
                    f"{source} line {reader.line_num}: expected {len(columns)} fields "
                    f"({','.join(columns)}), found {len(record)}."
                )
            fields: dict[str, object] = {
                name: cell.strip() for name, cell in zip(columns, record, strict=True)
            }
            rows.append((reader.line_num, fields))
            if len(rows) > MAX_ASSETS:
                break  # parse_assets reports the limit
    except csv.Error as exc:
        raise InputError(f"{source} line {reader.line_num}: not valid CSV: {exc}.") from None
    return rows


def _check_columns(columns: list[str], source: str) -> None:
    unknown = [name for name in columns if name not in _COLUMNS]
    if unknown:
        raise InputError(
            f"{source} line 1: unknown columns {unknown}; allowed: {sorted(_COLUMNS)}."
        )
    if len(set(columns)) != len(columns):
        raise InputError(f"{source} line 1: a column is named twice.")
    missing = [name for name in _CSV_REQUIRED if name not in columns]
    if missing:
        raise InputError(f"{source} line 1: missing columns {missing}.")


def _yaml_rows(text: str, source: str) -> list[tuple[int, dict[str, object]]]:
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)  # the same document, with line marks
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be an inventory.") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
    items, nodes = _yaml_items(data, root)
    if items is None:
        raise InputError(f"{source}: expected a list of assets, or a mapping with 'assets:'.")
    rows = []
    for item, node in zip(items, nodes, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            raise InputError(f"{source} line {line}: each asset is a mapping (id, kind, ...).")
        keys = {str(key) for key in item}
        unknown = sorted(keys - _COLUMNS)
        if unknown:
            raise InputError(f"{source} line {line}: unknown keys {unknown}.")
        missing = [name for name in _CSV_REQUIRED if name not in item]
        if missing:
            raise InputError(f"{source} line {line}: missing keys {missing}.")
        rows.append((line, cast(dict[str, object], item)))
    return rows


def _yaml_items(data: object, root: yaml.Node | None) -> tuple[list[object] | None, list[Any]]:
    if isinstance(data, dict) and set(data) == {"assets"} and isinstance(root, yaml.MappingNode):
        data = data["assets"]
        root = root.value[0][1]
    if isinstance(data, list) and isinstance(root, yaml.SequenceNode):
        return data, list(root.value)
    return None, []
