"""Cedar plumbing shared by every policy Affidavit evaluates (actions, data).

What is common to a policy file, whatever it decides: the text is a string of
at most ``limit`` UTF-8 bytes; it parses; it has no templates; every policy
carries a unique ``@id("...")`` (letters, digits, ``_.:-``, at most 64) and
only the annotations its engine understands, each with a value; and it passes
Cedar's validator against the engine's schema. Messages name policies by their
``@id`` rather than Cedar's positional ``policyN``. What the other annotations
mean is the engine's business.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Literal

import cedarpy

from affidavit._text import preview, shorten
from affidavit.errors import ConfigError, InputError

__all__ = [
    "AnnotatedPolicy",
    "annotated_policies",
    "checked_policy_bytes",
    "load_schema",
    "name_policies",
    "validate_policies",
]

_POLICY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_CEDAR_ID = re.compile(r"`(policy\d+)`")


@dataclass(frozen=True)
class AnnotatedPolicy:
    """One static policy: its @id, Cedar's positional id, effect and annotations."""

    id: str
    cedar_id: str  # policy0, policy1, ... in file order
    effect: Literal["permit", "forbid"]
    annotations: Mapping[str, str]

    @property
    def where(self) -> str:
        return f"policy {self.id!r}"


def checked_policy_bytes(text: object, *, limit: int) -> bytes:
    """The UTF-8 bytes of ``text``; InputError when it is not a string or too large."""
    if not isinstance(text, str):
        raise InputError(f"policy text must be a string, not {type(text).__name__}.")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("policy text contains characters that are not valid Unicode.") from None
    if len(data) > limit:
        raise InputError(f"policy text is {len(data)} bytes; the limit is {limit}.")
    return data


def annotated_policies(text: str, *, allowed: frozenset[str]) -> tuple[AnnotatedPolicy, ...]:
    """The policies of ``text`` in file order, with the common annotation rules checked.

    ``allowed`` names the annotations the caller's engine reads (``id`` is always
    allowed); any other is refused, so a misspelt annotation cannot be ignored.
    """
    try:
        document = json.loads(cedarpy.policies_to_json_str(text))
    except ValueError as exc:
        raise InputError(f"the policy text does not parse: {shorten(str(exc))}.") from None
    if document.get("templates") or document.get("templateLinks"):
        raise InputError("policy templates (?principal, ?resource) are not supported.")
    policies = document.get("staticPolicies", {})
    if not policies:
        raise InputError("the policy text contains no policy.")
    known = allowed | {"id"}
    found: list[AnnotatedPolicy] = []
    seen: set[str] = set()
    for cedar_id in sorted(policies, key=lambda name: int(name.removeprefix("policy"))):
        policy = policies[cedar_id]
        number = int(cedar_id.removeprefix("policy")) + 1
        effect = policy["effect"]
        notes: dict[str, str | None] = policy.get("annotations") or {}
        for key, value in notes.items():
            if value is None:
                raise InputError(f'policy #{number}: @{key} needs a value, e.g. @{key}("...").')
        policy_id = notes.get("id")
        if policy_id is None:
            raise InputError(f'policy #{number} ({effect}) needs an @id("...") annotation.')
        if _POLICY_ID.fullmatch(policy_id) is None:
            raise InputError(
                f"policy #{number}: @id({preview(policy_id)}) must be 1-64 letters, "
                "digits or _.:- ."
            )
        if policy_id in seen:
            raise InputError(f"two policies have @id({policy_id!r}); ids must be unique.")
        seen.add(policy_id)
        unknown = sorted(set(notes) - known)
        if unknown:
            names = ", ".join(f"@{name}" for name in sorted(known))
            raise InputError(
                f"policy {policy_id!r}: unknown annotation @{unknown[0]}; allowed: {names}."
            )
        values = {key: value for key, value in notes.items() if value is not None}
        found.append(AnnotatedPolicy(policy_id, cedar_id, effect, MappingProxyType(values)))
    return tuple(found)


def validate_policies(
    text: str, schema: cedarpy.Schema, policies: tuple[AnnotatedPolicy, ...]
) -> None:
    """InputError naming the first problems when ``text`` fails Cedar's validator."""
    result = cedarpy.validate_policies(text, schema)
    if result.validation_passed:
        return
    problems = [name_policies(error.error, policies) for error in result.errors[:5]]
    more = f" (and {len(result.errors) - 5} more)" if len(result.errors) > 5 else ""
    raise InputError(f"the policy does not match the schema: {'; '.join(problems)}{more}.")


def name_policies(message: str, policies: tuple[AnnotatedPolicy, ...]) -> str:
    """``message`` with Cedar's positional policy ids replaced by the @id of each policy."""
    names = {policy.cedar_id: policy.id for policy in policies}
    return _CEDAR_ID.sub(lambda m: f"`{names.get(m.group(1), m.group(1))}`", message)


@functools.lru_cache(maxsize=16)
def load_schema(package: str, name: str) -> cedarpy.Schema:
    """The Cedar schema shipped as ``name`` in ``package``, parsed once."""
    text = resources.files(package).joinpath(name).read_text("utf-8")
    try:
        return cedarpy.Schema.from_str(text)
    except ValueError as exc:  # only reachable with a broken shipped schema file
        raise ConfigError(f"the Cedar schema {name} does not parse: {shorten(str(exc))}") from None
