"""The action catalog: every action an agent or a person may propose, with its blast radius.

The catalog shipped in ``actions.yaml`` is extended by user files in the same
format (``{"actions": [...]}``); an action whose id already exists replaces it
as a whole. Every action is checked the same way wherever it comes from,
including its parameter JSON Schema (Draft 2020-12).

An action that is not in the catalog cannot be proposed: ``get`` raises
InputError (a request naming an unknown action is malformed, so callers refuse
it before any policy runs). The seven ids in ``STABLE_ACTIONS`` are relied on
by scripts outside the project: an extension may change their text, connector
or parameters but not their tier, and may not make a parameter required.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from affidavit import canonical
from affidavit._text import check_json_value, preview, shorten
from affidavit.errors import InputError
from affidavit.policy.action_spec import ActionSpec
from affidavit.policy.targets import Target

__all__ = ["MAX_CATALOG_BYTES", "MAX_PARAMS_BYTES", "STABLE_ACTIONS", "Catalog"]

MAX_CATALOG_BYTES = 1 << 20  # one catalog file
MAX_PARAMS_BYTES = 64 << 10  # canonical JSON of one parameters object
_MAX_ACTIONS = 1000

# id -> tier; none of these may require a parameter.
STABLE_ACTIONS: Mapping[str, int] = MappingProxyType(
    {
        "enrich_ip_reputation": 0,
        "add_case_note": 1,
        "isolate_host": 2,
        "block_ip": 2,
        "disable_account": 3,
        "revoke_sessions": 3,
        "wipe_host": 4,
    }
)
_FILE_KEYS = frozenset({"actions"})


class Catalog:
    """An immutable set of actions, keyed by id, with compiled parameter validators."""

    def __init__(self, actions: list[ActionSpec]) -> None:
        if len(actions) > _MAX_ACTIONS:
            raise InputError(
                f"the catalog has {len(actions)} actions; the limit is {_MAX_ACTIONS}."
            )
        by_id: dict[str, ActionSpec] = {}
        for action in actions:
            if not isinstance(action, ActionSpec):
                raise InputError("a catalog is built from ActionSpec objects.")
            if action.id in by_id:
                raise InputError(f"action '{action.id}' is defined twice in the catalog.")
            by_id[action.id] = action
        for action_id, tier in STABLE_ACTIONS.items():
            _check_stable(by_id.get(action_id), action_id, tier)
        self._actions = dict(sorted(by_id.items()))
        self._validators = {
            a.id: Draft202012Validator(
                dict(a.params_schema), format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            for a in actions
        }
        # Most proposals carry no parameters; knowing which actions accept {} skips the validator.
        self._accepts_no_params = {
            action_id: validator.is_valid({}) for action_id, validator in self._validators.items()
        }
        self.digest = canonical.sha256_hex([a.to_dict() for a in self._actions.values()])
        """SHA-256 hex of the canonical catalog; names this exact catalog in reports."""

    @classmethod
    def default(cls) -> Catalog:
        """The catalog shipped with Affidavit."""
        return _default_catalog()

    @classmethod
    def load(cls, *paths: str | Path) -> Catalog:
        """The shipped catalog extended by each file in ``paths``, in order."""
        catalog = cls.default()
        for path in paths:
            catalog = catalog.extended(_read_limited(Path(path)), source=str(path))
        return catalog

    def extended(self, text: str, *, source: str = "<text>") -> Catalog:
        """A new catalog with the actions of ``text`` added, replacing those with the same id."""
        merged = dict(self._actions)
        seen: set[str] = set()
        for action in _parse_catalog_text(text, source):
            if action.id in seen:
                raise InputError(f"{source}: action '{action.id}' is defined twice.")
            seen.add(action.id)
            merged[action.id] = action
        try:
            return Catalog(list(merged.values()))
        except InputError as exc:
            raise InputError(f"{source}: {exc.message}") from None

    def get(self, action_id: object) -> ActionSpec:
        """The action with this id; InputError when the catalog has no such action."""
        action = self._actions.get(action_id) if isinstance(action_id, str) else None
        if action is None:
            raise InputError(
                f"unknown action {preview(action_id)}: it is not in the action catalog, "
                "so it cannot be proposed."
            )
        return action

    def validate_params(self, action_id: str, params: object) -> None:
        """Raise InputError naming the JSON path of the first parameter that breaks the schema."""
        action = self.get(action_id)
        if not isinstance(params, Mapping):
            raise InputError(
                f"parameters of action '{action.id}' must be a JSON object, "
                f"not {type(params).__name__}."
            )
        if not params and self._accepts_no_params[action.id]:
            return
        check_json_value(params, f"parameters of action '{action.id}'")
        try:
            size = len(canonical.encode(dict(params)))
        except InputError as exc:
            raise InputError(f"parameters of action '{action.id}': {exc.message}") from None
        if size > MAX_PARAMS_BYTES:
            raise InputError(
                f"parameters of action '{action.id}' are {size} bytes as JSON; "
                f"the limit is {MAX_PARAMS_BYTES}."
            )
        error = best_match(self._validators[action.id].iter_errors(params))
        if error is not None:
            raise InputError(
                f"parameter {error.json_path} of action '{action.id}' is invalid: "
                f"{_rule_broken(error)} (the value is not shown)"
            )

    def check_target(self, action_id: str, target: Target) -> None:
        """Raise InputError when ``action_id`` does not apply to targets of this kind."""
        action = self.get(action_id)
        if target.kind not in action.target_kinds:
            kinds = ", ".join(action.target_kinds)
            raise InputError(
                f"action '{action.id}' applies to {kinds} targets, not to {target.kind} ({target})."
            )

    def __contains__(self, action_id: object) -> bool:
        return isinstance(action_id, str) and action_id in self._actions

    def __iter__(self) -> Iterator[ActionSpec]:
        return iter(self._actions.values())

    def __len__(self) -> int:
        return len(self._actions)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._actions)


def _check_stable(action: ActionSpec | None, action_id: str, tier: int) -> None:
    if action is None:
        raise InputError(f"the catalog must define the stable action '{action_id}'.")
    if action.tier != tier:
        raise InputError(
            f"the stable action '{action_id}' must stay at tier {tier}, not {action.tier}."
        )
    if action.params_schema.get("required"):
        raise InputError(f"the stable action '{action_id}' must not require any parameter.")


@functools.cache
def _default_catalog() -> Catalog:
    text = resources.files("affidavit.policy").joinpath("actions.yaml").read_text("utf-8")
    return Catalog(_parse_catalog_text(text, "actions.yaml (shipped)"))


def _read_limited(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CATALOG_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read catalog file {path}: {exc.strerror}.") from None
    if len(data) > MAX_CATALOG_BYTES:
        raise InputError(f"catalog file {path} is larger than {MAX_CATALOG_BYTES} bytes.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"catalog file {path} is not UTF-8 text.") from None


def _parse_catalog_text(text: str, source: str) -> list[ActionSpec]:
    if len(text) > MAX_CATALOG_BYTES:
        raise InputError(f"{source}: the catalog is larger than {MAX_CATALOG_BYTES} characters.")
    try:
        document = yaml.safe_load(text)
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be a catalog.") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {_one_line(str(exc))}") from None
    if not isinstance(document, dict) or not isinstance(document.get("actions"), list):
        raise InputError(f"{source}: a catalog file is a mapping with a list under 'actions'.")
    extra = set(document) - _FILE_KEYS
    if extra:
        raise InputError(f"{source}: unknown top-level keys {sorted(map(str, extra))}.")
    actions = []
    for index, entry in enumerate(document["actions"]):
        try:
            actions.append(_action_from_mapping(entry))
        except InputError as exc:
            label = entry.get("id") if isinstance(entry, dict) else None
            where = f"action '{label}'" if isinstance(label, str) else f"action #{index + 1}"
            raise InputError(f"{source}: {where}: {exc.message}") from None
    return actions


_ACTION_KEYS = frozenset(
    {"id", "name", "description", "tier", "target_kinds", "reversible", "connector", "params"}
)
_NO_PARAMS: Mapping[str, Any] = {"type": "object", "additionalProperties": False}


def _action_from_mapping(entry: object) -> ActionSpec:
    if not isinstance(entry, dict):
        raise InputError("each action is a mapping of id, name, description, tier, ...")
    missing = sorted(_ACTION_KEYS - {"params"} - set(entry))
    if missing:
        raise InputError(f"missing keys {missing}.")
    extra = sorted(map(str, set(entry) - _ACTION_KEYS))
    if extra:
        raise InputError(f"unknown keys {extra}.")
    kinds = entry["target_kinds"]
    if not isinstance(kinds, list):
        raise InputError("target_kinds must be a list such as [host].")
    return ActionSpec(
        id=entry["id"],
        name=entry["name"],
        description=entry["description"],
        tier=entry["tier"],
        target_kinds=tuple(kinds),
        reversible=entry["reversible"],
        connector=entry["connector"],
        params_schema=entry.get("params", _NO_PARAMS),
    )


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _rule_broken(error: Any) -> str:
    """What a parameter got wrong, in the schema's words only: jsonschema's own
    messages quote the rejected value, which may be a secret pasted by mistake."""
    rule, limit = error.validator, error.validator_value
    if rule == "required":  # names the schema's properties, not values
        return shorten(str(error.message))
    if rule == "additionalProperties":  # names the unexpected keys: names, not values
        allowed = sorted((error.schema or {}).get("properties", {}))
        extra = (
            sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        )
        takes = f"it takes only {', '.join(allowed)}" if allowed else "it takes no parameters"
        return shorten(f"unknown {', '.join(map(str, extra))}; {takes}", 300)
    words = {
        "type": f"must be of type {limit}",
        "maxLength": f"is longer than {limit} characters",
        "minLength": f"is shorter than {limit} characters",
        "maximum": f"is above {limit}",
        "minimum": f"is below {limit}",
        "exclusiveMaximum": f"is not below {limit}",
        "exclusiveMinimum": f"is not above {limit}",
        "maxItems": f"has more than {limit} items",
        "minItems": f"has fewer than {limit} items",
        "uniqueItems": "has repeated items",
        "enum": f"is not one of {shorten(str(limit), 200)}",
        "const": "is not the allowed value",
        "pattern": f"does not match {shorten(str(limit), 100)}",
        "format": f"is not a valid {limit}",
    }
    return words.get(str(rule), f"breaks the schema's {rule} rule")
