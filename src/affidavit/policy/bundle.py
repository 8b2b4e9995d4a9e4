"""Policy bundles: Cedar text checked against the schema when published, versioned by hash.

A bundle is refused at publish (InputError with Cedar's message) when the text
does not parse, uses a template (``?principal``), fails Cedar's validator
against the schema built from the catalog (a misspelt attribute, an unknown
action, a type error), or breaks the annotation rules:

- every policy has a unique ``@id("...")`` (letters, digits, ``_.:-``, at most 64),
  which decisions name as the determining policies;
- every ``permit`` states ``@approvals("N")`` (0 to 10) so that "no approval" is
  always written down, never implied; it may also state
  ``@approver_roles("role,role")``, ``@require_evidence_view("true"|"false")``
  and ``@expires_after("SECONDS")`` (60 to 2,592,000);
- a ``forbid`` carries none of those requirement annotations;
- ``@description("...")`` is allowed on any policy and is quoted in decisions;
- any other annotation is refused, so a misspelt ``@approval`` cannot silently
  drop a requirement.

``hash`` is the SHA-256 hex of the UTF-8 policy text, so anyone holding the
published text from the ledger can check it with ``sha256sum``. The catalog
facts a decision relied on (tier, reversibility, connector) are recorded in the
decision's inputs.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Literal

import cedarpy

from affidavit._cedar import (
    AnnotatedPolicy,
    annotated_policies,
    checked_policy_bytes,
    name_policies,
    validate_policies,
)
from affidavit._text import preview
from affidavit.errors import InputError
from affidavit.policy.catalog import Catalog
from affidavit.policy.schema import cedar_schema

__all__ = [
    "MAX_POLICY_BYTES",
    "PolicyBundle",
    "PolicyRule",
    "Requirements",
    "default_bundle_hash",
    "default_policy_text",
]

MAX_POLICY_BYTES = 1 << 20
MAX_APPROVALS = 10
MIN_EXPIRES_S, MAX_EXPIRES_S = 60, 30 * 86400
_ROLE = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,8})")
_REQUIREMENT_KEYS = frozenset(
    {"approvals", "approver_roles", "require_evidence_view", "expires_after"}
)
_ANNOTATIONS = _REQUIREMENT_KEYS | {"description"}


@dataclass(frozen=True)
class Requirements:
    """What a permit asks for before its action may run."""

    approvals: int
    approver_roles: tuple[str, ...] = ()  # empty: no role constraint
    require_evidence_view: bool = False
    expires_after_s: int | None = None  # None: the engine's default


@dataclass(frozen=True)
class PolicyRule:
    """One policy of a bundle, as the engine reads it."""

    id: str  # the @id annotation
    cedar_id: str  # Cedar's positional id (policy0, policy1, ...)
    effect: Literal["permit", "forbid"]
    description: str
    requirements: Requirements | None  # None for forbid


class PolicyBundle:
    """Published Cedar policy text, validated against the catalog's schema."""

    def __init__(self, text: str, catalog: Catalog | None = None) -> None:
        self.catalog = catalog if catalog is not None else Catalog.default()
        data = checked_policy_bytes(text, limit=MAX_POLICY_BYTES)
        self.text = text
        self.hash = hashlib.sha256(data).hexdigest()
        self.schema = cedar_schema(self.catalog)
        self._policies = annotated_policies(text, allowed=_ANNOTATIONS)
        self.rules = tuple(_rule(policy) for policy in self._policies)
        validate_policies(text, self.schema, self._policies)
        self.policy_set = cedarpy.PolicySet.from_str(text)
        self.rules_by_cedar_id: Mapping[str, PolicyRule] = MappingProxyType(
            {rule.cedar_id: rule for rule in self.rules}
        )

    @classmethod
    def publish(cls, text: str, catalog: Catalog | None = None) -> PolicyBundle:
        """Validate ``text`` and return the bundle; InputError says what to fix."""
        return cls(text, catalog)

    @classmethod
    def default(cls, catalog: Catalog | None = None) -> PolicyBundle:
        """The bundle shipped with Affidavit (``default.cedar``)."""
        return cls(default_policy_text(), catalog)

    def rule_name(self, cedar_id: str) -> str:
        """The @id of the policy Cedar calls ``cedar_id`` (Cedar's own id if unknown)."""
        rule = self.rules_by_cedar_id.get(cedar_id)
        return rule.id if rule is not None else cedar_id

    def explain(self, cedar_message: str) -> str:
        """A Cedar message with positional policy ids replaced by their @id."""
        return name_policies(cedar_message, self._policies)


@functools.cache
def default_policy_text() -> str:
    return resources.files("affidavit.policy").joinpath("default.cedar").read_text("utf-8")


def _rule(policy: AnnotatedPolicy) -> PolicyRule:
    """The engine's view of one policy: description and, for a permit, its requirements."""
    notes, where = policy.annotations, policy.where
    description = notes.get("description", "")
    if len(description) > 500 or not description.isprintable():
        raise InputError(f"{where}: @description must be printable and at most 500 characters.")
    if policy.effect == "forbid":
        present = sorted(_REQUIREMENT_KEYS & set(notes))
        if present:
            raise InputError(f"{where}: a forbid cannot carry @{present[0]}; it always denies.")
        return PolicyRule(policy.id, policy.cedar_id, policy.effect, description, None)
    requirements = _requirements(where, notes)
    return PolicyRule(policy.id, policy.cedar_id, policy.effect, description, requirements)


def _requirements(where: str, notes: Mapping[str, str | None]) -> Requirements:
    approvals = notes.get("approvals")
    if approvals is None:
        raise InputError(f'{where}: a permit must state @approvals("N"), "0" for none.')
    count = _number(where, "approvals", approvals, 0, MAX_APPROVALS)
    roles: tuple[str, ...] = ()
    if (text := notes.get("approver_roles")) is not None:
        parts = [part.strip() for part in text.split(",")]
        for part in parts:
            if _ROLE.fullmatch(part) is None:
                raise InputError(
                    f"{where}: @approver_roles entry {preview(part)} is not a role name "
                    "(lowercase letters, digits, _.:-, e.g. approver:ir_lead)."
                )
        roles = tuple(sorted(set(parts)))
    evidence = notes.get("require_evidence_view", "false")
    if evidence not in ("true", "false"):
        raise InputError(f'{where}: @require_evidence_view must be "true" or "false".')
    expires: int | None = None
    if (seconds := notes.get("expires_after")) is not None:
        expires = _number(where, "expires_after", seconds, MIN_EXPIRES_S, MAX_EXPIRES_S)
    return Requirements(count, roles, evidence == "true", expires)


def _number(where: str, key: str, text: str, low: int, high: int) -> int:
    if _DECIMAL.fullmatch(text) is None or not low <= int(text) <= high:
        raise InputError(f"{where}: @{key}({text!r}) must be a whole number from {low} to {high}.")
    return int(text)


@functools.cache
def default_bundle_hash() -> str:
    """The hash of the built-in bundle: decisions made before any bundle was published
    cite it."""
    data = checked_policy_bytes(default_policy_text(), limit=MAX_POLICY_BYTES)
    return hashlib.sha256(data).hexdigest()
