"""The Cedar schema policies are validated and evaluated against.

Entity types and the request context come from ``schema.cedarschema``; the
actions come from the catalog, so an action added by a user's catalog file is
immediately valid in policies. Each action belongs to its tier group
(``Action::"tier_2"``), which lets a policy say ``action in Action::"tier_2"``.
"""

from __future__ import annotations

import functools
from importlib import resources

import cedarpy

from affidavit._text import shorten
from affidavit.errors import ConfigError
from affidavit.policy.action_spec import TIERS
from affidavit.policy.catalog import Catalog

__all__ = ["cedar_schema", "cedar_schema_text"]


def cedar_schema_text(catalog: Catalog) -> str:
    """The full Cedar schema (human-readable syntax) for ``catalog``."""
    lines = [_base_schema_text(), "// Generated from the action catalog."]
    lines += [f'action "tier_{tier}";' for tier in TIERS]
    for action in catalog:
        lines.append(
            f'action "{action.id}" in [Action::"tier_{action.tier}"] appliesTo {{ '
            "principal: [Human, Agent], resource: [Asset], context: RequestContext };"
        )
    return "\n".join(lines) + "\n"


def cedar_schema(catalog: Catalog) -> cedarpy.Schema:
    """The parsed ``cedarpy.Schema`` for ``catalog``, parsed once per distinct schema text."""
    return _parse(cedar_schema_text(catalog))


@functools.cache
def _base_schema_text() -> str:
    return resources.files("affidavit.policy").joinpath("schema.cedarschema").read_text("utf-8")


@functools.lru_cache(maxsize=16)
def _parse(text: str) -> cedarpy.Schema:
    try:
        return cedarpy.Schema.from_str(text)
    except ValueError as exc:  # only reachable with a broken shipped schema file
        raise ConfigError(f"the Cedar schema does not parse: {shorten(str(exc))}") from None
