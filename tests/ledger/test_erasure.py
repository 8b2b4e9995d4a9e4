"""Erasure keeps the proof: crypto-shredded payloads verify as erased, not as tampering."""

from __future__ import annotations

import pytest

from affidavit.config import Settings
from affidavit.errors import ConfigError, InputError, NotFound, VerificationError
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.store.vault import load_or_create_file_kek
from tests.conftest import run_sql


def _fill(ledger: Ledger) -> list[str]:
    refs = []
    for i in range(20):
        payloads = (f"prompt {i}: user alice@corp.example".encode(), f"output {i}".encode())
        entry = Entry(
            type="step.recorded", actor="agent:a", case="C", body={"i": i}, payloads=payloads
        )
        ledger.append(entry)
        refs.extend(entry.payload_refs)
    return refs


def test_payloads_are_sealed_and_readable(ledger: Ledger) -> None:
    refs = _fill(ledger)
    assert ledger.payload(refs[0]) == b"prompt 0: user alice@corp.example"
    report = ledger.verify()
    assert (report.payloads, report.erased, report.payloads_decrypted) == (40, 0, True)


def test_erasure_is_ledgered_and_verify_reports_it(ledger: Ledger) -> None:
    refs = _fill(ledger)
    size = ledger.size()
    appended = ledger.erase(
        [refs[4], refs[5]], actor="human:dpo", rule="dsr", reason="GDPR art. 17 request #881"
    )
    assert appended.seq == size
    with pytest.raises(NotFound, match="erased"):
        ledger.payload(refs[4])
    assert ledger.payload(refs[6]).startswith(b"prompt 3")
    report = ledger.verify()
    assert (report.payloads, report.erased) == (40, 2)
    body = ledger.entry(appended.seq).body
    assert body["rule"] == "dsr"
    assert [(p["seq"], p["ordinal"]) for p in body["payloads"]] == [(2, 0), (2, 1)]
    # the entries that referenced them, and their proofs, are untouched
    proof = ledger.inclusion_proof(2)
    from affidavit.ledger import merkle

    merkle.verify_inclusion(proof.leaf_hash, 2, proof.size, proof.hashes, proof.root)
    with pytest.raises(NotFound):
        ledger.erase([refs[4]], actor="human:dpo", rule="dsr", reason="again")
    with pytest.raises(InputError):
        ledger.erase([], actor="human:dpo", rule="dsr", reason="nothing")


def test_forged_or_undone_erasure_is_tampering(ledger: Ledger, database_url: str) -> None:
    refs = _fill(ledger)
    erased = ledger.erase([refs[0]], actor="human:dpo", rule="dsr", reason="request")
    # un-erase: point the row at nothing while the erasure entry still lists it
    run_sql(
        database_url, "UPDATE ledger_payloads SET erased_seq = NULL WHERE seq = 0 AND ordinal = 0"
    )
    with pytest.raises(VerificationError, match="entry 0"):
        ledger.verify()
    run_sql(
        database_url,
        f"UPDATE ledger_payloads SET erased_seq = {erased.seq} WHERE seq = 0 AND ordinal = 0",
    )
    ledger.verify()
    # move the erasure marker to a live payload of another entry
    run_sql(
        database_url,
        f"UPDATE ledger_payloads SET erased_seq = {erased.seq}, data = {_empty(database_url)}, "
        "wrapped_key = NULL, kek_id = NULL WHERE seq = 1 AND ordinal = 0",
    )
    with pytest.raises(VerificationError, match=f"entry {erased.seq}"):
        ledger.verify()


def _empty(url: str) -> str:
    return "''::bytea" if url.startswith("postgresql") else "X''"


def test_wrong_vault_key_is_refused(settings: Settings, ledger: Ledger) -> None:
    _fill(ledger)
    ledger.close()
    settings.vault_key_path.unlink()
    with pytest.raises(ConfigError, match="is missing; this database's payloads are sealed"):
        Ledger.open(settings)
    assert not settings.vault_key_path.exists()  # no new key made beside the database
    load_or_create_file_kek(settings.vault_key_path)  # a new, foreign key
    with pytest.raises(ConfigError, match="not this database's vault key"):
        Ledger.open(settings)


def test_verify_lists_erasures_when_who_and_rule(ledger: Ledger) -> None:
    refs = _fill(ledger)
    ledger.erase(refs[:3], actor="human:dpo", rule="dsr", reason="request #7")
    [listed] = ledger.verify().erasures
    assert (listed["actor"], listed["rule"], listed["reason"], listed["payloads"]) == (
        "human:dpo",
        "dsr",
        "request #7",
        3,
    )
    assert listed["time"].endswith("Z")
