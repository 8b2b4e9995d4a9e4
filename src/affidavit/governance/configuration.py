"""The governance configuration: the action catalog and every security setting.

What is allowed (which actions exist and their tiers, whether an owner may approve
their agent, how long an authorization or a token lives, retention) is published
like a policy bundle: a YAML document, validated here, named by the SHA-256 of its
text, its text ledgered by an admin (``configuration.published``), and read back
only from the ledger's image (:mod:`affidavit.governance.configuration_store`).
The environment configures the deployment (paths, database, listen address) and
never any of this. Until a configuration is published, the built-in one
(``configuration.yaml``, today's defaults) is in force; a published document may
leave keys out, which then take the built-in values.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from affidavit.errors import InputError
from affidavit.governance.retention import RetentionPolicy
from affidavit.policy import Catalog

__all__ = [
    "MAX_CONFIGURATION_BYTES",
    "Configuration",
    "ConfigurationError",
    "RubberStamp",
]

MAX_CONFIGURATION_BYTES = 1 << 20
_VERSION = 1
_NEVER = 5  # a tier threshold of 5 means "no action needs it"


class ConfigurationError(InputError):
    """A governance configuration that is malformed or holds a value out of range."""

    code = "invalid_configuration"


@dataclass(frozen=True)
class RubberStamp:
    """When an approver's recent decisions look unconditional (the console warns)."""

    fast_seconds: float
    min_decisions: int
    approval_rate: float
    window_hours: float


# Each section's keys: key -> (kind, check, what the check requires).
_Rule = tuple[type, Any, str]
_POSITIVE: _Rule = (float, lambda v: v > 0, "a number greater than 0")
_TIER: _Rule = (int, lambda v: 0 <= v <= _NEVER, "a tier from 0 to 4 (5: never)")
_FLAG: _Rule = (bool, lambda v: True, "true or false")
_SCHEMA: Mapping[str, Mapping[str, _Rule]] = {
    "approvals": {
        "owner_may_approve": _FLAG,
        "evidence_required_tier": _TIER,
        "rationale_required_tier": _TIER,
    },
    "rubber_stamp": {
        "fast_seconds": _POSITIVE,
        "min_decisions": (int, lambda v: v >= 1, "a whole number of at least 1"),
        "approval_rate": (float, lambda v: 0 < v <= 1, "a number in (0, 1]"),
        "window_hours": _POSITIVE,
    },
    "authorizations": {"ttl_seconds": _POSITIVE, "auto_execute": _FLAG},
    "breakglass": {"review_hours": _POSITIVE},
    "tokens": {"ttl_days": _POSITIVE},
    "alerts": {"spike_per_15_minutes": (int, lambda v: v >= 1, "a whole number of at least 1")},
    "retention": {
        "impact_days": _POSITIVE,
        "short_days": _POSITIVE,
        "impact_tier": (int, lambda v: 0 <= v <= 4, "a tier from 0 to 4"),
    },
}
_TOP = frozenset({"version", "catalog", *_SCHEMA} - {"rubber_stamp"})


@dataclass(frozen=True)
class Configuration:
    """One validated governance configuration; ``hash`` is the SHA-256 of its text."""

    text: str
    hash: str
    catalog: Catalog
    owner_may_approve: bool
    evidence_required_tier: int
    rationale_required_tier: int
    rubber_stamp: RubberStamp
    authorization_ttl_s: float
    auto_execute: bool
    breakglass_review_hours: float
    token_ttl_days: float
    spike_alerts_per_15m: int
    retention: RetentionPolicy

    @classmethod
    def default(cls) -> Configuration:
        """The built-in configuration, in force until one is published."""
        return _default()

    @classmethod
    def parse(cls, text: str, *, source: str = "the configuration") -> Configuration:
        """Validate ``text``; ConfigurationError names the first bad key (never its value)."""
        if not isinstance(text, str) or len(text.encode()) > MAX_CONFIGURATION_BYTES:
            raise ConfigurationError(f"{source} is not text of at most 1 MiB")
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ConfigurationError(f"{source} is not valid YAML") from None
        if document is None:
            document = {}
        if not isinstance(document, dict):
            raise ConfigurationError(f"{source} must be a YAML mapping of sections")
        values = _values(document, source)
        digest = hashlib.sha256(text.encode()).hexdigest()
        return cls(text=text, hash=digest, catalog=_catalog(document, source), **values)

    @property
    def catalog_hash(self) -> str:
        """The SHA-256 of the effective catalog (shipped actions plus this one's)."""
        return self.catalog.digest

    def settings(self) -> dict[str, dict[str, Any]]:
        """Every setting in effect, by section (what ``config show`` and ``diff`` print)."""
        s, r = self.rubber_stamp, self.retention
        return {
            "approvals": {
                "owner_may_approve": self.owner_may_approve,
                "evidence_required_tier": self.evidence_required_tier,
                "rationale_required_tier": self.rationale_required_tier,
                "rubber_stamp": {
                    "fast_seconds": s.fast_seconds,
                    "min_decisions": s.min_decisions,
                    "approval_rate": s.approval_rate,
                    "window_hours": s.window_hours,
                },
            },
            "authorizations": {
                "ttl_seconds": self.authorization_ttl_s,
                "auto_execute": self.auto_execute,
            },
            "breakglass": {"review_hours": self.breakglass_review_hours},
            "tokens": {"ttl_days": self.token_ttl_days},
            "alerts": {"spike_per_15_minutes": self.spike_alerts_per_15m},
            "retention": {
                "impact_days": r.full_days,
                "short_days": r.short_days,
                "impact_tier": r.impact_tier,
            },
        }


