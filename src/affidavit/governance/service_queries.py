"""Reads the service (``affidavit serve``) needs: one page at a time, and who is calling.

Every list is keyset-paginated (``after`` is the last key of the previous page,
never an offset), so a page costs the same however deep it is and a page never
repeats or skips rows when others append meanwhile. Queries only; mixed into
:class:`affidavit.governance.governor.Governor` through ``ServiceOps``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from sqlalchemy import and_, func, or_, select, text, tuple_

from affidavit.config import Settings
from affidavit.errors import AuthError, InputError, NotFound
from affidavit.governance import _tables as t
from affidavit.governance import events as ev
from affidavit.governance import identities
from affidavit.governance import proposals as p
from affidavit.governance._common import Clock, from_json, iso
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger
from affidavit.store.schema import ledger_checkpoints, ledger_entries, ledger_payloads

__all__ = ["PROPOSAL_EVENT_TYPES", "ServiceQueries"]

log = logging.getLogger("affidavit.governance")

# Entries that change a proposal's status or record a decision on it.
PROPOSAL_EVENT_TYPES = (
    ev.ProposalCreated.type,
    ev.ApprovalGranted.type,
    ev.ApprovalDenied.type,
    ev.AuthorizationIssued.type,
    ev.BreakglassInvoked.type,
    ev.ExecutionStarted.type,
    ev.ExecutionFinished.type,
    ev.DispositionRecorded.type,
)


class ServiceQueries:
    ledger: Ledger
    clock: Clock
    settings: Settings
    token_key: bytes

    # -- who is calling ------------------------------------------------------

    def caller(self, token: str | None) -> Identity:
        """The active identity holding ``token`` whose accountable owner is active too.

        Read fresh on every call (one indexed join, plus the owner for non-humans):
        a suspension takes effect on the next request, on every node.
        """
        if not token:
            raise AuthError("a bearer token is required")
        now = self.clock()
        with self.ledger.db.read() as conn:  # authenticate checks the owner too
            return identities.authenticate(conn, token, now, self.token_key)

    def identity(self, identity_id: str) -> Identity:
        with self.ledger.db.read() as conn:
            return identities.load(conn, identity_id)

    def identities_page(self, *, after: str | None, limit: int) -> list[Identity]:
        i = t.identities
        q = select(i.c.id).order_by(i.c.id).limit(limit)
        if after is not None:
            q = q.where(i.c.id > after)
        with self.ledger.db.read() as conn:
            return [identities.load(conn, r.id) for r in conn.execute(q)]

    def token_expiries(self) -> dict[str, str]:
        """Per identity, when its last live token expires (identities with no unrevoked,
        unexpired token are absent). Tokens are never shown, only their lifetimes."""
        k = t.tokens
        q = (
            select(k.c.identity_id, func.max(k.c.expires_at))
            .where(k.c.revoked_at.is_(None), k.c.expires_at > iso(self.clock()))
            .group_by(k.c.identity_id)
        )
        with self.ledger.db.read() as conn:
            return {str(row[0]): str(row[1]) for row in conn.execute(q)}

    # -- proposals, cases, steps, executions -----------------------------------

    def proposals_page(
        self,
        *,
        after: int | None,
        limit: int,
        status: str | None = None,
        case: str | None = None,
        proposer: str | None = None,
    ) -> list[p.Proposal]:
        pr = t.proposals
        now = self.clock()
        q = select(pr).order_by(pr.c.seq).limit(limit)
        if after is not None:
            q = q.where(pr.c.seq > after)
        if case is not None:
            q = q.where(pr.c.case_id == case)
        if proposer is not None:
            q = q.where(pr.c.proposer_id == proposer)
        if status is not None:
            if status not in p.STATUSES:
                raise InputError(f"status must be one of {', '.join(p.STATUSES)}")
            pending = pr.c.status == "pending_approval"
            lapsed = and_(pending, pr.c.expires_at.is_not(None), pr.c.expires_at <= iso(now))
            if status == "expired":
                q = q.where(lapsed)
            elif status == "pending_approval":
                q = q.where(pending, or_(pr.c.expires_at.is_(None), pr.c.expires_at > iso(now)))
            else:
                q = q.where(pr.c.status == status)
        with self.ledger.db.read() as conn:
            return [p.row_to_proposal(r, now) for r in conn.execute(q)]

    def cases_page(self, *, after: int | None, limit: int) -> list[dict[str, Any]]:
        c = t.cases
        q = select(c).order_by(c.c.opened_seq).limit(limit)
        if after is not None:
            q = q.where(c.c.opened_seq > after)
        with self.ledger.db.read() as conn:
            rows = conn.execute(q).all()
            e = ledger_entries
            counts: dict[str, int] = dict(
                conn.execute(
                    select(e.c.case_id, func.count())
                    .where(e.c.case_id.in_([r.id for r in rows]))
                    .group_by(e.c.case_id)
                ).all()
            )
        return [
            {
                "id": r.id,
                "opened_seq": r.opened_seq,
                "opened_at": r.opened_at,
                "opened_by": r.opened_by,
                "entries": int(counts.get(r.id, 0)),
            }
            for r in rows
        ]

    def steps_page(
        self, *, after: int | None, limit: int, case: str | None = None, agent: str | None = None
    ) -> list[dict[str, Any]]:
        s = t.steps
        q = select(s).order_by(s.c.seq).limit(limit)
        if after is not None:
            q = q.where(s.c.seq > after)
        if case is not None:
            q = q.where(s.c.case_id == case)
        if agent is not None:
            q = q.where(s.c.agent_id == agent)
        with self.ledger.db.read() as conn:
            return [_step(r) for r in conn.execute(q)]

    def step(self, step_id: str) -> dict[str, Any]:
        """A recorded step with the payload references of its ledger entry."""
        s = t.steps
        with self.ledger.db.read() as conn:
            row = conn.execute(select(s).where(s.c.id == step_id)).first()
        if row is None:
            raise NotFound(f"no step {step_id}")
        found = _step(row)
        body = self.ledger.entry(int(row.seq)).body
        found.update(
            prompt=body["prompt"],
            output=body["output"],
            inputs=list(body["inputs"]),
            treatments=body["treatments"],
        )
        return found

    def executions_page(
        self, *, after: int | None, limit: int, proposal: str | None = None
    ) -> list[dict[str, Any]]:
        x = t.executions
        q = select(x).order_by(x.c.started_seq).limit(limit)
        if after is not None:
            q = q.where(x.c.started_seq > after)
        if proposal is not None:
            q = q.where(x.c.proposal_id == proposal)
        with self.ledger.db.read() as conn:
            return [
                {
                    "id": r.id,
                    "proposal": r.proposal_id,
                    "connector": r.connector,
                    "status": r.status,
                    "result": None if r.result is None else from_json(r.result),
                    "started_seq": r.started_seq,
                    "finished_seq": r.finished_seq,
                }
                for r in conn.execute(q)
            ]

    # -- alerts, assets, policy -------------------------------------------------

    def alerts_page(
        self, *, after: int | None, limit: int, case: str | None = None
    ) -> list[dict[str, Any]]:
        """Ingested alerts as the ledger holds them: the minimised, normalised summary."""
        e = ledger_entries
        q = (
            select(e.c.seq, e.c.entry, e.c.case_id, e.c.time)
            .where(e.c.type == ev.AlertIngested.type)
            .order_by(e.c.seq)
            .limit(limit)
        )
        if after is not None:
            q = q.where(e.c.seq > after)
        if case is not None:
            q = q.where(e.c.case_id == case)
        with self.ledger.db.read() as conn:
            rows = conn.execute(q).all()
        found = []
        for r in rows:
            entry = from_json(bytes(r.entry).decode())
            found.append(
                {
                    "seq": r.seq,
                    "case": r.case_id,
                    "time": r.time,
                    "alert": entry["body"]["alert"],
                    "data_classes": entry["body"]["data_classes"],
                    "raw_sha256": entry["payloads"][0],
                }
            )
        return found

    def assets_page(self, *, after: tuple[str, str] | None, limit: int) -> list[dict[str, Any]]:
        a = t.assets
        q = select(a).order_by(a.c.kind, a.c.id).limit(limit)
        if after is not None:
            q = q.where(tuple_(a.c.kind, a.c.id) > tuple_(*after))
        with self.ledger.db.read() as conn:
            return [
                {
                    "kind": r.kind,
                    "id": r.id,
                    "criticality": r.criticality,
                    "environment": r.environment,
                    "owner": r.owner,
                    "tags": from_json(r.tags),
                }
                for r in conn.execute(q)
            ]

    def policy_history(self, *, after: int | None, limit: int) -> list[dict[str, Any]]:
        b = t.policy_bundles
        q = select(b.c.hash, b.c.published_seq, b.c.published_by)
        q = q.order_by(b.c.published_seq).limit(limit)
        if after is not None:
            q = q.where(b.c.published_seq > after)
        with self.ledger.db.read() as conn:
            return [
                {"bundle_hash": r.hash, "published_seq": r.published_seq, "published_by": r[2]}
                for r in conn.execute(q)
            ]

    def policy_bundle(self, bundle_hash: str) -> str:
        b = t.policy_bundles
        with self.ledger.db.read() as conn:
            found = conn.execute(select(b.c.text).where(b.c.hash == bundle_hash)).scalar()
        if found is None:
            raise NotFound(f"no published policy bundle {bundle_hash[:64]}")
        return str(found)

    # -- the ledger ---------------------------------------------------------------

    def payload_reference(self, sha256_hex: str, *, actor: str | None = None) -> dict[str, Any]:
        """The first entry that carries a payload (``actor``'s, if given): who, which case."""
        pl, e = ledger_payloads, ledger_entries
        q = (
            select(e.c.seq, e.c.type, e.c.actor, e.c.case_id)
            .join(pl, pl.c.seq == e.c.seq)
            .where(pl.c.sha256 == sha256_hex)
            .where(e.c.actor == actor if actor is not None else e.c.seq >= 0)
            .order_by(e.c.seq)
            .limit(1)
        )
        with self.ledger.db.read() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound(f"no payload with SHA-256 {sha256_hex[:64]}")
        return {"seq": row.seq, "type": row.type, "actor": row.actor, "case": row.case_id}

    def checkpoint_at(self, size: int) -> str:
        c = ledger_checkpoints
        with self.ledger.db.read() as conn:
            note = conn.execute(select(c.c.note).where(c.c.size == size)).scalar()
        if note is None:
            raise NotFound(f"no checkpoint was signed at size {size}")
        return str(note)

    def proposal_events(self, *, after: int, limit: int) -> list[dict[str, Any]]:
        """Status-changing entries after ``after``, each with its proposal's current state."""
        e = ledger_entries
        q = (
            select(e.c.seq, e.c.type, e.c.case_id, e.c.entry)
            .where(e.c.seq > after, e.c.type.in_(PROPOSAL_EVENT_TYPES))
            .order_by(e.c.seq)
            .limit(limit)
        )
        now = self.clock()
        with self.ledger.db.read() as conn:
            rows = conn.execute(q).all()
            found: list[dict[str, Any]] = []
            for r in rows:
                body = from_json(bytes(r.entry).decode())["body"]
                pid = (
                    body["proposal"]["id"]
                    if r.type == ev.ProposalCreated.type
                    else body["proposal"]
                )
                row = conn.execute(select(t.proposals).where(t.proposals.c.id == pid)).first()
                if row is None:  # the proposal's row is written in the same transaction
                    continue
                current = p.row_to_proposal(row, now)
                found.append(
                    {
                        "seq": r.seq,
                        "type": r.type,
                        "case": r.case_id,
                        "proposal": pid,
                        "proposer": current.proposer_id,
                        "status": current.status,
                    }
                )
        return found

    def readiness(self) -> dict[str, bool]:
        """Database reachable, key files readable, schema at the packaged revision."""
        from affidavit.store.engine import head_revision

        checks = {"database": False, "keys": False, "migrations": False}
        try:
            with self.ledger.db.read() as conn:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            checks["database"] = True
            checks["migrations"] = revision == head_revision()
        except Exception as exc:  # any failure means not ready
            log.warning("readiness: the database check failed: %s", type(exc).__name__)
        paths = (self.settings.log_key_path, self.settings.vault_key_path)
        checks["keys"] = all(path.is_file() and os.access(path, os.R_OK) for path in paths)
        return checks


def _step(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "case": row.case_id,
        "agent": row.agent_id,
        "model": row.model,
        "model_version": row.model_version,
        "parents": from_json(row.parents),
        "data_classes": from_json(row.data_classes),
        "seq": row.seq,
    }
