"""A simulated mail gateway: block senders for a while, hard-delete mailbox items.

Blocks are rows in ``sim_email_blocks`` with an expiry; deletions are rows in
``sim_email_deleted_items``, one per (mailbox, message), so deleting the same
message twice is visible as "already deleted" rather than counted again.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, func, insert, select

from affidavit.connectors._checks import optional_text_list, utc_iso
from affidavit.connectors._tables import sim_email_blocks, sim_email_deleted_items
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.simulated._base import SimulatedConnector, new_row_id, succeeded
from affidavit.connectors.simulated._values import (
    domain_name,
    email_address,
    object_id,
    ttl_seconds,
)
from affidavit.errors import InputError
from affidavit.store.engine import Database

__all__ = ["SimulatedEmail", "create"]

_B = sim_email_blocks
_D = sim_email_deleted_items
_MAX_MESSAGES = 10_000
_CHUNK = 500  # keeps IN (...) lists well under every backend's parameter limit


def _key(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest()


class SimulatedEmail(SimulatedConnector):
    name = "email"

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self._register("block_sender", ["email", "domain"], self._block_sender)
        self._register("delete_mailbox_items", ["mailbox"], self._delete_mailbox_items)

    def _block_sender(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        if request.target_kind == "email":
            sender = email_address(request.target_id)
        else:
            sender = domain_name(request.target_id)
        ttl = ttl_seconds(request, required=False)
        created, expires = utc_iso(now), utc_iso(now + ttl)
        active = conn.execute(
            select(func.count()).where(_B.c.sender == sender, _B.c.expires_at > created)
        ).scalar_one()
        inserted = conn.execute(
            insert(_B).values(
                execution_id=request.execution_id,
                sender=sender,
                sender_kind=request.target_kind,
                created_at=created,
                expires_at=expires,
            )
        )
        block_id = f"mail-block-{new_row_id(inserted)}"
        return succeeded(
            {
                "block": block_id,
                "sender": sender,
                "sender_kind": request.target_kind,
                "ttl_seconds": ttl,
                "expires_at": expires,
                "previous": {"active_blocks": active},
            },
            external_ref=block_id,
        )

    def _delete_mailbox_items(
        self, conn: Connection, request: ActionRequest, now: float
    ) -> ActionResult:
        mailbox = object_id(request.target_id, "mailbox")
        ids = optional_text_list(
            request.params, "message_ids", max_items=_MAX_MESSAGES, max_len=998
        )
        if not ids:
            raise InputError("delete_mailbox_items needs the parameter message_ids (at least one).")
        keys = {_key(message_id): message_id for message_id in ids}
        ordered = list(keys)
        already: set[str] = set()
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            already.update(
                conn.execute(
                    select(_D.c.message_key).where(
                        _D.c.mailbox == mailbox, _D.c.message_key.in_(chunk)
                    )
                ).scalars()
            )
        rows = [
            {
                "mailbox": mailbox,
                "message_key": key,
                "message_id": keys[key],
                "deleted_at": utc_iso(now),
                "deleted_by": request.execution_id,
            }
            for key in ordered
            if key not in already
        ]
        if rows:
            conn.execute(insert(_D), rows)
        return succeeded(
            {
                "mailbox": mailbox,
                "requested": len(ids),
                "deleted": len(rows),
                "already_deleted": len(already),
                "changed": bool(rows),
            }
        )


def create(context: ConnectorContext) -> SimulatedEmail:
    """Entry-point factory."""
    return SimulatedEmail(context.db)
