"""The Governor: the one way in to governance, for the CLI, the API and the SDK.

Each operation authenticates, does its pure work (parsing, schema checks,
the policy decision) in the caller's thread, then runs its state checks and
writes as one command inside the ledger's group commit, so the checks cannot
race another writer and every state change is a durable ledger entry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select

from affidavit.config import Settings
from affidavit.connectors import Connector, ConnectorContext, load_connector_config, load_connectors
from affidavit.errors import AuthError, InputError, PolicyError
from affidavit.governance import _tables as t
from affidavit.governance import (
    approvals,
    assets,
    cases,
    dispositions,
    executor,
    identities,
    projection,
    steps,
)
from affidavit.governance import proposals as p
from affidavit.governance._common import (
    Clock,
    IdSource,
    check_case_id,
    check_text,
    random_ids,
    system_clock,
)
from affidavit.governance.admin import AdminCommands
from affidavit.governance.caller_executions import CALLER, CallerExecutions, claim_at_once
from affidavit.governance.configuration_ops import ConfigurationCommands
from affidavit.governance.configuration_store import ConfigurationStore
from affidavit.governance.events import TokenRevealed
from affidavit.governance.evidence import EvidenceCommands
from affidavit.governance.friction import FrictionRules
from affidavit.governance.friction_ops import FrictionOps
from affidavit.governance.identities import Identity
from affidavit.governance.minimise import Minimiser
from affidavit.governance.oversight_ops import OversightOps
from affidavit.governance.policies import PolicyStore
from affidavit.governance.queries import GovernorQueries
from affidavit.governance.service_ops import ServiceOps
from affidavit.ledger.batch import Batch
from affidavit.ledger.identity import bind_token_key
from affidavit.ledger.log import Ledger
from affidavit.oversight.spike import SpikeMonitor, SpikeSettings
from affidavit.policy import (
    DecisionRequest,
    parse_target,
)

__all__ = ["Governor"]

T = TypeVar("T")


class Governor(
    ConfigurationCommands,
    GovernorQueries,
    AdminCommands,
    EvidenceCommands,
    ServiceOps,
    OversightOps,
    CallerExecutions,
    FrictionOps,
):
    """Identities, policy, proposals, approvals, authority and dispositions over one ledger.

    What is allowed (the catalog, the security settings) is the published configuration
    (:meth:`configuration`), never ``settings``, which only say where things are."""

    def __init__(
        self,
        ledger: Ledger,
        settings: Settings,
        *,
        connectors: Mapping[str, Connector] | None = None,
        clock: Clock = system_clock,
        ids: IdSource = random_ids,
        friction: FrictionRules | None = None,
    ) -> None:
        self.ledger = ledger
        self._friction = friction  # None: the published configuration's
        self.ids = ids
        self.settings = settings
        self.configurations = ConfigurationStore()
        self.policies = PolicyStore(lambda: self.catalog)
        self.clock = clock
        if connectors is None:
            config = load_connector_config(settings.home / "connectors.yaml")
            connectors = load_connectors(ConnectorContext(db=ledger.db, config=config))
        self.connectors = dict(connectors)
        self.minimiser = Minimiser(ledger.db, ledger.vault, clock=clock)
        self.token_key = bind_token_key(settings)
        self._spikes = SpikeMonitor(SpikeSettings())

    @classmethod
    def open(cls, settings: Settings, **kwargs: Any) -> Governor:
        clock = kwargs.get("clock", system_clock)
        return cls(Ledger.open(settings, clock=clock), settings, **kwargs)

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> Governor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, command: Callable[[Batch], T], *, now: datetime) -> T:
        """Run a command (checks, then events) in the ledger's group commit, at ``now``."""
        return self.ledger.execute(command, now=now, projector=projection.apply)

    def authenticate(self, token: str | None) -> Identity:
        if not token:
            raise AuthError("a token is required (AFFIDAVIT_TOKEN or --token)")
        with self.ledger.db.read() as conn:
            return identities.authenticate(conn, token, self.clock(), self.token_key)

    # -- the work ----------------------------------------------------------

    def spike(self) -> bool:
        """Whether alerts are surging at this Governor's clock (see affidavit.oversight.spike)."""
        threshold = float(self.configuration().spike_alerts_per_15m)
        if self._spikes.detector.settings.on != threshold:  # published since: start afresh
            self._spikes = SpikeMonitor(SpikeSettings(on=threshold))
        return self._spikes.active(self.ledger, self.clock())

    def propose(
        self,
        token: str | Identity | None,
        *,
        case: str,
        action: str,
        target: str,
        params: Mapping[str, Any] | None = None,
        confidence: float | None = None,
        rationale: str = "",
        evidence: Sequence[str] = (),
        step: str | None = None,
        executor: str | None = None,
        claim: str | None = None,
    ) -> p.Proposal:
        """``executor="caller"``: the proposer acts itself once authorized and reports it
        (claim_execution, report_execution); Affidavit's executor never runs it.
        ``claim`` (a connector name, with ``executor="caller"``): when the policy allows
        it, claim the execution in the same write (``Proposal.execution``)."""
        if executor not in (None, CALLER):
            raise InputError(f"executor is {CALLER!r} or absent (Affidavit's executor)")
        if claim is not None and executor != CALLER:
            raise InputError("only a proposal its proposer executes (executor caller) is claimed")
        if not token:
            raise AuthError("a token is required (AFFIDAVIT_TOKEN or --token)")
        with self.ledger.db.read() as conn:  # one snapshot for everything read up front
            # An Identity: the caller (the API) authenticated this request's token already.
            # Either way the command checks the proposer is still active when it writes.
            proposer = (
                token
                if isinstance(token, Identity)
                else identities.authenticate(conn, token, self.clock(), self.token_key)
            )
            config = self.configurations.active(conn)
            catalog = config.catalog
            check_case_id(case)
            params = dict(params or {})
            if len(evidence) > p.MAX_EVIDENCE_REFS or not all(
                isinstance(e, str) and 0 < len(e) <= 200 for e in evidence
            ):
                raise InputError(f"evidence is a list of at most {p.MAX_EVIDENCE_REFS} references")
            parsed = assets.resolve(conn, parse_target(target))  # canonical, through aliases
            spec = catalog.get(action)
            catalog.check_target(spec.id, parsed)
            catalog.validate_params(spec.id, params)
            [asset] = assets.lookup(conn, [parsed])
            engine = self.policies.engine(conn, catalog=catalog)
        rationale = self.minimiser.for_ledger_text(
            check_text(rationale, "rationale", required=False)
        )
        # No secret in an entry (issue 9, item 5): parameters and evidence references
        # are treated as the ledger may see them before they are decided, recorded and run.
        params, evidence = self.minimiser.for_ledger_params(params, evidence)
        catalog.validate_params(spec.id, params)  # still valid once treated
        decision = engine.decide(
            DecisionRequest(
                principal=proposer.principal(),
                action=spec.id,
                targets=[asset],
                params=params,
                confidence=confidence,
                spike=self.spike(),
            )
        )
        now = self.clock()

        def command(batch: Any) -> p.Proposal:
            self.configurations.require_active(batch.conn, config)
            identities.require_accountable(
                batch.conn, identities.load(batch.conn, proposer.id), now
            )
            cases.ensure_case(batch, case, proposer.actor)
            if step is not None:
                row = batch.conn.execute(
                    select(t.steps.c.case_id).where(t.steps.c.id == step)
                ).first()
                if row is None or row[0] != case:
                    raise InputError(f"step {step} is not a step of case {case}")
            proposal = p.record(
                batch,
                proposer_actor=proposer.actor,
                proposer_id=proposer.id,
                case_id=case,
                step_id=step,
                action=spec.id,
                target=str(parsed),
                params=params,
                confidence=confidence,
                rationale=rationale,
                evidence=list(evidence),
                decision=decision,
                now=now,
                authorization_ttl_s=config.authorization_ttl_s,
                ids=self.ids,
                executor=executor,
                recorded_under={"catalog_hash": catalog.digest, "config_hash": config.hash},
            )
            if claim is not None and proposal.status == "authorized":
                execution = claim_at_once(batch, proposal, proposer.actor, claim, now)
                proposal = dataclasses.replace(proposal, execution=execution)
            return proposal

        proposal = self._write(command, now=now)
        return self._maybe_execute(proposal)

    def view_evidence(self, token: str | None, proposal_id: str) -> None:
        viewer = self.authenticate(token)
        now = self.clock()
        self._write(lambda b: approvals.view_evidence(b, proposal_id, viewer, now), now=now)

    def approve(
        self, token: str | None, proposal_id: str, *, rationale: str, deny: bool = False
    ) -> p.Proposal:
        approver = self.authenticate(token)
        now = self.clock()
        rationale = self.minimiser.for_ledger_text(
            check_text(rationale, "a rationale", required=False)
        )
        config = self.configuration()
        tier = self.tier(self.proposal(proposal_id).action)
        proposal = self._write(
            self.configurations.under(
                config,
                lambda b: approvals.decide(
                    b,
                    proposal_id,
                    approver,
                    approve=not deny,
                    rationale=rationale,
                    now=now,
                    owner_may_approve=config.owner_may_approve,
                    authorization_ttl_s=config.authorization_ttl_s,
                    ids=self.ids,
                    tier=tier,
                    rules=self.friction_rules(),
                ),
            ),
            now=now,
        )
        return self._maybe_execute(proposal)

    def breakglass(self, token: str | None, proposal_id: str, *, justification: str) -> p.Proposal:
        invoker = self.authenticate(token)
        now = self.clock()
        justification = self.minimiser.for_ledger_text(
            check_text(justification, "a justification", required=False)
        )
        config = self.configuration()
        proposal = self._write(
            self.configurations.under(
                config,
                lambda b: approvals.invoke_breakglass(
                    b,
                    proposal_id,
                    invoker,
                    justification=justification,
                    now=now,
                    review_within_s=config.breakglass_review_hours * 3600,
                    authorization_ttl_s=config.authorization_ttl_s,
                    ids=self.ids,
                ),
            ),
            now=now,
        )
        return self._maybe_execute(proposal)

    def review_breakglass(
        self, token: str | None, proposal_id: str, *, upheld: bool, rationale: str
    ) -> None:
        reviewer = self.authenticate(token)
        now = self.clock()
        rationale = self.minimiser.for_ledger_text(
            check_text(rationale, "a rationale", required=False)
        )
        self._write(
            lambda b: approvals.review_breakglass(
                b, proposal_id, reviewer, upheld=upheld, rationale=rationale, now=now
            ),
            now=now,
        )

    def dispose(
        self,
        token: str | None,
        proposal_id: str,
        *,
        outcome: str,
        reason: str,
        rationale: str = "",
        override_with: str | None = None,
        evidence_viewed: Sequence[str] = (),
        supersedes: int | None = None,
    ) -> int:
        """Record what became of a recommendation; returns the disposition's entry number.

        A second disposition of one proposal names the one it ``supersedes``."""
        actor = self.authenticate(token)
        now = self.clock()
        rationale = self.minimiser.for_ledger_text(
            check_text(rationale, "a rationale", required=False)
        )
        return self._write(
            lambda b: dispositions.record(
                b,
                proposal_id,
                actor,
                outcome=outcome,
                reason=reason,
                rationale=rationale,
                override_with=override_with,
                evidence_viewed=list(evidence_viewed),
                now=now,
                supersedes=supersedes,
            ),
            now=now,
        )

    def record_step(
        self,
        token: str | None,
        *,
        case: str,
        model: str,
        model_version: str,
        prompt: bytes,
        output: bytes,
        inputs: Sequence[bytes] = (),
        params: Mapping[str, Any] | None = None,
        parents: Sequence[str] = (),
        data_classes: Sequence[str] = (),
    ) -> steps.StepRecord:
        agent = self.authenticate(token)
        check_case_id(case)
        now = self.clock()
        if agent.is_human:
            raise AuthError(
                "steps are recorded by agents; a person's actions are approvals and dispositions"
            )
        treated = steps.treat(self.minimiser, agent, model, prompt, list(inputs), output)

        def command(batch: Any) -> steps.StepRecord:
            cases.ensure_case(batch, case, agent.actor)
            return steps.record(
                batch,
                agent,
                case_id=case,
                model_version=model_version,
                treated=treated,
                params=dict(params or {}),
                parents=list(parents),
                data_classes=list(data_classes),
                data_policy=self.minimiser.policy.hash,
                ids=self.ids,
            )

        return self._write(command, now=now)

    def detokenize(self, token: str | None, value_token: str, *, reason: str, case: str) -> str:
        """Reveal the original behind a token: people with the ``detokenize`` role only,
        with a reason, ledgered (who, which token, why; never the value)."""
        person = self.authenticate(token)
        if not person.is_human or "detokenize" not in person.roles:
            raise PolicyError(f"{person.kind} {person.id} lacks the detokenize role")
        reason = check_text(reason, "a reason", required=True)
        check_case_id(case)
        value = self.minimiser.tokenizer.detokenize(value_token)
        now = self.clock()

        def command(batch: Any) -> None:
            cases.ensure_case(batch, case, person.actor)
            batch.emit(
                TokenRevealed(
                    actor=person.actor,
                    case=case,
                    token=value_token,
                    reason=self.minimiser.for_ledger_text(reason),
                )
            )

        self._write(command, now=now)
        return value

    # -- the executor ------------------------------------------------------

    def _maybe_execute(self, proposal: p.Proposal) -> p.Proposal:
        # a proposal its proposer executes (a gateway) is never also run here
        if (
            proposal.status == "authorized"
            and self.configuration().auto_execute
            and proposal.executor != CALLER
        ):
            return dataclasses.replace(proposal, status=self.execute(proposal.id, known=proposal))
        return proposal

    def execute(
        self,
        proposal_id: str,
        *,
        action: str | None = None,
        target: str | None = None,
        params: Mapping[str, Any] | None = None,
        known: p.Proposal | None = None,
    ) -> str:
        """Run an authorized proposal; exactly its action, target and params unless given.

        Giving other values is how a tampered executor request looks: it is refused.
        ``known`` is the proposal as the caller just committed it (saves a read; the
        authorization is still checked inside the write).
        """
        now = self.clock()
        with self.ledger.db.read() as conn:
            proposal = known if known is not None else p.load(conn, proposal_id, now)
            bundle_hash = self.policies.engine(conn, fresh=True).bundle.hash
        request = self._write(
            lambda b: executor.start(
                b,
                proposal,
                action=proposal.action if action is None else action,
                target=proposal.target if target is None else target,
                params=proposal.params if params is None else params,
                active_bundle_hash=bundle_hash,
                catalog=self.catalog,
                now=now,
            ),
            now=now,
        )
        connector = self.catalog.get(proposal.action).connector
        result = executor.run_connector(self.connectors, connector, request)
        return self._write(
            lambda b: executor.finish(b, request.execution_id, result, proposal.case_id),
            now=self.clock(),
        )