def _values(document: dict[Any, Any], source: str) -> dict[str, Any]:
    extra = sorted(str(k) for k in document if k not in _TOP)
    if extra:
        raise ConfigurationError(f"{source}: unknown sections {extra}")
    if document.get("version", _VERSION) != _VERSION:
        raise ConfigurationError(f"{source}: version must be {_VERSION}")
    approvals = _mapping(document, "approvals", source)
    got = {name: _section(document, name, source) for name in _SCHEMA if name != "rubber_stamp"}
    stamp = _section(approvals, "rubber_stamp", source, where="approvals.")
    a, t, r = got["approvals"], got["authorizations"], got["retention"]
    if r["short_days"] > r["impact_days"]:
        raise ConfigurationError(f"{source}: retention.short_days must not exceed impact_days")
    return {
        "owner_may_approve": a["owner_may_approve"],
        "evidence_required_tier": a["evidence_required_tier"],
        "rationale_required_tier": a["rationale_required_tier"],
        "rubber_stamp": RubberStamp(**stamp),
        "authorization_ttl_s": t["ttl_seconds"],
        "auto_execute": t["auto_execute"],
        "breakglass_review_hours": got["breakglass"]["review_hours"],
        "token_ttl_days": got["tokens"]["ttl_days"],
        "spike_alerts_per_15m": got["alerts"]["spike_per_15_minutes"],
        "retention": RetentionPolicy(
            full_days=r["impact_days"], short_days=r["short_days"], impact_tier=r["impact_tier"]
        ),
    }


def _mapping(document: Mapping[Any, Any], name: str, source: str) -> Mapping[Any, Any]:
    found = document.get(name)
    if found is None:
        return {}
    if not isinstance(found, dict):
        raise ConfigurationError(f"{source}: {name} must be a mapping")
    return found


def _section(
    document: Mapping[Any, Any], name: str, source: str, *, where: str = ""
) -> dict[str, Any]:
    rules = _SCHEMA[name]
    given = _mapping(document, name, source)
    nested = {"rubber_stamp"} if name == "approvals" else set()
    extra = sorted(str(k) for k in given if k not in rules and k not in nested)
    if extra:
        raise ConfigurationError(f"{source}: unknown keys {extra} in {where}{name}")
    defaults = _default_values()[name]
    found: dict[str, Any] = {}
    for key, (kind, check, needs) in rules.items():
        value = given.get(key, defaults.get(key))
        if not _fits(value, kind) or not check(value):
            raise ConfigurationError(f"{source}: {where}{name}.{key} must be {needs}")
        found[key] = float(value) if kind is float else value
    return found


def _fits(value: object, kind: type) -> bool:
    if isinstance(value, bool) or kind is bool:
        return isinstance(value, bool) and kind is bool
    if kind is int:
        return isinstance(value, int)
    return isinstance(value, int | float) and math.isfinite(value)


def _catalog(document: Mapping[Any, Any], source: str) -> Catalog:
    section = _mapping(document, "catalog", source)
    extra = sorted(str(k) for k in section if k != "actions")
    if extra:
        raise ConfigurationError(f"{source}: unknown keys {extra} in catalog")
    actions = section.get("actions") or []
    if not actions:
        return Catalog.default()
    text = yaml.safe_dump({"actions": actions}, sort_keys=True)
    try:
        return Catalog.default().extended(text, source=f"{source}: catalog")
    except InputError as exc:
        raise ConfigurationError(exc.message) from None


def _default_text() -> str:
    return resources.files("affidavit.governance").joinpath("configuration.yaml").read_text()


@functools.cache
def _default_values() -> dict[str, dict[str, Any]]:
    """Each section's built-in values: what a key left out of a document takes."""
    document = yaml.safe_load(_default_text())
    return {
        name: dict((document["approvals"] if name == "rubber_stamp" else document)[name])
        for name in _SCHEMA
    }


@functools.cache
def _default() -> Configuration:
    return Configuration.parse(_default_text(), source="the built-in configuration")
