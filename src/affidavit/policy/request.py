"""What a policy decision is asked about: who proposes which action on which targets."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from affidavit._text import check_printable, check_string_set, preview
from affidavit.errors import InputError
from affidavit.policy.assets import Asset

__all__ = ["MAX_TARGETS", "MAX_TARGET_COUNT", "DecisionRequest", "Principal", "PrincipalKind"]

PrincipalKind = Literal["human", "agent", "model", "integration"]
_KINDS: tuple[PrincipalKind, ...] = ("human", "agent", "model", "integration")
MAX_TARGETS = 1000  # targets evaluated one by one in a single request
MAX_TARGET_COUNT = 1_000_000  # the declared size of a bulk action


@dataclass(frozen=True)
class Principal:
    """The proposer. People have roles; agents, models and integrations have an owner and scopes.

    ``scopes`` are the ids of the actions a non-human identity may propose (the
    governance layer expands any wildcard scopes before asking for a decision).
    """

    id: str
    kind: PrincipalKind
    owner: str = ""
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_printable(self.id, "principal id", max_len=256)
        if self.kind not in _KINDS:
            raise InputError(
                f"principal kind {preview(self.kind)} is not one of {', '.join(_KINDS)}."
            )
        roles = check_string_set(self.roles, "roles", max_items=64, max_len=64)
        scopes = check_string_set(self.scopes, "scopes", max_items=1000, max_len=64)
        if self.kind == "human":
            check_printable(self.owner, "owner", max_len=256, allow_empty=True)
            if scopes:
                raise InputError("scopes belong to agents; a person's permissions are their roles.")
        else:
            check_printable(self.owner, f"the owner of {self.kind} {self.id!r}", max_len=256)
            if roles:
                raise InputError(
                    f"roles belong to people; a {self.kind}'s permissions are its scopes."
                )
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "scopes", scopes)

    @property
    def is_human(self) -> bool:
        return self.kind == "human"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "owner": self.owner,
            "roles": list(self.roles),
            "scopes": list(self.scopes),
        }


@dataclass(frozen=True)
class DecisionRequest:
    """A proposal as policy sees it.

    ``confidence`` is the proposer's confidence from 0 to 1 (None when not
    given); policy sees it as a whole percentage, rounded down, and 0 when
    absent so that a missing confidence never relaxes a rule. ``target_count``
    defaults to the number of targets; it may be larger when the targets given
    are a sample of a bulk action.
    """

    principal: Principal
    action: str
    targets: Sequence[Asset]
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    confidence: float | None = None
    spike: bool = False
    target_count: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.principal, Principal):
            raise InputError("principal must be a Principal.")
        check_printable(self.action, "action", max_len=64)
        targets = _checked_targets(self.targets)
        object.__setattr__(self, "targets", targets)
        if not isinstance(self.params, Mapping):
            raise InputError(f"params must be a JSON object, not {type(self.params).__name__}.")
        object.__setattr__(self, "params", dict(self.params))
        _check_confidence(self.confidence)
        if not isinstance(self.spike, bool):
            raise InputError("spike must be true or false.")
        count = len(targets) if self.target_count is None else self.target_count
        if type(count) is not int or not len(targets) <= count <= MAX_TARGET_COUNT:
            raise InputError(
                f"target_count must be a whole number from the number of targets "
                f"({len(targets)}) to {MAX_TARGET_COUNT}, not {preview(self.target_count)}."
            )
        object.__setattr__(self, "target_count", count)

    @property
    def confidence_percent(self) -> int:
        if self.confidence is None:
            return 0
        # Decimal over repr avoids 0.29 * 100 == 28.999999999999996 rounding down to 28.
        return int(Decimal(repr(float(self.confidence))) * 100)


def _checked_targets(targets: object) -> tuple[Asset, ...]:
    if isinstance(targets, Asset):
        targets = (targets,)
    if not isinstance(targets, list | tuple):
        raise InputError("targets must be a list of assets.")
    if not 1 <= len(targets) <= MAX_TARGETS:
        raise InputError(f"a request needs 1 to {MAX_TARGETS} targets, not {len(targets)}.")
    seen: set[tuple[str, str]] = set()
    for target in targets:
        if not isinstance(target, Asset):
            raise InputError("each target must be an Asset (use Asset.unknown for unknown ones).")
        key = (target.kind, target.id)
        if key in seen:
            raise InputError(f"target {target.target} is listed twice.")
        seen.add(key)
    return tuple(targets)


def _check_confidence(confidence: object) -> None:
    if confidence is None:
        return
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not math.isfinite(confidence)
        or not 0 <= confidence <= 1
    ):
        raise InputError(f"confidence must be a number from 0 to 1, not {preview(confidence)}.")
