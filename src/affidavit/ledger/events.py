"""Typed ledger events: one frozen dataclass per entry type, and their registry.

Every entry written through :meth:`affidavit.ledger.batch.Batch.emit` is an
:class:`Event`: its class names the entry type (``type``), says what the
entry's body is (:meth:`Event.body`) and reads it back (:meth:`Event.from_body`).
An entry type's name is written in its event class and nowhere else.

Event classes are found through a registry keyed by type name. The built-in
classes (the ledger's own :class:`PayloadErased`, governance's in
``affidavit.governance.events``) and any plugin's are registered through the
``affidavit.events`` entry-point group, whose values are event classes or
sequences of them (a module may also call :func:`register_event` itself)::

    [project.entry-points."affidavit.events"]
    acme = "acme_affidavit.events:EVENTS"

A plugin's events are ledgered, verified, replayed and shown like the built-in
ones; they write no governance state (only the governance projector does, for
governance's own events). A type name registered twice by different classes is
refused with ConfigError.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, ClassVar, NamedTuple, Self

from affidavit.errors import ConfigError, VerificationError
from affidavit.ledger.entry import Entry, StoredEntry

__all__ = [
    "ENTRY_POINT_GROUP",
    "Event",
    "Payload",
    "PayloadErased",
    "event_class",
    "event_types",
    "parse_event",
    "register_event",
]

ENTRY_POINT_GROUP = "affidavit.events"
_TYPE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*")


class Payload(NamedTuple):
    """An entry's payload as an event reads it back: its hash, and its bytes when loaded."""

    sha256: str
    data: bytes | None


@dataclass(frozen=True, kw_only=True)
class Event:
    """One state change. Subclasses are frozen dataclasses with a ``type`` and a body.

    ``actor`` is who did it (``kind:name``); ``case`` the case it belongs to, if any.
    """

    type: ClassVar[str] = ""
    needs_payload_data: ClassVar[bool] = False
    """Whether :meth:`from_body` needs the payloads' bytes, not just their hashes."""

    actor: str
    case: str | None = None

    def body(self) -> dict[str, Any]:
        raise NotImplementedError

    def payloads(self) -> tuple[bytes, ...]:
        """Evidence attached to the entry (stored encrypted, referenced by SHA-256)."""
        return ()

    @classmethod
    def from_body(
        cls,
        body: Mapping[str, Any],
        *,
        actor: str,
        case: str | None,
        payloads: Sequence[Payload] = (),
    ) -> Self:
        """The event an entry of this type records (the inverse of :meth:`body`)."""
        return cls(actor=actor, case=case, **cls._fields(body, payloads))

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        """The event's own fields (all but actor and case) from an entry body."""
        raise NotImplementedError

    def to_entry(self, time: str) -> Entry:
        return Entry(
            type=self.type,
            actor=self.actor,
            case=self.case,
            body=self.body(),
            payloads=self.payloads(),
            time=time,
        )


@dataclass(frozen=True, kw_only=True)
class PayloadErased(Event):
    """Payloads crypto-shredded (their data keys and ciphertext destroyed), and why."""

    type: ClassVar[str] = "payload.erased"

    erased: tuple[tuple[int, int, str], ...]
    """(seq, ordinal, sha256) of each payload erased."""
    rule: str
    reason: str

    def body(self) -> dict[str, Any]:
        return {
            "payloads": [{"seq": s, "ordinal": o, "sha256": h} for s, o, h in self.erased],
            "rule": self.rule,
            "reason": self.reason,
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        erased = tuple(
            (int(p["seq"]), int(p["ordinal"]), str(p["sha256"])) for p in body["payloads"]
        )
        return {"erased": erased, "rule": body["rule"], "reason": body["reason"]}


EVENTS: tuple[type[Event], ...] = (PayloadErased,)
"""The ledger's own event types (registered through the entry-point group)."""

_lock = threading.Lock()
_registry: dict[str, type[Event]] = {}
_loaded = False


def register_event(cls: type[Event]) -> type[Event]:
    """Register an event class under its ``type`` (usable as a class decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Event)) or cls is Event:
        raise ConfigError(f"{cls!r} is not an Event subclass")
    name = cls.type
    if not isinstance(name, str) or len(name) > 64 or not _TYPE.fullmatch(name):
        raise ConfigError(f"event class {cls.__qualname__} has no valid type name: {name!r}")
    with _lock:
        known = _registry.get(name)
        if known is not None and known is not cls:
            raise ConfigError(
                f"entry type {name} is registered twice: by {_where(known)} and by {_where(cls)}"
            )
        _registry[name] = cls
    return cls


def _where(cls: type[Event]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _load_entry_points() -> None:
    global _loaded
    if _loaded:
        return
    # Built-ins are entry points too; they also register themselves when their module
    # is imported, so a source tree that was never installed still knows them.
    found: list[type[Event]] = list(EVENTS)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            value = point.load()
        except Exception as exc:
            raise ConfigError(
                f"event plugin {point.name} ({point.value}) cannot be loaded: {exc}"
            ) from exc
        found.extend(_classes(point.name, value))
    for cls in found:
        register_event(cls)
    _loaded = True


def _classes(name: str, value: object) -> list[type[Event]]:
    if isinstance(value, type):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return list(value)
    raise ConfigError(f"event plugin {name} names neither an event class nor a sequence of them")


def event_types() -> dict[str, type[Event]]:
    """Every registered event class by type name (built-ins and plugins)."""
    _load_entry_points()
    with _lock:
        return dict(_registry)


def event_class(type_name: str) -> type[Event] | None:
    """The class registered for ``type_name``, or None for an unknown type."""
    _load_entry_points()
    return _registry.get(type_name)


def parse_event(
    stored: StoredEntry,
    payloads: Sequence[Payload] | None = None,
    *,
    body: Mapping[str, Any] | None = None,
) -> Event | None:
    """The event a stored entry records; None when its type has no registered class.

    ``payloads`` default to the entry's payload hashes without their bytes (enough
    for every event class whose ``needs_payload_data`` is false). ``body`` is the
    entry's body when the caller has parsed it already.
    """
    cls = event_class(stored.type)
    if cls is None:
        return None
    if payloads is None:
        payloads = [Payload(ref, None) for ref in stored.payload_refs]
    try:
        return cls.from_body(
            stored.body if body is None else body,
            actor=stored.actor,
            case=stored.case,
            payloads=payloads,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise VerificationError(
            f"ledger entry {stored.seq} ({stored.type}) does not read back as "
            f"{cls.__qualname__}: {type(exc).__name__}: {exc}"
        ) from None
