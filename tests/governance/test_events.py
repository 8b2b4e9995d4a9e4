"""Typed events: one class per entry type, a registry with a plugin hook, no stray type names."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

import pytest
from tests.conftest import REPO

import affidavit
from affidavit.errors import ConfigError, VerificationError
from affidavit.governance import events as ev
from affidavit.governance.governor import Governor
from affidavit.governance.rebuild import replay_scratch, snapshot
from affidavit.ledger import events as ledger_events
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.events import (
    ENTRY_POINT_GROUP,
    Event,
    Payload,
    event_class,
    event_types,
    parse_event,
    register_event,
)
from affidavit.oversight import events as oversight_events

SRC = Path(affidavit.__file__).parent
EVENT_MODULES = {
    SRC / "ledger" / "events.py",
    SRC / "oversight" / "events.py",
    *(SRC / "governance" / "events").glob("*.py"),
}
ALLOWED_ELSEWHERE = {
    # The auditor's verifier is one standalone file (standard library and cryptography
    # only): it cannot import the event classes, so it names the types it reads.
    SRC / "oversight" / "verify_pack.py": set(event_types()),
}


@register_event
@dataclass(frozen=True, kw_only=True)
class NoteAdded(Event):
    """What a plugin's event looks like: a type name, a body and its reading back."""

    type: ClassVar[str] = "acme.note_added"

    text: str

    def body(self) -> dict[str, Any]:
        return {"text": self.text}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"text": body["text"]}


def test_every_entry_type_has_one_registered_class() -> None:
    types = event_types()
    assert (
        len(ev.EVENTS) == 25 + 6 + 1 and len(ledger_events.EVENTS) == 1
    )  # accountability, configuration
    for cls in (*ev.EVENTS, *ledger_events.EVENTS):
        assert types[cls.type] is cls
    assert len({cls.type for cls in ev.EVENTS}) == len(ev.EVENTS)


def test_the_entry_point_group_names_the_built_ins() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"][ENTRY_POINT_GROUP] == {
        "ledger": "affidavit.ledger.events:EVENTS",
        "governance": "affidavit.governance.events:EVENTS",
        "oversight": "affidavit.oversight.events:EVENTS",
    }
    loaded = {point.name: point.load() for point in entry_points(group=ENTRY_POINT_GROUP)}
    assert loaded["governance"] is ev.EVENTS and loaded["ledger"] is ledger_events.EVENTS
    assert loaded["oversight"] is oversight_events.EVENTS


def test_a_type_name_cannot_be_registered_twice() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Impostor(ev.ProposalCreated):
        pass

    with pytest.raises(ConfigError, match="registered twice"):
        register_event(Impostor)
    assert event_class("proposal.created") is ev.ProposalCreated
    register_event(ev.ProposalCreated)  # the same class again is fine

    @dataclass(frozen=True, kw_only=True)
    class Nameless(Event):
        type: ClassVar[str] = "Not A Name"

    with pytest.raises(ConfigError, match="no valid type name"):
        register_event(Nameless)
    with pytest.raises(ConfigError, match="not an Event"):
        register_event(dict)  # type: ignore[arg-type]


def test_a_plugin_event_is_ledgered_read_back_and_changes_no_state(gov: Governor) -> None:
    gov.ledger.execute(lambda b: b.emit(NoteAdded(actor="system:acme", case="C-9", text="hi")))
    [stored] = list(gov.ledger.entries(case="C-9"))
    assert stored.type == "acme.note_added"
    assert parse_event(stored) == NoteAdded(actor="system:acme", case="C-9", text="hi")
    with gov.ledger.db.read() as conn:
        live = snapshot(conn)
    with replay_scratch(gov.ledger) as scratch:
        assert snapshot(scratch) == live
    gov.ledger.verify()


def test_an_entry_that_does_not_read_back_is_a_verification_error() -> None:
    broken = StoredEntry(7, b"", b'{"actor":"system:governor","body":{"proposal":"p"}}', "authorization.issued", "C", "system:governor", "2026-01-01T00:00:00.000000Z")  # fmt: skip
    with pytest.raises(VerificationError, match="entry 7"):
        parse_event(broken)
    unknown = StoredEntry(8, b"", b'{"actor":"x","body":{}}', "nobody.knows", None, "x", "")
    assert parse_event(unknown) is None


def _entry_with_literal_type(node: ast.AST) -> bool:
    """``Entry(type="...")`` or ``Entry(type=f"...")``: an entry typed outside an event class."""
    if not isinstance(node, ast.Call):
        return False
    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
    literal = (ast.Constant, ast.JoinedStr)
    return name == "Entry" and any(
        k.arg == "type" and isinstance(k.value, literal) for k in node.keywords
    )


def test_no_entry_type_name_outside_its_event_class() -> None:
    names = set(event_types())
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path in EVENT_MODULES:
            continue
        allowed = ALLOWED_ELSEWHERE.get(path, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in names - allowed:
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value!r}")
            if _entry_with_literal_type(node):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: Entry(type=<literal>)")
    assert found == []
