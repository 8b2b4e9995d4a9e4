"""Case replay: a case's timeline and state rebuilt from ledger entries alone.

No state table is read. The result must equal what the governance tables say
(tests hold it to that): the ledger is the source of truth, the tables a cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from affidavit.governance.proposals import effective_status
from affidavit.ledger.log import Ledger

__all__ = ["CaseReplay", "replay_case"]


@dataclass
class CaseReplay:
    case: str
    timeline: list[dict[str, Any]] = field(default_factory=list)
    proposals: dict[str, dict[str, Any]] = field(default_factory=dict)

    def state(self) -> dict[str, dict[str, Any]]:
        """The comparable state: per proposal, its status and who did what."""
        return {
            pid: {
                "status": p["status"],
                "approvals": sorted((a["approver"], a["verdict"]) for a in p["approvals"]),
                "executions": sorted((e["id"], e["status"]) for e in p["executions"].values()),
                "dispositions": [
                    (d["actor"], d["outcome"], d["reason"]) for d in p["dispositions"]
                ],
            }
            for pid, p in self.proposals.items()
        }


def _summary(kind: str, body: dict[str, Any]) -> str:
    if kind == "proposal.created":
        prop, decision = body["proposal"], body["decision"]
        return f"{prop['id']}: {prop['action']} on {prop['target']} -> {decision['effect']}"
    if kind.startswith(("approval.", "authorization.", "execution.", "breakglass.", "evidence.")):
        extra = body.get("status") or body.get("via") or body.get("outcome") or ""
        return f"{body.get('proposal', '')} {extra}".strip()
    if kind == "disposition.recorded":
        return f"{body['proposal']}: {body['outcome']} ({body['reason']})"
    if kind == "alert.ingested":
        alert = body["alert"]
        return f"{alert['vendor']} {alert['severity']}: {alert['title']}"[:160]
    if kind == "step.recorded":
        return f"{body['agent']} ran {body['model']}@{body['model_version']}"
    return ""


def replay_case(ledger: Ledger, case: str, now: datetime) -> CaseReplay:
    replay = CaseReplay(case)
    props = replay.proposals
    for stored in ledger.entries(case=case):
        entry = stored.json()
        kind, body = entry["type"], entry["body"]
        replay.timeline.append(
            {
                "seq": stored.seq,
                "time": entry["time"],
                "type": kind,
                "actor": entry["actor"],
                "summary": _summary(kind, body),
            }
        )
        if kind == "proposal.created":
            prop, decision = body["proposal"], body["decision"]
            status = {"allow": "pending_authorization", "deny": "denied"}.get(
                decision["effect"], "pending_approval"
            )
            props[prop["id"]] = {
                "status": status,
                "expires_at": prop["expires_at"],
                "approvals": [],
                "executions": {},
                "dispositions": [],
            }
            continue
        target = props.get(body.get("proposal", ""))
        if target is None:
            continue
        if kind in ("approval.granted", "approval.denied"):
            verdict = "approve" if kind == "approval.granted" else "deny"
            target["approvals"].append(
                {"approver": entry["actor"].split(":", 1)[1], "verdict": verdict}
            )
            if verdict == "deny":
                target["status"] = "denied"
        elif kind == "authorization.issued":
            target["status"] = "authorized"
        elif kind == "execution.started":
            target["executions"][body["execution"]] = {"id": body["execution"], "status": "running"}
        elif kind == "execution.finished":
            target["executions"][body["execution"]]["status"] = body["status"]
            target["status"] = "executed" if body["status"] == "succeeded" else "failed"
        elif kind == "disposition.recorded":
            target["dispositions"].append(
                {
                    "actor": entry["actor"].split(":", 1)[1],
                    "outcome": body["outcome"],
                    "reason": body["reason"],
                }
            )
    for prop in props.values():
        prop["status"] = effective_status(prop["status"], prop["expires_at"], now)
    return replay
