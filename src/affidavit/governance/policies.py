"""Published policy bundles: validated at publish, versioned by hash, text ledgered.

The newest published bundle is active; with none published, the shipped
default bundle is. Each process caches one engine per bundle hash.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Connection, select

from affidavit.errors import Conflict
from affidavit.governance import _tables as t
from affidavit.governance.events import PolicyPublished
from affidavit.ledger.batch import Batch
from affidavit.policy import Catalog, PolicyBundle, PolicyEngine

__all__ = ["ACTIVE_BUNDLE_TTL_S", "PolicyStore"]

ACTIVE_BUNDLE_TTL_S = 1.0
"""How long a process trusts the active bundle it last read. A proposal decided on
the previous bundle right after a publish is safe: its authorization is bound to the
bundle it was decided under, and the executor refuses it once another is active."""


class PolicyStore:
    """The active policy engine, rebuilt only when the active bundle changes."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._lock = threading.Lock()
        self._engines: dict[str, PolicyEngine] = {}
        self._default: PolicyEngine | None = None
        self._active: str | None = None
        self._checked_at = -ACTIVE_BUNDLE_TTL_S

    def active_text(self, conn: Connection) -> str | None:
        b = t.policy_bundles
        q = select(b.c.text).order_by(b.c.published_seq.desc()).limit(1)
        text = conn.execute(q).scalar()
        return None if text is None else str(text)

    def engine(self, conn: Connection, *, fresh: bool = False) -> PolicyEngine:
        """The active engine; ``fresh`` reads the active bundle now (the executor does)."""
        b = t.policy_bundles
        now = time.monotonic()
        if not fresh and now - self._checked_at < ACTIVE_BUNDLE_TTL_S:
            active = self._active
        else:
            active = conn.execute(
                select(b.c.hash).order_by(b.c.published_seq.desc()).limit(1)
            ).scalar()
            self._active, self._checked_at = active, now
        with self._lock:
            if active is None:
                if self._default is None:
                    self._default = PolicyEngine(PolicyBundle.default(self.catalog))
                return self._default
            engine = self._engines.get(active)
        if engine is None:
            text = conn.execute(select(b.c.text).where(b.c.hash == active)).scalar_one()
            engine = PolicyEngine(PolicyBundle(text, self.catalog))
            with self._lock:
                self._engines[active] = engine
        return engine

    def forget_active(self) -> None:
        self._checked_at = -ACTIVE_BUNDLE_TTL_S

    def publish(self, batch: Batch, bundle: PolicyBundle, actor: str) -> str:
        current = self.active_text(batch.conn)
        if current is not None and PolicyBundle(current, self.catalog).hash == bundle.hash:
            raise Conflict(f"bundle {bundle.hash[:12]} is already the active policy")
        batch.emit(
            PolicyPublished(
                actor=actor,
                bundle_hash=bundle.hash,
                rules=tuple(r.id for r in bundle.rules),
                text=bundle.text,
            )
        )
        return bundle.hash
