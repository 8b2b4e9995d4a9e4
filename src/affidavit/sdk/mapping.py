"""Which catalog action a tool call is, and how its target and parameters are built.

A mapping file (YAML)::

    unmapped: deny            # or allow: unmapped tools run, recorded, without a proposal
    tools:
      isolate_host:
        action: isolate_host
        target: "host:{hostname}"          # {name} is the tool argument's value
        params: {comment: "{reason}"}      # "{x}" alone keeps the type; absent: left out
        rationale: "{reason}"
        confidence: "{confidence}"         # a number 0..1 from the arguments, optional
      lookup_ip:
        action: enrich_ip_reputation
        target: "ip:{ip}"

A template may only name arguments (``{name}`` or ``{name.field}``); a missing
argument in the target refuses the call, one in a parameter leaves it out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from affidavit.errors import InputError

__all__ = ["MAX_MAPPING_BYTES", "Mapped", "ToolMap", "ToolMapping"]

MAX_MAPPING_BYTES = 256 * 1024
_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}")
_WHOLE = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}$")
_TOOL_KEYS = frozenset({"action", "target", "params", "rationale", "confidence"})
_FILE_KEYS = frozenset({"unmapped", "tools"})
_MISSING = object()


@dataclass(frozen=True)
class Mapped:
    """One tool call as a proposal: the action, its target and parameters."""

    action: str
    target: str
    params: dict[str, Any]
    rationale: str
    confidence: float | None

    def caller_proposal(self, evidence: list[str], connector: str) -> dict[str, Any]:
        """Keyword arguments of ``propose`` (after case and action) for a call the caller
        runs itself: Affidavit's executor never runs it, and when the policy allows it
        the execution is claimed for ``connector`` in the same write."""
        return {
            "target": self.target,
            "params": self.params,
            "confidence": self.confidence,
            "rationale": self.rationale,
            "evidence": evidence,
            "executor": "caller",
            "claim": connector,
        }


def _lookup(arguments: Mapping[str, Any], path: str) -> Any:
    value: Any = arguments
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _render(template: str, arguments: Mapping[str, Any], what: str, tool: str) -> str:
    def one(match: re.Match[str]) -> str:
        value = _lookup(arguments, match.group(1))
        if value is _MISSING or isinstance(value, (dict, list)) or value is None:
            raise InputError(
                f"tool {tool}: argument {match.group(1)!r} is needed for the {what} "
                "and is missing or not a plain value"
            )
        return str(value)

    return _FIELD.sub(one, template)


def _check_template(value: object, where: str) -> None:
    if isinstance(value, str):
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_template(v, f"{where}.{k}")
        return
    if isinstance(value, (int, float, bool)) or value is None:
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_template(v, f"{where}[{i}]")
        return
    raise InputError(f"{where} must be a string, number, list or mapping")


@dataclass(frozen=True)
class ToolMap:
    tool: str
    action: str
    target: str
    params: Mapping[str, Any] = field(default_factory=dict)
    rationale: str = ""
    confidence: str | float | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.tool):
            raise InputError("a tool name is 1-128 letters, digits or _.:/-")
        if not isinstance(self.action, str) or not re.fullmatch(r"[a-z0-9_]{1,64}", self.action):
            raise InputError(f"tool {self.tool}: action must be a catalog action id")
        if not isinstance(self.target, str) or ":" not in self.target:
            raise InputError(f"tool {self.tool}: target must be a KIND:{{argument}} template")
        if not isinstance(self.rationale, str):
            raise InputError(f"tool {self.tool}: rationale must be a template string")
        if not isinstance(self.params, Mapping):
            raise InputError(f"tool {self.tool}: params must be a mapping")
        _check_template(dict(self.params), f"tool {self.tool}: params")

    def apply(self, arguments: Mapping[str, Any]) -> Mapped:
        params: dict[str, Any] = {}
        for key, template in self.params.items():
            whole = _WHOLE.match(template) if isinstance(template, str) else None
            if whole:
                value = _lookup(arguments, whole.group(1))
                if value is not _MISSING and value is not None:
                    params[key] = value
            elif isinstance(template, str):
                try:
                    params[key] = _render(template, arguments, f"parameter {key}", self.tool)
                except InputError:
                    continue  # an optional parameter whose argument is absent
            else:
                params[key] = template
        confidence: float | None = None
        if isinstance(self.confidence, str):
            whole = _WHOLE.match(self.confidence)
            raw = _lookup(arguments, whole.group(1)) if whole else _MISSING
            if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 <= raw <= 1:
                confidence = float(raw)
        elif isinstance(self.confidence, (int, float)):
            confidence = float(self.confidence)
        rationale = ""
        if self.rationale:
            try:
                rationale = _render(self.rationale, arguments, "rationale", self.tool)[:4000]
            except InputError:
                rationale = ""
        return Mapped(
            action=self.action,
            target=_render(self.target, arguments, "target", self.tool),
            params=params,
            rationale=rationale,
            confidence=confidence,
        )


@dataclass(frozen=True)
class ToolMapping:
    """Tool name -> action; what happens to tools it does not name."""

    tools: Mapping[str, ToolMap] = field(default_factory=dict)
    unmapped: str = "deny"

    def __post_init__(self) -> None:
        if self.unmapped not in ("deny", "allow"):
            raise InputError("unmapped must be deny or allow")

    def get(self, tool: str) -> ToolMap | None:
        return self.tools.get(tool)

    @classmethod
    def parse(cls, text: str, source: str = "<mapping>") -> ToolMapping:
        try:
            data = yaml.safe_load(text)
        except (yaml.YAMLError, RecursionError):
            raise InputError(f"{source} is not valid YAML (or nested too deeply)") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InputError(f"{source} must be a mapping with tools: and unmapped:")
        unknown = set(data) - _FILE_KEYS
        if unknown:
            raise InputError(f"{source}: unknown keys {', '.join(sorted(map(str, unknown)))}")
        tools = data.get("tools") or {}
        if not isinstance(tools, dict):
            raise InputError(f"{source}: tools must map tool names to actions")
        built: dict[str, ToolMap] = {}
        for name, spec in tools.items():
            if not isinstance(spec, dict):
                raise InputError(f"{source}: tool {name} must be a mapping with action and target")
            extra = set(spec) - _TOOL_KEYS
            if extra:
                raise InputError(f"{source}: tool {name}: unknown keys {', '.join(sorted(extra))}")
            try:
                built[str(name)] = ToolMap(
                    tool=str(name),
                    action=spec.get("action"),  # type: ignore[arg-type]
                    target=spec.get("target"),  # type: ignore[arg-type]
                    params=spec.get("params") or {},
                    rationale=spec.get("rationale") or "",
                    confidence=spec.get("confidence"),
                )
            except InputError as exc:
                raise InputError(f"{source}: {exc.message}") from None
        return cls(built, str(data.get("unmapped", "deny")))

    @classmethod
    def load(cls, path: str | Path) -> ToolMapping:
        path = Path(path)
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_MAPPING_BYTES + 1)
        except OSError as exc:
            raise InputError(f"cannot read mapping file {path}: {exc.strerror}") from None
        if len(raw) > MAX_MAPPING_BYTES:
            raise InputError(f"mapping file {path} is larger than {MAX_MAPPING_BYTES} bytes")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"mapping file {path} is not UTF-8") from None
        return cls.parse(text, str(path))
