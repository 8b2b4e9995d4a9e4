"""What both adapters share: a tool call as a proposal, and what the decision means."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.sdk.client import Client, Proposal
from affidavit.sdk.mapping import Mapped, ToolMapping
from affidavit.sdk.outcomes import why

__all__ = [
    "already_ran",
    "call_ref",
    "claim",
    "describe",
    "map_call",
    "outcome",
    "sync_proposal",
    "why",
]


def call_ref(call_id: str) -> str:
    return f"tool_call:{call_id}"[:200]


def map_call(mapping: ToolMapping, name: str, arguments: Mapping[str, Any]) -> Mapped | None:
    """The proposal a tool call is; None for an unmapped tool the mapping allows.

    Raises InputError for an unmapped tool the mapping denies, or missing arguments.
    """
    spec = mapping.get(name)
    if spec is None:
        if mapping.unmapped == "allow":
            return None
        raise InputError(
            f"tool {name} is not mapped to a catalog action, and unmapped tools are denied"
        )
    return spec.apply(arguments)


def describe(proposal_id: str, status: str, mapped: Mapped, reason: str = "") -> str:
    what = f"proposal {proposal_id} ({mapped.action} on {mapped.target})"
    if status == "pending_approval":
        return f"awaiting approval: {what} needs approval; the tool did not run"
    because = f" ({reason})" if reason else ""
    return f"denied: {what} is {status}{because}; the tool did not run"


def sync_proposal(
    client: Client, case: str, mapped: Mapped, call_id: str | None, connector: str
) -> Proposal:
    """The proposal for this tool call: the one made before for the same call id (a
    resumed graph runs the node again), or a new one."""
    if call_id is not None:
        ref = call_ref(call_id)
        for found in client.proposals(case=case):
            if ref in found.data.get("evidence", []):
                return found
    evidence = [call_ref(call_id)] if call_id is not None else []
    # the framework runs the tool, so Affidavit's executor must not run it too
    return client.propose(case, mapped.action, **mapped.caller_proposal(evidence, connector))


def already_ran(proposal_id: str, status: str) -> str:
    return (
        f"refused: proposal {proposal_id} is {status}: its one authorized run happened; "
        "the tool did not run again"
    )


def claim(client: Client, proposal: Proposal, connector: str) -> str:
    """The execution this run acts under: claimed with the proposal, or now (approved
    since). Raises Conflict when the authorization was used already."""
    claimed = proposal.data.get("execution")
    if claimed is None:
        claimed = client.claim_execution(proposal.id, connector=connector)["execution"]
    return str(claimed)


def outcome(output: object) -> dict[str, Any]:
    """What an execution report keeps of a tool's answer: its hash, never its content."""
    text = output if isinstance(output, str) else str(getattr(output, "content", output))
    return {"output_sha256": hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()}
