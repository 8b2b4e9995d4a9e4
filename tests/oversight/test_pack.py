"""Exporting evidence packs: a case and a period round-trip through the standalone verifier."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affidavit.errors import InputError, NotFound
from affidavit.governance.governor import Governor
from affidavit.ledger import merkle, note
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.oversight import PackScope, export_pack
from affidavit.oversight._pack_proofs import inclusion_proofs
from affidavit.oversight.verify_pack import manifest_note_text, verify
from tests.governance.conftest import Cast, Clock
from tests.oversight._pack_case import CASE, build_case, read_zip


def test_case_pack_round_trip(gov: Governor, cast: Cast, tmp_path: Path) -> None:
    built = build_case(gov, cast)
    ledger = gov.ledger
    assert ledger.latest_checkpoint() is None  # export must sign one
    summary = export_pack(ledger, PackScope(case=CASE), tmp_path / "case.zip")

    case_entries = {e.seq: e for e in ledger.entries(case=CASE)}
    files = read_zip(summary.path)
    signed = note.Checkpoint.parse(
        note.verify(files["checkpoint.note"].decode(), [ledger.verifier_key]).text
    )
    assert signed.size == summary.size == ledger.size()
    entries = {int(n[8:-5]): data for n, data in files.items() if n.startswith("entries/")}
    context = set(entries) - set(case_entries)
    # context: the bundle's publication and the erasure, both outside the case
    assert {ledger.entry(i).type for i in context} == {"policy.published", "payload.erased"}
    assert built.erasure_seq in context
    for seq, data in entries.items():
        assert data == ledger.entry(seq).data
    proofs = json.loads(files["proofs.json"])
    assert set(proofs) == {str(i) for i in entries}
    for seq in entries:
        expected = ledger.inclusion_proof(seq, signed.size).hashes
        assert [base64.b64decode(h) for h in proofs[str(seq)]] == expected
    assert files["verifier.key"].decode().strip() == ledger.verifier_key
    manifest = json.loads(files["manifest.json"])
    assert manifest["scope"] == {"case": CASE}
    assert set(manifest["files"]) == set(files) - {"manifest.json", "manifest.note"}
    manifest_digest = hashlib.sha256(files["manifest.json"]).hexdigest()
    manifest_signed = note.verify(files["manifest.note"].decode(), [ledger.verifier_key]).text
    assert manifest_signed == manifest_note_text(ledger.origin, manifest_digest)

    report = verify(summary.path, ledger.verifier_key)
    assert report.entries == len(entries) == len(case_entries) + 2
    assert report.context_entries == 2
    assert (report.size, report.root) == (signed.size, signed.root)
    assert report.erased == ((built.erased_sha256, built.erasure_seq),)
    assert report.bundles == report.bundles_published == 1
    live = {r for e in entries for r in ledger.entry(e).payload_refs} - {built.erased_sha256}
    assert report.payloads == len(live)
    for ref in live:
        assert files[f"payloads/{ref}"] == ledger.payload(ref)
    assert f"payloads/{built.erased_sha256}" not in files
    marker = json.loads(files[f"payloads/{built.erased_sha256}.erased.json"])
    assert marker == {"sha256": built.erased_sha256, "erased_by": built.erasure_seq}
    [bundle] = [n for n in files if n.startswith("policy/")]
    assert hashlib.sha256(files[bundle]).hexdigest() == bundle[7:71]
    ledger.verify()  # exporting left the ledger intact


def test_period_pack_round_trip(gov: Governor, cast: Cast, clock: Clock, tmp_path: Path) -> None:
    before = gov.ledger.append(Entry(type="test.before", actor="system:test", body={})).seq
    clock.advance(minutes=1)  # the command clock stamps entries: the period starts here
    build_case(gov, cast, publish=False, erase=False)
    clock.advance(minutes=1)
    gov.ledger.append(Entry(type="test.inside", actor="system:test", body={}))
    clock.advance(minutes=1)
    gov.ledger.append(Entry(type="test.after", actor="system:test", body={}))
    ledger = gov.ledger
    stored = list(ledger.entries())
    start, end = stored[before + 1].time, stored[-1].time
    summary = export_pack(ledger, PackScope(start=start, end=end), tmp_path / "period.zip")
    in_period = {e.seq for e in stored if start <= e.time < end}
    assert before not in in_period and len(stored) - 1 not in in_period
    files = read_zip(summary.path)
    entries = {int(n[8:-5]) for n in files if n.startswith("entries/")}
    assert in_period <= entries
    assert all(ledger.entry(i).type == "policy.published" for i in entries - in_period)
    report = verify(summary.path, ledger.verifier_key)
    assert report.scope == {"from": start, "to": end}
    assert report.entries == len(entries)
    # no bundle was published: the decisions cite the shipped default, included by hash
    assert (report.bundles, report.bundles_published) == (1, 0)


def test_latest_checkpoint_is_reused_when_it_covers_the_scope(
    gov: Governor, cast: Cast, tmp_path: Path
) -> None:
    build_case(gov, cast, erase=False)
    signed = gov.ledger.checkpoint()
    gov.ledger.append(Entry(type="test.later", actor="system:test", body={}))
    summary = export_pack(gov.ledger, PackScope(case=CASE), tmp_path / "p.zip")
    assert read_zip(summary.path)["checkpoint.note"].decode() == signed
    assert summary.size == gov.ledger.size() - 1


def test_packs_are_deterministic(gov: Governor, cast: Cast, tmp_path: Path) -> None:
    build_case(gov, cast)
    first = export_pack(gov.ledger, PackScope(case=CASE), tmp_path / "a.zip")
    second = export_pack(gov.ledger, PackScope(case=CASE), tmp_path / "b.zip")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_timeline_escapes_everything_and_loads_nothing(
    gov: Governor, cast: Cast, tmp_path: Path
) -> None:
    build_case(gov, cast, erase=False)
    hostile = {
        "proposal": "p-1",
        "outcome": "<script>alert(1)</script>",
        "reason": "a&b\"'",
        "rationale": "",
        "override_with": None,
        "evidence_viewed": [],
    }
    gov.ledger.append(
        Entry(type="disposition.recorded", actor="human:alice", case=CASE, body=hostile)
    )
    page = read_zip(export_pack(gov.ledger, PackScope(case=CASE), tmp_path / "p.zip").path)[
        "timeline.html"
    ].decode()
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (a&amp;b&quot;&#x27;)" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    rows = re.findall(r'<tr id="e(\d+)"', page)
    times = [gov.ledger.entry(int(i)).time for i in rows]
    assert times == sorted(times)
    for index in rows:
        assert f'href="entries/{index}.json"' in page


def test_missing_case_and_empty_period_are_not_found(ledger: Ledger, tmp_path: Path) -> None:
    ledger.append(Entry(type="test.entry", actor="system:test", body={}, case="C-1"))
    with pytest.raises(NotFound, match="no ledger entries for case C-2"):
        export_pack(ledger, PackScope(case="C-2"), tmp_path / "p.zip")
    with pytest.raises(NotFound):
        export_pack(ledger, PackScope.period("2001-01-01", "2001-02-01"), tmp_path / "p.zip")
    assert not (tmp_path / "p.zip").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give a case id"),
        ({"start": "2026-01-01T00:00:00.000000Z"}, "give a case id"),
        ({"case": "C", "start": "2026-01-01T00:00:00.000000Z"}, "not both"),
        ({"case": "../etc/passwd"}, "a case id is"),
        ({"case": ""}, "a case id is"),
        ({"start": "2026-02-01T00:00:00.000000Z", "end": "2026-01-01T00:00:00.000000Z"}, "earlier"),
    ],
)
def test_bad_scopes_are_refused(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        PackScope(**kwargs)


@pytest.mark.parametrize(
    ("start", "message"),
    [("yesterday", "not an ISO 8601"), ("2026-01-01T10:00:00", "needs a time zone"), ("", "ISO")],
)
def test_bad_period_times_are_refused(start: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        PackScope.period(start, "2027-01-01")


def test_period_times_are_normalised_to_utc() -> None:
    scope = PackScope.period("2026-11-28T10:00:00+01:00", "2026-11-29")
    assert (scope.start, scope.end) == (
        "2026-11-28T09:00:00.000000Z",
        "2026-11-29T00:00:00.000000Z",
    )
    assert PackScope.period("0001-01-01", "9999-12-31T23:59:59.999999Z").start == (
        "0001-01-01T00:00:00.000000Z"  # four-digit years, so times sort as text
    )
    with pytest.raises(InputError, match="out of range"):
        PackScope.period("0001-01-01T00:00:00+01:00", "2026-01-01")


def test_output_directory_must_exist(ledger: Ledger, tmp_path: Path) -> None:
    ledger.append(Entry(type="test.entry", actor="system:test", body={}, case="C-1"))
    with pytest.raises(InputError, match="does not exist"):
        export_pack(ledger, PackScope(case="C-1"), tmp_path / "missing" / "p.zip")


@pytest.fixture
def forty_seven(ledger: Ledger) -> Ledger:
    ledger.append_many(
        [Entry(type="test.entry", actor="system:test", body={"i": i}) for i in range(47)]
    )
    return ledger


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_batch_proofs_equal_the_ledgers(forty_seven: Ledger, data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 47), label="size")
    indices = data.draw(st.sets(st.integers(0, size - 1), min_size=1), label="indices")
    leaves = {i: forty_seven.entry(i).leaf_hash for i in indices}
    proofs = inclusion_proofs(forty_seven, leaves, size, forty_seven.root(size))
    for i in indices:
        assert proofs[i] == forty_seven.inclusion_proof(i, size).hashes
        merkle.verify_inclusion(leaves[i], i, size, proofs[i], forty_seven.root(size))


def test_entries_beyond_ascii_and_integers_take_the_careful_path(
    ledger: Ledger, tmp_path: Path
) -> None:
    bodies = [
        {"note": "café ☕", "\U0001f600": 1, "\ufffd": 2},  # UTF-16 order differs from code points
        {"ratio": 0.1, "big": 1e21, "small": -5e-324},
        {"count": 9007199254740991},
    ]
    ledger.append_many(
        [Entry(type="test.entry", actor="system:test", case="C-1", body=b) for b in bodies]
    )
    summary = export_pack(ledger, PackScope(case="C-1"), tmp_path / "p.zip")
    assert verify(summary.path, ledger.verifier_key).entries == 3
