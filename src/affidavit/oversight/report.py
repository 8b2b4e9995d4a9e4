"""The compliance report: controls mapped to evidence queries over the ledger.

The catalogue ships as ``controls.yaml`` in this package; user files add
controls or replace one with the same id. Each control names evidence
queries (:mod:`affidavit.oversight.evidence`); its status is ``gap`` when any
query finds a gap, else ``pass`` when any passes, else ``not_applicable``.
Every result carries explanations and links to the entries that show it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from affidavit.clock import iso as timestamp
from affidavit.errors import InputError, VerificationError
from affidavit.ledger import note
from affidavit.ledger.log import Ledger
from affidavit.oversight import queries_people, queries_records
from affidavit.oversight.evidence import GAP, NOT_APPLICABLE, PASS, QUERIES, Evidence, ReportContext
from affidavit.oversight.health import HealthState
from affidavit.oversight.signals import HealthReport, HealthThresholds, Window, health_report

__all__ = ["ComplianceReport", "Control", "ControlResult", "compliance_report", "load_controls"]

_REGISTERED = (queries_people, queries_records)  # importing them registers the queries
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,99}")
_FIELDS = ("id", "framework", "ref", "title", "rationale", "evidence")
MAX_CONTROLS = 1000


@dataclass(frozen=True)
class Control:
    id: str
    framework: str
    ref: str
    title: str
    rationale: str
    evidence: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise InputError("a control id is 1-100 letters, digits and . _ / : -")
        for name in ("framework", "ref", "title", "rationale"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or len(value) > 2000:
                raise InputError(f"control {self.id}: {name} must be text of 1-2000 characters")
        if not self.evidence or not all(isinstance(q, str) for q in self.evidence):
            raise InputError(f"control {self.id}: evidence is a list of query names")
        unknown = [q for q in self.evidence if q not in QUERIES]
        if unknown:
            raise InputError(
                f"control {self.id} names {len(unknown)} unknown evidence queries; "
                f"known: {', '.join(sorted(QUERIES))}"
            )


def _parse(text: str, source: str) -> list[Control]:
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        raise InputError(f"{source} is not valid YAML (or nested too deeply)") from None
    items = data.get("controls") if isinstance(data, dict) else None
    if not isinstance(items, list) or len(items) > MAX_CONTROLS:
        raise InputError(f"{source} must hold `controls:`, a list of at most {MAX_CONTROLS}")
    controls = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != set(_FIELDS):
            raise InputError(f"{source}: control #{i + 1} needs exactly {', '.join(_FIELDS)}")
        evidence = item["evidence"]
        if not isinstance(evidence, list):
            raise InputError(f"{source}: control #{i + 1}: evidence is a list of query names")
        controls.append(Control(**{**item, "evidence": tuple(evidence)}))
    return controls


def load_controls(*extra: Path) -> list[Control]:
    """The shipped catalogue, then each file's controls (same id: replaced)."""
    shipped = resources.files("affidavit.oversight").joinpath("controls.yaml").read_text("utf-8")
    by_id = {c.id: c for c in _parse(shipped, "the shipped catalogue")}
    for path in extra:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise InputError(f"cannot read controls file {path.name}") from None
        for control in _parse(text, path.name):
            by_id[control.id] = control
    return list(by_id.values())


@dataclass(frozen=True)
class ControlResult:
    control: Control
    status: str
    evidence: tuple[tuple[str, Evidence], ...]

    def to_dict(self) -> dict[str, Any]:
        c = self.control
        return {
            "id": c.id,
            "framework": c.framework,
            "ref": c.ref,
            "title": c.title,
            "rationale": c.rationale,
            "status": self.status,
            "evidence": [
                {
                    "query": name,
                    "status": e.status,
                    "explanation": e.explanation,
                    "entries": list(e.entries),
                }
                for name, e in self.evidence
            ],
        }


def evaluate(control: Control, ctx: ReportContext) -> ControlResult:
    found = tuple((name, QUERIES[name](ctx)) for name in control.evidence)
    statuses = {e.status for _, e in found}
    status = GAP if GAP in statuses else PASS if PASS in statuses else NOT_APPLICABLE
    return ControlResult(control, status, found)


@dataclass(frozen=True)
class ComplianceReport:
    generated_at: str
    window: dict[str, Any]
    ledger: dict[str, Any]
    results: tuple[ControlResult, ...]
    health: HealthReport

    def summary(self) -> dict[str, int]:
        counts = Counter(r.status for r in self.results)
        return {s: counts[s] for s in (PASS, GAP, NOT_APPLICABLE)}

    def by_framework(self) -> dict[str, list[ControlResult]]:
        grouped: dict[str, list[ControlResult]] = {}
        for result in self.results:
            grouped.setdefault(result.control.framework, []).append(result)
        return grouped

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": "Affidavit compliance report",
            "generated_at": self.generated_at,
            "window": self.window,
            "ledger": self.ledger,
            "summary": self.summary(),
            "controls": [r.to_dict() for r in self.results],
            "health": self.health.to_dict(),
        }


def _checkpoint_size(ledger: Ledger) -> int | None:
    signed = ledger.latest_checkpoint()
    if signed is None:
        return None
    return note.Checkpoint.parse(note.verify(signed, [ledger.verifier_key]).text).size


def compliance_report(
    ledger: Ledger,
    state: HealthState,
    *,
    window: Window,
    now: datetime,
    controls: list[Control],
    thresholds: HealthThresholds | None = None,
    verify: bool = True,
) -> ComplianceReport:
    """Evaluate ``controls`` over ``state`` (folded to the ledger's end) for ``window``."""
    health = health_report(state, window=window, thresholds=thresholds, now=now)
    verified, error = None, None
    if verify:
        try:
            verified = ledger.verify()
        except VerificationError as exc:
            error = exc.message
    ctx = ReportContext.build(
        state,
        health,
        window,
        ledger_size=state.position,
        checkpoint_size=_checkpoint_size(ledger),
        verified=verified,
        verify_error=error,
    )
    return ComplianceReport(
        generated_at=timestamp(now),
        window=health.window,
        ledger={
            "origin": ledger.origin,
            "size": state.position,
            "verifier_key": ledger.verifier_key,
            "verified": None if not verify else error is None,
        },
        results=tuple(evaluate(c, ctx) for c in controls),
        health=health,
    )
