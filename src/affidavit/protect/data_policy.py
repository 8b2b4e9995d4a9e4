"""The data policy: for each identity, model and kind of value, what the model may see.

A request is one (principal, model, data class, kind); the answer is a
:class:`Treatment`. The policy is Cedar text (``data_policy.cedar`` is the
default) checked against ``data_policy.cedarschema``:

- every policy has a unique ``@id("...")``; ``@description("...")`` is optional;
- every ``permit`` states ``@treatment("allow" | "tokenize" | "mask" | "block")``;
  a ``forbid`` states none (it always blocks);
- any other annotation, a misspelt attribute or a type error is refused when the
  policy is loaded (InputError with Cedar's message).

Evaluation fails closed: when permits match, the strictest treatment among them
wins (block > mask > tokenize > allow); a matching forbid, no matching permit, or
any evaluation error blocks. ``hash`` is the SHA-256 hex of the UTF-8 text.

Decisions depend only on the request and the text, so a bounded LRU keyed by
(principal, model, data class, kind) answers repeats without calling Cedar; the
parsed entities of each (principal, model) pair are cached too, and the misses of
one text are evaluated in one batch.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Protocol

import cedarpy

from affidavit._cedar import (
    AnnotatedPolicy,
    annotated_policies,
    checked_policy_bytes,
    load_schema,
    name_policies,
    validate_policies,
)
from affidavit._lru import LRU
from affidavit._text import check_printable, check_string_set, preview, shorten
from affidavit.errors import InputError

__all__ = [
    "MAX_DATA_POLICY_BYTES",
    "DataDecision",
    "DataPolicy",
    "DataPrincipal",
    "IdentityLike",
    "Treatment",
    "default_data_policy_text",
]

MAX_DATA_POLICY_BYTES = 1 << 20
_KINDS = ("human", "agent", "model", "integration")
_ANNOTATIONS = frozenset({"treatment", "description"})
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")  # data classes and kinds, as findings name them
_FAIL_CLOSED = "data policy evaluation failed, so the value is blocked (fail closed)"
_ERRING_POLICY = re.compile(r"policy `(policy\d+)`")
_ENTITY_CACHE_SIZE = 1024


class Treatment(StrEnum):
    """What happens to a sensitive value before a model sees it."""

    ALLOW = "allow"  # passed unchanged
    TOKENIZE = "tokenize"  # replaced by a keyed, deterministic, typed token
    MASK = "mask"  # replaced by an irreversible typed placeholder
    BLOCK = "block"  # the whole call is refused

    @property
    def strictness(self) -> int:
        """0 (allow) to 3 (block): when several policies apply, the highest wins."""
        return _STRICTNESS[self]


_STRICTNESS = {Treatment.ALLOW: 0, Treatment.TOKENIZE: 1, Treatment.MASK: 2, Treatment.BLOCK: 3}


class IdentityLike(Protocol):
    """What the data policy reads from an identity (``governance.identities.Identity``)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def data_classes(self) -> Sequence[str]: ...
    @property
    def models(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class DataPrincipal:
    """The identity on whose behalf a model is called, as the data policy sees it.

    ``data_classes`` are the classes it may see in the clear (``"*"``: all of
    them); ``models`` the models it may use (empty: any).
    """

    id: str
    kind: str
    owner: str = ""
    data_classes: frozenset[str] = frozenset()
    models: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        check_printable(self.id, "principal id", max_len=256)
        if self.kind not in _KINDS:
            raise InputError(
                f"principal kind {preview(self.kind)} is not one of {', '.join(_KINDS)}."
            )
        check_printable(self.owner, "principal owner", max_len=256, allow_empty=True)
        classes = check_string_set(self.data_classes, "data_classes", max_items=64, max_len=64)
        models = check_string_set(self.models, "models", max_items=256, max_len=256)
        object.__setattr__(self, "data_classes", frozenset(classes))
        object.__setattr__(self, "models", frozenset(models))

    @classmethod
    def of(cls, identity: IdentityLike) -> DataPrincipal:
        """The data principal of an identity."""
        return cls(
            id=identity.id,
            kind=identity.kind,
            owner=identity.owner or "",
            data_classes=frozenset(identity.data_classes),
            models=frozenset(identity.models),
        )


@dataclass(frozen=True)
class DataDecision:
    """A treatment, the policies that determined it (their @id) and why, for the ledger."""

    treatment: Treatment
    policies: tuple[str, ...]
    reasons: tuple[str, ...]


_Key = tuple[DataPrincipal, str, str, str]


class DataPolicy:
    """Decides treatments under one data policy text. Thread-safe."""

    def __init__(self, text: str, *, cache_size: int = 4096) -> None:
        if type(cache_size) is not int or cache_size < 0:
            raise InputError("cache_size must be a whole number >= 0.")
        data = checked_policy_bytes(text, limit=MAX_DATA_POLICY_BYTES)
        self.text = text
        self.hash = hashlib.sha256(data).hexdigest()
        self.schema = load_schema("affidavit.protect", "data_policy.cedarschema")
        self.policies = annotated_policies(text, allowed=_ANNOTATIONS)
        treatments = {p.cedar_id: _treatment_of(p) for p in self.policies}
        self._treatments = {cid: t for cid, t in treatments.items() if t is not None}
        validate_policies(text, self.schema, self.policies)
        self._policy_set = cedarpy.PolicySet.from_str(text)
        self._by_cedar_id = {p.cedar_id: p for p in self.policies}
        self._described = {p.cedar_id: _describe(p) for p in self.policies}
        self._decisions: LRU[_Key, DataDecision] = LRU(cache_size)
        self._entities: LRU[tuple[DataPrincipal, str], cedarpy.Entities] = LRU(_ENTITY_CACHE_SIZE)

    @classmethod
    def default(cls) -> DataPolicy:
        """The data policy shipped with Affidavit (``data_policy.cedar``)."""
        return cls(default_data_policy_text())

    def decide(self, principal: DataPrincipal, model: str, data_class: str, kind: str) -> Treatment:
        """The treatment of a ``data_class``/``kind`` value sent to ``model`` for ``principal``."""
        return self.decision(principal, model, data_class, kind).treatment

    def decision(
        self, principal: DataPrincipal, model: str, data_class: str, kind: str
    ) -> DataDecision:
        """Like :meth:`decide`, with the determining policies and reasons."""
        return self.decisions(principal, model, [(data_class, kind)])[(data_class, kind)]

    def decisions(
        self, principal: DataPrincipal, model: str, pairs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], DataDecision]:
        """Decisions for several (data class, kind) pairs, the misses evaluated in one batch."""
        _check_request(principal, model)
        found: dict[tuple[str, str], DataDecision] = {}
        missing: list[tuple[str, str]] = []
        for pair in pairs:
            if type(pair) is not tuple or len(pair) != 2:
                raise InputError("data policy pairs must be (data class, kind) tuples.")
            if pair in found:
                continue
            hit = self._decisions.get((principal, model, pair[0], pair[1]))
            if hit is not None:
                found[pair] = hit
            else:
                _check_names(pair)
                found[pair] = _PENDING
                missing.append(pair)
        if missing:
            verdicts, cacheable = self._evaluate(principal, model, missing)
            for pair, verdict in zip(missing, verdicts, strict=True):
                found[pair] = verdict
                if cacheable:
                    self._decisions.put((principal, model, *pair), verdict)
        return found

    def _evaluate(
        self, principal: DataPrincipal, model: str, pairs: list[tuple[str, str]]
    ) -> tuple[list[DataDecision], bool]:
        """The verdicts, and whether they may be cached (not when Cedar itself failed)."""
        principal_uid = {"type": "Agent", "id": principal.id}
        model_uid = {"type": "Model", "id": model}
        requests = [
            {
                "principal": principal_uid,
                "action": {"type": "Action", "id": "disclose"},
                "resource": model_uid,
                "context": json.dumps({"data_class": data_class, "kind": kind}),
            }
            for data_class, kind in pairs
        ]
        try:
            entities = self._entities_for(principal, model)
            results = cedarpy.is_authorized_batch(requests, self._policy_set, entities, self.schema)
        except Exception as exc:  # any failure inside Cedar must block, never allow
            failed = DataDecision(Treatment.BLOCK, (), (f"{_FAIL_CLOSED}: {shorten(str(exc))}",))
            return [failed] * len(pairs), False
        if len(results) != len(pairs):
            failed = DataDecision(Treatment.BLOCK, (), (f"{_FAIL_CLOSED}: too few results.",))
            return [failed] * len(pairs), False
        verdicts = [
            self._verdict(result, principal, model, pair)
            for result, pair in zip(results, pairs, strict=True)
        ]
        return verdicts, True

    def _entities_for(self, principal: DataPrincipal, model: str) -> cedarpy.Entities:
        """The principal and model as entities, parsed and checked against the schema once."""
        key = (principal, model)
        entities = self._entities.get(key)
        if entities is None:
            document = [
                {
                    "uid": {"type": "Agent", "id": principal.id},
                    "attrs": {
                        "kind": principal.kind,
                        "owner": principal.owner,
                        "data_classes": sorted(principal.data_classes),
                        "models": sorted(principal.models),
                    },
                    "parents": [],
                },
                {"uid": {"type": "Model", "id": model}, "attrs": {"name": model}, "parents": []},
            ]
            entities = cedarpy.Entities.from_json_str(json.dumps(document), self.schema)
            self._entities.put(key, entities)
        return entities

    def _verdict(
        self,
        result: cedarpy.AuthzResult,
        principal: DataPrincipal,
        model: str,
        pair: tuple[str, str],
    ) -> DataDecision:
        diagnostics = result.diagnostics
        if diagnostics.errors:
            erring = {m for error in diagnostics.errors for m in _ERRING_POLICY.findall(error)}
            named = tuple(p.id for p in self.policies if p.cedar_id in erring)
            reasons = tuple(
                f"{_FAIL_CLOSED}: {shorten(name_policies(error, self.policies))}"
                for error in diagnostics.errors[:5]
            )
            return DataDecision(Treatment.BLOCK, named, reasons)
        matched = set(diagnostics.reasons)
        if not matched <= self._by_cedar_id.keys():
            return DataDecision(Treatment.BLOCK, (), (f"{_FAIL_CLOSED}: unknown policy named.",))
        policies = [p for p in self.policies if p.cedar_id in matched]  # in file order
        if result.decision == cedarpy.Decision.Allow:
            if not policies or any(p.cedar_id not in self._treatments for p in policies):
                return DataDecision(Treatment.BLOCK, (), (f"{_FAIL_CLOSED}: inconsistent result.",))
            treatment = max((self._treatments[p.cedar_id] for p in policies), key=_strictness)
            winners = [p for p in policies if self._treatments[p.cedar_id] is treatment]
            return DataDecision(
                treatment,
                tuple(p.id for p in winners),
                tuple(self._described[p.cedar_id] for p in winners),
            )
        if policies:
            reasons = tuple(f"blocked by {self._described[p.cedar_id]}" for p in policies)
            return DataDecision(Treatment.BLOCK, tuple(p.id for p in policies), reasons)
        data_class, kind = pair
        who = f"{principal.kind} {principal.id!r}"
        reason = (
            f"no data policy gives {who} a treatment for {data_class}/{kind} on model {model!r}"
        )
        return DataDecision(Treatment.BLOCK, (), (reason,))


