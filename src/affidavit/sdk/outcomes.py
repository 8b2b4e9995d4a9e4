"""What a proposal's status means for the call that asked for it, and why it stopped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["GO", "why"]

GO = ("authorized", "executed", "failed")
"""Statuses that mean the action was authorized (the server's own execution may follow)."""


def why(proposal: Mapping[str, Any], decision: Mapping[str, Any] | None) -> str:
    """Why a proposal did not go ahead, in words: the policy's reasons when policy denied
    it, the approver's rationale when a person did, or that it expired."""
    if proposal.get("effect") == "deny" and decision:
        reasons = [str(r) for r in decision.get("reasons") or []]
        return "policy: " + "; ".join(reasons) if reasons else "policy denied it"
    if proposal.get("status") == "expired":
        return "nobody approved it before it expired"
    for approval in proposal.get("approvals") or []:
        if isinstance(approval, Mapping) and approval.get("verdict") == "deny":
            rationale = str(approval.get("rationale") or "no rationale given")
            return f"denied by {approval.get('approver', 'an approver')}: {rationale}"
    return f"it is {proposal.get('status')}"
