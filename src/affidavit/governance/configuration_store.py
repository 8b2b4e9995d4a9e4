"""The configuration in force, read only from the ledger's image; and publishing one.

The newest ``configuration.published`` entry is in force; with none, the built-in
configuration is. A process trusts the one it last read for
:data:`ACTIVE_CONFIG_TTL_S`; every command that decides under a configuration
checks, inside its write, that it is still the one in force
(:meth:`ConfigurationStore.require_active`), so a decision is never recorded under
a configuration that another process had already replaced.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from affidavit.errors import Conflict, NotFound, PolicyError
from affidavit.governance import identities
from affidavit.governance._config_tables import configurations as c
from affidavit.governance.configuration import Configuration
from affidavit.governance.events import ConfigurationPublished
from affidavit.ledger.batch import Batch
from affidavit.store.engine import Database

__all__ = [
    "ACTIVE_CONFIG_TTL_S",
    "ConfigurationStore",
    "active_hash",
    "check_publisher",
    "read_configuration",
]

T = TypeVar("T")

ACTIVE_CONFIG_TTL_S = 1.0
LOCAL_ADMINS = ("system:admin", "system:demo")
"""Actors of local administration: whoever runs them holds the database and its keys."""

_NEWEST = select(c.c.hash).order_by(c.c.published_seq.desc()).limit(1)


def active_hash(conn: Connection) -> str:
    """The hash of the configuration in force, as of ``conn``'s snapshot."""
    found = conn.execute(_NEWEST).scalar()
    return Configuration.default().hash if found is None else str(found)


def check_publisher(conn: Connection, actor: str, now: datetime) -> None:
    """Only an admin publishes: local administration, or an active person with ``admin``."""
    if actor in LOCAL_ADMINS or actor.startswith("local:"):
        return
    kind, _, name = actor.partition(":")
    if kind == "human" and name:
        person = identities.require_active(identities.load(conn, name), now)
        if "admin" in person.roles:
            return
    raise PolicyError(f"{actor} is not an admin; only an admin publishes the configuration")


def read_configuration(db: Database) -> Configuration:
    """The configuration in force, read once (for commands that open no Governor)."""
    with db.read() as conn:
        return ConfigurationStore().active(conn, fresh=True)


class ConfigurationStore:
    """The configuration in force, parsed once per hash, re-read at most once a second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsed: dict[str, Configuration] = {}
        self._active: Configuration | None = None
        self._checked_at = -ACTIVE_CONFIG_TTL_S

    def current(self, db: Database) -> Configuration:
        """The configuration in force (opens a read only when the cached one is stale)."""
        active = self._active
        if active is not None and time.monotonic() - self._checked_at < ACTIVE_CONFIG_TTL_S:
            return active
        with db.read() as conn:
            return self.active(conn, fresh=True)

    def active(self, conn: Connection, *, fresh: bool = False) -> Configuration:
        """The configuration in force as of ``conn`` (``fresh``: read it now)."""
        now = time.monotonic()
        active = self._active
        if not fresh and active is not None and now - self._checked_at < ACTIVE_CONFIG_TTL_S:
            return active
        found = conn.execute(_NEWEST).scalar()
        config = Configuration.default() if found is None else self._load(conn, str(found))
        with self._lock:
            self._active, self._checked_at = config, now
        return config

    def _load(self, conn: Connection, digest: str) -> Configuration:
        with self._lock:
            known = self._parsed.get(digest)
        if known is None:
            text = conn.execute(select(c.c.text).where(c.c.hash == digest)).scalar_one()
            known = Configuration.parse(str(text), source=f"configuration {digest[:12]}")
            with self._lock:
                self._parsed[digest] = known
        return known

    def forget_active(self) -> None:
        self._checked_at = -ACTIVE_CONFIG_TTL_S

    def require_active(self, conn: Connection, config: Configuration) -> None:
        """Inside a write: refuse when ``config`` is no longer the one in force."""
        if active_hash(conn) != config.hash:
            self.forget_active()
            raise Conflict(
                "the governance configuration changed while this was being decided; try again"
            )

    def under(self, config: Configuration, command: Callable[[Batch], T]) -> Callable[[Batch], T]:
        """``command``, run only while ``config`` is in force (checked inside the write)."""

        def checked(batch: Batch) -> T:
            self.require_active(batch.conn, config)
            return command(batch)

        return checked

    def publish(self, batch: Batch, config: Configuration, actor: str, now: datetime) -> str:
        check_publisher(batch.conn, actor, now)
        if active_hash(batch.conn) == config.hash:
            raise Conflict(f"configuration {config.hash[:12]} is already in force")
        batch.emit(
            ConfigurationPublished(
                actor=actor,
                config_hash=config.hash,
                catalog_hash=config.catalog_hash,
                text=config.text,
            )
        )
        self.forget_active()
        return config.hash

    def history(self, conn: Connection) -> list[dict[str, Any]]:
        """Every publication still in force or replaced, oldest first (the last is in force)."""
        q = select(c.c.hash, c.c.catalog_hash, c.c.published_seq, c.c.published_by)
        return [
            {
                "config_hash": h,
                "catalog_hash": k,
                "published_seq": int(seq),
                "published_by": by,
            }
            for h, k, seq, by in conn.execute(q.order_by(c.c.published_seq))
        ]

    def by_hash(self, conn: Connection, digest: str) -> Configuration:
        if digest == Configuration.default().hash:
            return Configuration.default()
        if conn.execute(select(c.c.hash).where(c.c.hash == digest)).first() is None:
            raise NotFound(f"no configuration {digest[:12]} was published")
        return self._load(conn, digest)
