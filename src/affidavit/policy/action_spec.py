"""One catalog action: what it does, its blast-radius tier and the parameters it accepts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from affidavit import canonical
from affidavit._text import KIND_PATTERN, check_pattern, check_printable, preview, shorten
from affidavit.errors import InputError

__all__ = ["TIERS", "ActionSpec"]

TIERS: Mapping[int, str] = MappingProxyType(
    {
        0: "enrichment",  # read-only
        1: "advisory",  # notes, tickets, notifications
        2: "containment",  # reversible: isolate, block with a TTL, quarantine
        3: "user_impacting",  # disable account, revoke sessions, reset password
        4: "destructive",  # irreversible: wipe, hard delete
    }
)
_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,63}")
_ID_RULE = "an action id is 2-64 lowercase letters, digits or '_' starting with a letter"
# Tier groups share the Cedar action namespace with the actions themselves.
_RESERVED_IDS = frozenset(f"tier_{tier}" for tier in TIERS)
_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_EMPTY_OBJECT_SCHEMA: Mapping[str, Any] = MappingProxyType(
    {"type": "object", "additionalProperties": False}
)


@dataclass(frozen=True)
class ActionSpec:
    """A catalog action. Construction checks every field, including the parameter schema."""

    id: str
    name: str
    description: str
    tier: int
    target_kinds: tuple[str, ...]
    reversible: bool
    connector: str
    params_schema: Mapping[str, Any] = field(
        default_factory=lambda: _EMPTY_OBJECT_SCHEMA, hash=False
    )

    def __post_init__(self) -> None:
        check_pattern(self.id, "action id", _ID_PATTERN, _ID_RULE)
        if self.id in _RESERVED_IDS:
            raise InputError(f"action id '{self.id}' is reserved for the tier group.")
        check_printable(self.name, "name", max_len=80)
        check_printable(self.description, "description", max_len=2000)
        if type(self.tier) is not int or self.tier not in TIERS:
            raise InputError(f"tier must be an integer from 0 to 4, not {preview(self.tier)}.")
        _check_kinds(self.target_kinds)
        if not isinstance(self.reversible, bool):
            raise InputError(f"reversible must be true or false, not {preview(self.reversible)}.")
        check_pattern(self.connector, "connector", KIND_PATTERN, "a lowercase word such as edr")
        object.__setattr__(self, "params_schema", _checked_schema(self.params_schema))

    @property
    def tier_name(self) -> str:
        return TIERS[self.tier]

    def to_dict(self) -> dict[str, Any]:
        """The action as plain JSON data (the catalog file format)."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "tier": self.tier,
            "target_kinds": list(self.target_kinds),
            "reversible": self.reversible,
            "connector": self.connector,
            "params": canonical.decode(canonical.encode(dict(self.params_schema))),
        }


def _check_kinds(kinds: object) -> None:
    if not isinstance(kinds, tuple) or not kinds:
        raise InputError("target_kinds must list at least one target kind, e.g. [host].")
    for kind in kinds:
        check_pattern(kind, "target kind", KIND_PATTERN, "a lowercase word such as host")
    if len(set(kinds)) != len(kinds):
        raise InputError("target_kinds lists a kind twice.")


def _checked_schema(schema: object) -> Mapping[str, Any]:
    """A private, read-only copy of a valid Draft 2020-12 object schema."""
    if not isinstance(schema, Mapping):
        raise InputError("params must be a JSON Schema object.")
    # The canonical round trip both proves the schema is plain JSON and deep-copies it.
    copy = canonical.decode(canonical.encode(dict(schema)))
    assert isinstance(copy, dict)
    if copy.get("$schema", _DRAFT_2020_12) != _DRAFT_2020_12:
        raise InputError(f"params must be a Draft 2020-12 schema ($schema {_DRAFT_2020_12}).")
    try:
        Draft202012Validator.check_schema(copy)
    except SchemaError as exc:
        raise InputError(
            f"params is not a valid JSON Schema at {exc.json_path}: {shorten(exc.message)}"
        ) from None
    if copy.get("type") != "object":
        raise InputError('params must be a schema for an object ("type": "object").')
    _refuse_remote_refs(copy)
    return MappingProxyType(copy)


def _refuse_remote_refs(node: object) -> None:
    # A remote $ref would make validation depend on the network; only local ones are allowed.
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and not (
                isinstance(value, str) and value.startswith("#")
            ):
                raise InputError(f"params may only use local references ('#...'), not {value!r}.")
            _refuse_remote_refs(value)
    elif isinstance(node, list):
        for item in node:
            _refuse_remote_refs(item)
