"""Ledger entries as OCSF 1.3 events: class 6003 *API Activity*.

Why API Activity: every governance event is an operation on Affidavit's
governance API by an identified actor, with an outcome — an agent *creates*
a proposal and policy decides it, a person *updates* it by approving or
denying, the executor *creates* an execution and *updates* the target through
a connector. API Activity carries exactly that natively (``actor``, ``api.operation``,
``resources``, ``status``), and its ``actor.authorizations`` holds a policy
decision with the policy that made it. Detection Finding (2004) describes a
detection, which Affidavit does not make; Authorize Session (3003) describes a
logon session's privileges, not a decision on one action; the Remediation
classes (7001-7004) fit only containment, not notes or tickets, and many SIEM
parsers do not know them yet.

Every event carries ``metadata.uid`` = ``<ledger origin>/<seq>`` and
``metadata.sequence`` = the ledger sequence number: delivery is at least
once, and a receiver removes duplicates by that uid. ``metadata.event_code``
is the ledger entry type; Affidavit-specific facts sit under
``unmapped.affidavit``. Text is masked by the caller (see ``_redact``).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

from affidavit import __version__
from affidavit.governance import events as ev
from affidavit.ledger.entry import StoredEntry

__all__ = ["OCSF_VERSION", "to_ocsf"]

OCSF_VERSION = "1.3.0"
_CLASS_UID = 6003
_CATEGORY_UID = 6
_ACTIVITIES = {1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"}
_SEVERITIES = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
_STATUSES = {0: "Unknown", 1: "Success", 2: "Failure", 99: "Other"}
_HOST = socket.gethostname()


def _object(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: entry bodies are read defensively."""
    return value if isinstance(value, dict) else {}


def _ms(time: str) -> int:
    """The ledger's ``2026-12-07T10:00:00.123456Z`` as Unix milliseconds."""
    moment = datetime.fromisoformat(time[:-1]).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1000 + moment.microsecond // 1000


def _user(actor: str) -> dict[str, Any]:
    kind, _, ident = actor.partition(":")
    if kind == "human":
        return {"uid": actor, "name": ident, "type": "User", "type_id": 1}
    if kind == "system":
        return {"uid": actor, "name": ident, "type": "System", "type_id": 3}
    return {
        "uid": actor,
        "name": ident or actor,
        "type": kind.capitalize() or "Other",
        "type_id": 99,
    }


def _resource(target: object, kind: str = "") -> dict[str, Any]:
    text = str(target)
    if not kind:
        kind, _, name = text.partition(":")
    else:
        name = text
    return {"uid": text, "type": kind, "name": name}


def _get(body: dict[str, Any], *path: str) -> Any:
    value: Any = body
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _proposal(body: dict[str, Any], event: dict[str, Any]) -> None:
    proposal = _object(body.get("proposal"))
    decision = _object(body.get("decision"))
    action = proposal.get("action", "")
    effect = decision.get("effect")
    tier = _get(body, "decision_inputs", "context", "tier")
    event["activity_id"] = 1
    event["api"]["operation"] = f"propose/{action}"
    event["api"]["request"] = {"uid": str(proposal.get("id", ""))}
    if proposal.get("target"):
        event["resources"] = [_resource(proposal["target"])]
    reasons = [str(r) for r in decision.get("reasons") or []]
    if effect == "allow":
        event["status_id"] = 1
        event["status_detail"] = "allowed by policy"
    elif effect == "deny":
        event["status_id"] = 2
        event["status_detail"] = "denied by policy: " + "; ".join(reasons)
    else:
        event["status_id"] = 99
        event["status"] = "Pending approval"
        event["status_detail"] = (
            f"needs {decision.get('approvals_required')} approval(s): " + "; ".join(reasons)
        )
    event["actor"]["authorizations"] = [
        {
            "decision": str(effect),
            "policy": {
                "uid": str(decision.get("bundle_hash", "")),
                "name": ",".join(map(str, decision.get("determining_policies") or [])) or "policy",
                "desc": "; ".join(reasons),
            },
        }
    ]
    if isinstance(tier, int):
        event["severity_id"] = {0: 1, 1: 1, 2: 2, 3: 3, 4: 4}.get(tier, 1)
    if effect == "deny":
        event["severity_id"] = max(event["severity_id"], 2)
    event["message"] = (
        f"{event['actor']['user']['uid']} proposed {action} on {proposal.get('target')}: {effect}"
    )
    event["unmapped"]["affidavit"].update(
        proposal=proposal,
        decision=decision,
        tier=tier,
        connector=_get(body, "decision_inputs", "context", "connector"),
    )


def _approval(entry: StoredEntry, body: dict[str, Any], event: dict[str, Any]) -> None:
    verb = {
        ev.ApprovalGranted.type: "approve",
        ev.ApprovalDenied.type: "deny",
        ev.BreakglassInvoked.type: "breakglass",
        ev.BreakglassReviewed.type: "review_breakglass",
    }
    operation = verb[entry.type]
    proposal = str(body.get("proposal", ""))
    event["activity_id"] = 3
    event["api"]["operation"] = operation
    event["api"]["request"] = {"uid": proposal}
    event["resources"] = [_resource(proposal, "proposal")]
    event["status_id"] = 1
    if entry.type == ev.BreakglassInvoked.type:
        event["severity_id"] = 4
        event["status_detail"] = f"break-glass, review due {body.get('review_due')}"
    elif entry.type == ev.BreakglassReviewed.type:
        event["status_detail"] = f"break-glass {body.get('outcome')}"
        if body.get("late") or body.get("outcome") == "rejected":
            event["severity_id"] = 3
    elif entry.type == ev.ApprovalDenied.type:
        event["status_detail"] = "denied by an approver"
    event["message"] = f"{entry.actor} {operation} {proposal}"


