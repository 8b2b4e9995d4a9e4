"""Alert intake: one alert is one entry under any race; a file is recorded whole or not at all."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from tests.conftest import TEST_DATA

from affidavit.errors import AffidavitError, InputError
from affidavit.governance.governor import Governor

VENDOR = TEST_DATA / "alerts" / "vendor"


def _alert(name: str = "scc.json") -> dict[str, Any]:
    value = json.loads((VENDOR / name).read_text())
    assert isinstance(value, dict)
    return value


def _alert_entries(gov: Governor) -> list[int]:
    return [e.seq for e in gov.ledger.entries() if e.type == "alert.ingested"]


def test_eight_threads_ingesting_one_alert_make_one_entry(gov: Governor) -> None:
    alert, results, errors = _alert(), [], []
    start = threading.Barrier(8)

    def ingest() -> None:
        start.wait()
        try:
            results.extend(gov.ingest_objects([alert], case="CASE-RACE"))
        except AffidavitError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ingest) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    [entry] = _alert_entries(gov)
    recorded = [r for r in results if r.seq is not None]
    assert [r.seq for r in recorded] == [entry]
    assert sorted(r.duplicate_of for r in results if r.seq is None) == [entry] * 7
    gov.ledger.verify()


def test_a_file_is_recorded_whole_or_not_at_all(gov: Governor) -> None:
    huge = _alert()
    huge["finding"]["indicator"]["domains"] = [f"host-{i}.example" for i in range(3000)]
    before = gov.ledger.size()
    with pytest.raises(InputError, match=r"^alert 2: .*no alert was recorded"):
        gov.ingest_objects([_alert("falco.json"), _alert("guardduty.json"), huge])
    assert gov.ledger.size() == before and gov.cases() == []
    with pytest.raises(InputError):  # a bad object is refused before anything is written
        gov.ingest_objects([_alert("falco.json"), {"hello": "world"}])
    assert gov.ledger.size() == before
    done = gov.ingest_objects([_alert("falco.json"), _alert("guardduty.json")])
    assert all(r.seq is not None for r in done)


def test_duplicates_name_the_entry_that_recorded_the_alert(gov: Governor) -> None:
    first = gov.ingest_objects([_alert(), _alert()], case="CASE-D")
    assert first[0].seq is not None and first[1].duplicate_of == first[0].seq
    again = gov.ingest_objects([_alert()], case="CASE-OTHER")
    assert (again[0].seq, again[0].duplicate_of) == (None, first[0].seq)
    assert _alert_entries(gov) == [first[0].seq]
    assert [c["id"] for c in gov.cases()] == ["CASE-D"]  # a duplicate opens no case
