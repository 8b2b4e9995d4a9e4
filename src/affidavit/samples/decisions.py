"""What the demo's people decide, through the API with their own tokens: approvals
(after opening an evidence item: tier 2 and above need one), a denial, one
break-glass and its review; an owner's attempt to approve its own agent's proposal
is refused (separation of duties). The last cases are left pending, for the console."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from affidavit.errors import AffidavitError
from affidavit.samples.pipeline import CaseRun, ToolOutcome
from affidavit.sdk import Client

__all__ = ["Decisions", "decide"]

_APPROVERS = ("alice", "carol", "bob")


@dataclass
class Decisions:
    approvals: int = 0
    denials: int = 0
    breakglass: int = 0
    refusals: list[str] = field(default_factory=list)

    def attempt(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A refusal is part of the story, recorded, not fatal."""
        try:
            return fn(*args, **kwargs)
        except AffidavitError as exc:
            self.refusals.append(f"{what}: {exc.message}")
            return None


def _approve(people: dict[str, Client], proposal: str, done: Decisions, *, first: str) -> None:
    order = [first, *(a for a in _APPROVERS if a != first)]
    for name in order:
        found = people[name].proposal(proposal)
        if found.status != "pending_approval":
            return
        people[name].open_evidence(proposal, 0)
        if done.attempt("approve", people[name].approve, proposal, rationale="confirmed in EDR"):
            done.approvals += 1


def decide(url: str, tokens: dict[str, str], runs: Sequence[CaseRun]) -> Decisions:
    done = Decisions()
    people = {name: Client(url, tokens[name]) for name in (*_APPROVERS, "olivia")}
    try:
        for index, run in enumerate(runs):
            waiting: dict[str, ToolOutcome] = {
                t.tool: t for t in run.tools if t.proposal and t.status == "pending_approval"
            }
            if index >= 3:
                continue  # left pending: the console shows them waiting
            if index == 2:
                for outcome in waiting.values():
                    assert outcome.proposal is not None
                    people["carol"].open_evidence(outcome.proposal, 0)
                    if done.attempt(
                        "deny",
                        people["carol"].deny,
                        outcome.proposal,
                        rationale="benign: a scheduled admin task, not an intrusion",
                    ):
                        done.denials += 1
                continue
            isolate = waiting.get("isolate_host")
            if isolate is not None and isolate.proposal is not None:
                if index == 0:  # the agents' owner may not approve their proposals
                    done.attempt(
                        "owner approves own agent",
                        people["olivia"].approve,
                        isolate.proposal,
                        rationale="mine",
                    )
                _approve(people, isolate.proposal, done, first="alice")
            account = waiting.get("disable_account")
            if index == 0 and account is not None and account.proposal is not None:
                _approve(people, account.proposal, done, first="bob")
            block = waiting.get("block_ip")
            if block is not None and block.proposal is not None:
                emergency = done.attempt(
                    "break-glass",
                    people["bob"].breakglass,
                    block.proposal,
                    justification="exfiltration in progress; approvers unreachable",
                )
                if emergency is not None:
                    done.breakglass += 1
                    done.attempt(
                        "review",
                        people["carol"].review,
                        block.proposal,
                        upheld=True,
                        rationale="exfiltration confirmed; justified",
                    )
    finally:
        for client in people.values():
            client.close()
    return done
