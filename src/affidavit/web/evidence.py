"""Evidence references, resolved to what the ledger holds about them.

A proposal's evidence is a list of references (free text up to 200 characters).
The console understands ``alert:<vendor alert id>`` (the minimised alert as the
ledger recorded it), step ids and ``step:<id>`` (the step's model call as
stored: treated by the data policy), ``entry:<seq>`` or ``ledger:<seq>`` (a
ledger entry's summary) and a 64-hex SHA-256 (the entry that carries that
payload). Raw payloads are never shown: only what the ledger holds in treated
form. Anything else is shown as the reference itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from affidavit.errors import AffidavitError
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity

__all__ = ["Resolved", "resolve", "step_texts"]

_STEP = re.compile(r"(?:step:)?(step_[0-9a-f]{20})")
_ENTRY = re.compile(r"(?:entry|ledger|seq):(\d{1,18})")
_SHA = re.compile(r"[0-9a-f]{64}")
_ALERT_SCAN = 2000
_VIEWER_MODEL = "console"  # the data policy's resource for a person reading in the console


@dataclass(frozen=True)
class Resolved:
    reference: str
    kind: str  # alert | step | entry | payload | external
    title: str
    seq: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    texts: list[tuple[str, str]] = field(default_factory=list)


def step_texts(gov: Governor, step: dict[str, Any], viewer: Identity) -> list[tuple[str, str]]:
    """(label, text) of a step's prompt, inputs and output as the data policy lets ``viewer``
    see them: the stored text (treated for the agent) treated again for this person, so a
    value the agent saw in the clear is tokenized or masked for a viewer without its class."""
    parts = [("Prompt", step["prompt"])]
    parts += [(f"Input {i + 1}", sha) for i, sha in enumerate(step["inputs"])]
    parts.append(("Output", step["output"]))
    found = []
    for label, sha in parts:
        try:
            stored = gov.ledger.payload(sha).decode("utf-8", errors="replace")
            text = gov.minimiser.for_agent(viewer, _VIEWER_MODEL, stored).text
        except AffidavitError as exc:  # erased under retention, or blocked by the data policy
            text = f"(not shown: {exc.message})"
        found.append((label, text))
    return found


def _alert(gov: Governor, case: str, vendor_id: str, ref: str) -> Resolved | None:
    after = None
    scanned = 0
    while scanned < _ALERT_SCAN:
        page = gov.alerts_page(after=after, limit=200, case=case)
        for a in page:
            if a["alert"].get("vendor_alert_id") == vendor_id:
                alert = a["alert"]
                return Resolved(
                    ref,
                    "alert",
                    f"{alert.get('vendor', '')} alert: {alert.get('title', '')}",
                    seq=a["seq"],
                    fields={k: v for k, v in alert.items() if not isinstance(v, dict | list)},
                    texts=[("Entities", _entities(alert.get("entities", [])))],
                )
        scanned += len(page)
        if len(page) < 200:
            return None
        after = page[-1]["seq"]
    return None


def _entities(entities: Any) -> str:
    if not isinstance(entities, list):
        return ""
    return "\n".join(
        f"{e.get('kind', '?')}: {e.get('value', '')}" for e in entities if isinstance(e, dict)
    )


def _entry(gov: Governor, seq: int, ref: str) -> Resolved | None:
    try:
        stored = gov.ledger.entry(seq)
    except AffidavitError:
        return None
    return Resolved(
        ref,
        "entry",
        f"Ledger entry {seq}: {stored.type}",
        seq=seq,
        fields={
            "type": stored.type,
            "actor": stored.actor,
            "case": stored.case,
            "time": stored.time,
        },
    )


def resolve(gov: Governor, case: str, ref: str, *, viewer: Identity | None) -> Resolved:
    """What the reference points at; with ``viewer``, a step's texts as they may see them."""
    try:
        if ref.startswith("alert:"):
            found = _alert(gov, case, ref[6:], ref)
            if found:
                return found
        elif m := _STEP.fullmatch(ref):
            step = gov.step(m.group(1))
            return Resolved(
                ref,
                "step",
                f"Step {step['id']}: {step['agent']} ran {step['model']} {step['model_version']}",
                seq=step["seq"],
                fields={k: step[k] for k in ("agent", "model", "model_version", "data_classes")},
                texts=[] if viewer is None else step_texts(gov, step, viewer),
            )
        elif m := _ENTRY.fullmatch(ref):
            found = _entry(gov, int(m.group(1)), ref)
            if found:
                return found
        elif _SHA.fullmatch(ref):
            where = gov.payload_reference(ref)
            return Resolved(
                ref,
                "payload",
                f"Payload of ledger entry {where['seq']} ({where['type']})",
                seq=where["seq"],
                fields=where,
            )
    except AffidavitError:
        pass
    return Resolved(ref, "external", "A reference outside Affidavit (open it in its own system)")
