"""Published policy bundles: validated at publish, versioned by hash, text ledgered.

The newest published bundle is active; with none published, the shipped
default bundle is. Each process caches one engine per bundle hash.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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
    """The active policy engine, rebuilt only when the active bundle or the catalog changes.

    The catalog is the published configuration's (``catalog`` returns it)."""

    def __init__(self, catalog: Catalog | Callable[[], Catalog]) -> None:
        self._catalog = catalog
        self._lock = threading.Lock()
        self._engines: dict[tuple[str, str], PolicyEngine] = {}
        self._default: dict[str, PolicyEngine] = {}
        self._active: str | None = None
        self._checked_at = -ACTIVE_BUNDLE_TTL_S

    def active_text(self, conn: Connection) -> str | None:
        b = t.policy_bundles
        q = select(b.c.text).order_by(b.c.published_seq.desc()).limit(1)
        text = conn.execute(q).scalar()
        return None if text is None else str(text)

    @property
    def catalog(self) -> Catalog:
        return self._catalog if isinstance(self._catalog, Catalog) else self._catalog()

    def engine(
        self, conn: Connection, *, fresh: bool = False, catalog: Catalog | None = None
    ) -> PolicyEngine:
        """The active engine; ``fresh`` reads the active bundle now (the executor does);
        over ``catalog`` (default: the configuration's in force)."""
        catalog = self.catalog if catalog is None else catalog
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
                default = self._default.get(catalog.digest)
                if default is None:
                    default = PolicyEngine(PolicyBundle.default(catalog))
                    self._default[catalog.digest] = default
                return default
            engine = self._engines.get((active, catalog.digest))
        if engine is None:
            text = conn.execute(select(b.c.text).where(b.c.hash == active)).scalar_one()
            engine = PolicyEngine(PolicyBundle(text, catalog))
            with self._lock:
                self._engines[(active, catalog.digest)] = engine
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