def _authorization(body: dict[str, Any], event: dict[str, Any]) -> None:
    proposal = str(body.get("proposal", ""))
    event["activity_id"] = 1
    event["api"]["operation"] = "authorize"
    event["api"]["request"] = {"uid": str(body.get("authorization", ""))}
    event["resources"] = [_resource(proposal, "proposal")]
    event["status_id"] = 1
    event["status_detail"] = f"authorized via {body.get('via')}, expires {body.get('expires_at')}"
    event["message"] = f"{proposal} authorized via {body.get('via')}"


def _execution(entry: StoredEntry, body: dict[str, Any], event: dict[str, Any]) -> None:
    proposal = str(body.get("proposal", ""))
    execution = str(body.get("execution", ""))
    event["api"]["request"] = {"uid": execution}
    event["resources"] = [_resource(proposal, "proposal")]
    if entry.type == ev.ExecutionStarted.type:
        connector = str(body.get("connector", ""))
        event["activity_id"] = 1
        event["api"]["operation"] = f"execute/{connector}"
        event["api"]["service"]["name"] = f"affidavit/{connector}"
        event["status_id"] = 99
        event["status"] = "Started"
        event["message"] = f"execution {execution} of {proposal} started via {connector}"
        return
    status = body.get("status")
    detail = _object(body.get("detail"))
    event["activity_id"] = 3
    event["api"]["operation"] = "execute"
    ref = body.get("external_ref")
    if ref:
        event["resources"].append(_resource(ref, "external_ref"))
    if status == "succeeded":
        event["status_id"] = 1
        event["api"]["response"] = {"code": 0, "message": "succeeded"}
    else:
        event["status_id"] = 2
        event["severity_id"] = 3
        error = str(detail.get("error", "failed"))
        event["status_detail"] = error
        event["api"]["response"] = {
            "code": 1,
            "error": str(detail.get("error_kind", "failed")),
            "error_message": error,
        }
    event["message"] = f"execution {execution} of {proposal} {status}"


def to_ocsf(entry: StoredEntry, origin: str, *, hostname: str | None = None) -> dict[str, Any]:
    """One OCSF API Activity event for one ledger entry (any type; unknown types as Other)."""
    try:
        body = entry.body
    except (ValueError, KeyError, AssertionError):
        body = {}
    event: dict[str, Any] = {
        "category_uid": _CATEGORY_UID,
        "category_name": "Application Activity",
        "class_uid": _CLASS_UID,
        "class_name": "API Activity",
        "activity_id": 99,
        "severity_id": 1,
        "status_id": 0,
        "time": _ms(entry.time),
        "metadata": {
            "version": OCSF_VERSION,
            "uid": f"{origin}/{entry.seq}",
            "sequence": entry.seq,
            "original_time": entry.time,
            "event_code": entry.type,
            "log_name": "affidavit-ledger",
            "log_provider": origin,
            "product": {"name": "Affidavit", "vendor_name": "Affidavit", "version": __version__},
        },
        "actor": {"user": _user(entry.actor)},
        "api": {"operation": entry.type, "service": {"name": "affidavit"}},
        "src_endpoint": {"hostname": hostname or _HOST, "name": "affidavit"},
        "unmapped": {"affidavit": {"entry_type": entry.type, "leaf_hash": entry.leaf_hash.hex()}},
    }
    if entry.case is not None:
        event["metadata"]["correlation_uid"] = entry.case
        event["unmapped"]["affidavit"]["case"] = entry.case
    kind = entry.type
    if kind == ev.ProposalCreated.type:
        _proposal(body, event)
    elif kind in (
        ev.ApprovalGranted.type,
        ev.ApprovalDenied.type,
        ev.BreakglassInvoked.type,
        ev.BreakglassReviewed.type,
    ):
        _approval(entry, body, event)
        event["unmapped"]["affidavit"]["body"] = body
    elif kind == ev.AuthorizationIssued.type:
        _authorization(body, event)
        event["unmapped"]["affidavit"]["body"] = body
    elif kind in (ev.ExecutionStarted.type, ev.ExecutionFinished.type):
        _execution(entry, body, event)
        event["unmapped"]["affidavit"]["body"] = body
    else:
        event["message"] = f"{entry.actor} {kind}"
        event["unmapped"]["affidavit"]["body"] = body
    activity = event["activity_id"]
    event["activity_name"] = _ACTIVITIES[activity]
    event["type_uid"] = _CLASS_UID * 100 + activity
    event["type_name"] = f"API Activity: {_ACTIVITIES[activity]}"
    event["severity"] = _SEVERITIES[event["severity_id"]]
    event.setdefault("status", _STATUSES[event["status_id"]])
    return event