@functools.cache
def default_data_policy_text() -> str:
    return resources.files("affidavit.protect").joinpath("data_policy.cedar").read_text("utf-8")


# A placeholder while a batch is pending; never returned.
_PENDING = DataDecision(Treatment.BLOCK, (), ())


def _strictness(treatment: Treatment) -> int:
    return _STRICTNESS[treatment]


def _treatment_of(policy: AnnotatedPolicy) -> Treatment | None:
    value = policy.annotations.get("treatment")
    description = policy.annotations.get("description", "")
    if len(description) > 500 or not description.isprintable():
        raise InputError(
            f"{policy.where}: @description must be printable and at most 500 characters."
        )
    if policy.effect == "forbid":
        if value is not None:
            raise InputError(f"{policy.where}: a forbid cannot carry @treatment; it always blocks.")
        return None
    if value is None:
        raise InputError(
            f'{policy.where}: a permit must state @treatment("allow"|"tokenize"|"mask"|"block").'
        )
    try:
        return Treatment(value)
    except ValueError:
        raise InputError(
            f"{policy.where}: @treatment({preview(value)}) is not one of "
            "allow, tokenize, mask, block."
        ) from None


def _describe(policy: AnnotatedPolicy) -> str:
    description = policy.annotations.get("description")
    return f"policy '{policy.id}': {description}" if description else f"policy '{policy.id}'"


def _check_request(principal: object, model: object) -> None:
    if not isinstance(principal, DataPrincipal):
        raise InputError(
            f"the data policy needs a DataPrincipal, not {type(principal).__name__} "
            "(use DataPrincipal.of(identity))."
        )
    check_printable(model, "model name", max_len=256)


def _check_names(pair: tuple[object, object]) -> None:
    for what, name in zip(("data class", "kind"), pair, strict=True):
        if not isinstance(name, str) or _NAME.fullmatch(name) is None:
            raise InputError(
                f"{what} {preview(name)} must be a lower-case identifier (letters, digits, _)."
            )
