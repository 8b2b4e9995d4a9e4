"""Retention by impact: what evidence is kept, for how long, and its erasure.

A case whose proposals touched an action of tier 2 or above (containment,
user impact, destruction) keeps its full evidence — raw alerts, prompts,
inputs, outputs — for ``full_days`` (default 7 years). Any other case
(enrichment and advice only, or no action) keeps payloads for ``short_days``
(default 30) and then only their hashes, in the ledger, for ever. Entries
outside any case (policy bundles, identities) are not swept.

Erasure, by this sweep or by a data-subject request, is crypto-shredding
(``Ledger.erase``): the payload's data key is destroyed and the erasure is
ledgered with its rule; verification reports erased payloads, not tampering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from affidavit.errors import InputError
from affidavit.governance import _tables as t
from affidavit.governance._common import iso
from affidavit.governance.holds import holds, sweep_erasure
from affidavit.ledger.log import Ledger
from affidavit.policy import Catalog
from affidavit.store.schema import ledger_entries, ledger_payloads

__all__ = ["RetentionPolicy", "SweepResult", "at_least", "check_at_least", "sweep"]

_BATCH = 1000


@dataclass(frozen=True)
class RetentionPolicy:
    full_days: float = 7 * 365
    short_days: float = 30
    impact_tier: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.short_days <= self.full_days:
            raise InputError("retention: 0 < short window <= full window")


def at_least(configured: RetentionPolicy, asked: RetentionPolicy | None) -> RetentionPolicy:
    """``asked``, refused when it would keep anything for less time than ``configured``
    (the published configuration's periods are the minimum; a caller may keep longer)."""
    if asked is None:
        return configured
    check_at_least(configured, asked.full_days, asked.short_days, asked.impact_tier)
    return asked


def check_at_least(
    configured: RetentionPolicy, full_days: float, short_days: float, impact_tier: int
) -> None:
    if full_days < configured.full_days or short_days < configured.short_days:
        raise InputError(
            "retention periods may only be lengthened: the published configuration keeps "
            f"impact cases {configured.full_days:g} days and others {configured.short_days:g} "
            "(affidavit config show)"
        )
    if impact_tier > configured.impact_tier:
        raise InputError(
            f"the impact tier may only be lowered (configured: {configured.impact_tier})"
        )


@dataclass(frozen=True)
class SweepResult:
    rule: str
    payloads: int
    cases: int


def _high_impact_cases(conn: Connection, catalog: Catalog, tier: int) -> set[str]:
    actions = {a.id for a in catalog if a.tier >= tier}
    rows = conn.execute(select(t.proposals.c.case_id, t.proposals.c.action).distinct())
    return {case for case, action in rows if action in actions}


def _expired(conn: Connection, cutoff: str) -> list[tuple[str, str]]:
    """(sha256, case) of live payloads of cased entries older than ``cutoff``."""
    e, p = ledger_entries, ledger_payloads
    q = (
        select(p.c.sha256, e.c.case_id)
        .join(e, e.c.seq == p.c.seq)
        .where(p.c.erased_seq.is_(None), e.c.case_id.is_not(None), e.c.time < cutoff)
    )
    return [(str(sha), str(case)) for sha, case in conn.execute(q)]


def sweep(
    ledger: Ledger,
    catalog: Catalog,
    policy: RetentionPolicy,
    now: datetime,
    *,
    dry_run: bool,
    actor: str,
) -> list[SweepResult]:
    """Erase what retention no longer allows; returns what was (or would be) erased.

    Cases on legal hold are skipped (governance.holds; checked again inside each write)."""
    with ledger.db.read() as conn:
        held = {str(h["case"]) for h in holds(conn)}
        impact = _high_impact_cases(conn, catalog, policy.impact_tier)
        short = [
            (sha, case)
            for sha, case in _expired(conn, iso(now - timedelta(days=policy.short_days)))
            if case not in impact and case not in held
        ]
        full = [
            (sha, case)
            for sha, case in _expired(conn, iso(now - timedelta(days=policy.full_days)))
            if case in impact and case not in held
        ]
    results = []
    for rule, found in (("retention:short", short), ("retention:impact", full)):
        refs = list(dict.fromkeys(sha for sha, _ in found))
        if refs and not dry_run:
            for i in range(0, len(refs), _BATCH):
                ledger.execute(
                    sweep_erasure(
                        refs[i : i + _BATCH],
                        actor=actor,
                        rule=rule,
                        reason=f"retention policy: {policy}",
                    ),
                    now=now,
                )
            ledger.db.purge_freed_pages()
        results.append(SweepResult(rule, len(refs), len({case for _, case in found})))
    return results
