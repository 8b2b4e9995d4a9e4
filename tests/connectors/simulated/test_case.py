"""The simulated case system: notes are rows; results keep a hash, not the text."""

from __future__ import annotations

import hashlib

import pytest

from affidavit.connectors import SimulatedCase
from affidavit.connectors._tables import sim_case_notes
from affidavit.errors import InputError
from affidavit.store import Database
from tests.connectors._shared import make_request, rows


@pytest.fixture
def cases(db: Database) -> SimulatedCase:
    return SimulatedCase(db)


def test_add_case_note(cases: SimulatedCase, db: Database) -> None:
    text = "Host isolated; owner informed. " * 600  # 18,600 characters
    request = make_request("add_case_note", "case:INC-2027-0042", {"text": text})
    result = cases.execute(request)
    [note] = rows(db, sim_case_notes)
    assert (note["case_id"], note["text"], note["execution_id"]) == (
        "INC-2027-0042",
        text,
        request.execution_id,
    )
    assert result.external_ref == f"note-{note['id']}"
    assert result.detail["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert text not in str(result.to_json())
    assert cases.execute(request) == result
    assert len(rows(db, sim_case_notes)) == 1


def test_a_note_without_text_says_who_wrote_it(cases: SimulatedCase, db: Database) -> None:
    request = make_request("add_case_note", "case:INC-1")
    cases.execute(request)
    assert request.execution_id in rows(db, sim_case_notes)[0]["text"]


@pytest.mark.parametrize(
    ("action", "target", "params", "message"),
    [
        ("add_case_note", "case:INC-1", {"text": "x" * 20_001}, "limit is 20000"),
        ("add_case_note", "host:pc-1", {}, "applies to case targets"),
        ("create_ticket", "case:INC-1", {"summary": "s"}, "cannot run action create_ticket"),
    ],
)
def test_requests_the_case_system_cannot_serve(
    cases: SimulatedCase, action: str, target: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        cases.execute(make_request(action, target, params))
