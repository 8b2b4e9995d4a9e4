"""The tables of the notifier's state file (``notify.db``) and their rows as values;
see :mod:`affidavit.notify.state`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from affidavit.notify.events import Event

SCHEMA_VERSION = 1

meta = MetaData()
cursor = Table("cursor", meta, Column("id", Integer, primary_key=True), Column("next_seq", Integer))
deliveries = Table(
    "deliveries",
    meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("proposal", String(128), nullable=False),
    Column("event", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending, sent, failed, dropped
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(32), nullable=False),
    Column("last_error", Text),
    Column("created_at", String(32), nullable=False),
    Column("done_at", String(32)),
    Column("via_digest", Integer, nullable=False),
    UniqueConstraint("seq", "kind", "channel"),
    Index("deliveries_due", "status", "channel", "next_attempt_at"),
    Index("deliveries_recent", "channel", "created_at"),
)
schedules = Table(
    "schedules",
    meta,
    Column("seq", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("role", String(64), nullable=False),
    Column("due_at", String(32), nullable=False),
    Column("event", Text, nullable=False),
    Column("done_at", String(32)),
    Column("outcome", Text),
    PrimaryKeyConstraint("seq", "kind", "role"),
    Index("schedules_due", "done_at", "due_at"),
)
channels = Table(
    "channels",
    meta,
    Column("name", String(64), primary_key=True),
    Column("last_digest_at", String(32)),
    Column("paused_until", String(32)),
)


@dataclass(frozen=True)
class Delivery:
    id: int
    channel: str
    event: Event
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    done_at: str | None
    via_digest: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "kind": self.event.kind,
            "entry_seq": self.event.seq,
            "proposal": self.event.proposal,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at if self.status == "pending" else None,
            "last_error": self.last_error,
            "created_at": self.created_at,
            "done_at": self.done_at,
            "via_digest": self.via_digest,
        }


@dataclass(frozen=True)
class Schedule:
    """A clock-driven check: ``event`` (kind approval_expiring or review_overdue) at ``due_at``."""

    event: Event
    role: str
    due_at: str


def row_to_delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        channel=row.channel,
        event=Event.from_json(json.loads(row.event)),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        done_at=row.done_at,
        via_digest=bool(row.via_digest),
    )
