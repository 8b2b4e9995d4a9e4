"""Helpers for connector tests: requests as the executor builds them, a settable clock."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, select

from affidavit import canonical
from affidavit.connectors import ActionRequest
from affidavit.store import Database

_IDS = itertools.count(1)
START = 1_800_000_000.0  # 2027-01-15T08:00:00Z, an arbitrary fixed instant


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def action_hash(action: str, target: str, params: Mapping[str, Any]) -> str:
    return canonical.sha256_hex({"action": action, "target": target, "params": dict(params)})


def make_request(
    action: str,
    target: str,
    params: Mapping[str, Any] | None = None,
    *,
    execution_id: str | None = None,
    case: str | None = "case-1",
) -> ActionRequest:
    kind, _, ident = target.partition(":")
    params = dict(params or {})
    return ActionRequest(
        execution_id=execution_id or f"exec-{next(_IDS):06d}",
        action=action,
        target_kind=kind,
        target_id=ident,
        params=params,
        case=case,
        authorization_id="auth-1",
        action_hash=action_hash(action, target, params),
    )


def rows(db: Database, table: Table, **where: Any) -> list[dict[str, Any]]:
    query = select(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with db.read() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
