"""The ledger: durable appends, group commit, proofs, checkpoints, bad input."""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from affidavit import canonical
from affidavit.config import Settings, load_settings
from affidavit.errors import ConfigError, InputError, NotFound, VerificationError
from affidavit.ledger import merkle, note
from affidavit.ledger.entry import ENTRY_MAX_BYTES, Entry
from affidavit.ledger.log import Ledger
from tests.conftest import run_sql


def _entry(i: int, **kw: object) -> Entry:
    return Entry(type="test.entry", actor="agent:tester", body={"i": i}, **kw)  # type: ignore[arg-type]


def _rows(ledger: Ledger, table: str) -> int:
    with ledger.db.read() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_append_returns_consecutive_seq_and_leaf_hash(ledger: Ledger) -> None:
    first = ledger.append(_entry(0))
    second = ledger.append(_entry(1))
    assert (first.seq, second.seq) == (0, 1)
    stored = ledger.entry(1)
    assert second.leaf_hash == merkle.leaf_hash(stored.data)
    assert stored.json()["body"] == {"i": 1}


def test_entry_bytes_are_canonical_json(ledger: Ledger) -> None:
    entry = Entry(
        type="alert.ingested",
        actor="human:alice@corp.example",
        case="CASE-1",
        body={"z": [1, 2.5, "\u20ac"], "a": {"b": None}},
        payloads=(b"raw alert",),
    )
    ledger.append(entry)
    stored = ledger.entry(0)
    as_dict = {
        "type": entry.type,
        "actor": entry.actor,
        "case": entry.case,
        "time": entry.time,
        "body": entry.body,
        "payloads": entry.payload_refs,
    }
    assert stored.data == canonical.encode(as_dict)
    assert ledger.payload(entry.payload_refs[0]) == b"raw alert"


@given(
    body=st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=10,
        ),
        max_size=5,
    ),
    case=st.none() | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True),
)
@hsettings(max_examples=200)
def test_encode_equals_canonical_encoding_of_the_entry_object(body: dict, case: str | None) -> None:
    entry = Entry(type="t.x", actor="a", body=body, case=case)
    expected = {"type": "t.x", "actor": "a", "case": case, "time": entry.time, "body": body}
    assert entry.encode() == canonical.encode(expected)


def test_proofs_from_store_equal_list_based_proofs(ledger: Ledger) -> None:
    results = ledger.append_many([_entry(i) for i in range(67)])
    leaves = [r.leaf_hash for r in results]
    for size in (1, 2, 3, 8, 31, 64, 67):
        assert ledger.root(size) == merkle.root(leaves[:size])
        for seq in {0, size // 2, size - 1}:
            proof = ledger.inclusion_proof(seq, size)
            assert proof.hashes == merkle.inclusion_proof(leaves[:size], seq)
            merkle.verify_inclusion(proof.leaf_hash, seq, size, proof.hashes, proof.root)
        for old in {0, 1, size // 3, size}:
            cproof = ledger.consistency_proof(old, size)
            assert cproof.hashes == merkle.consistency_proof(leaves[:size], old)
            merkle.verify_consistency(old, size, cproof.hashes, cproof.old_root, cproof.new_root)


def test_proof_arguments_out_of_range(ledger: Ledger) -> None:
    ledger.append_many([_entry(i) for i in range(5)])
    with pytest.raises(NotFound, match="entry 5"):
        ledger.inclusion_proof(5)
    with pytest.raises(InputError, match="tree size"):
        ledger.inclusion_proof(0, 6)
    with pytest.raises(InputError, match="old size"):
        ledger.consistency_proof(6)
    with pytest.raises(NotFound):
        ledger.entry(99)


def test_concurrent_appenders_share_commits_and_get_distinct_seqs(ledger: Ledger) -> None:
    seqs: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(50):
            seq = ledger.append(_entry(n * 1000 + i)).seq
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seqs) == list(range(800))
    ledger.verify()


def test_checkpoints_are_signed_every_n_entries(settings: Settings) -> None:
    every_10 = replace(settings, checkpoint_every=10, checkpoint_interval_s=0)
    with Ledger.open(every_10) as ledger:
        for i in range(25):
            ledger.append(_entry(i))
        latest = ledger.latest_checkpoint()
        assert latest is not None
        signed = note.verify(latest, [ledger.verifier_key])
        checkpoint = note.Checkpoint.parse(signed.text)
        assert checkpoint.size == 20
        assert checkpoint.origin == ledger.origin
        assert checkpoint.root == ledger.root(20)
        on_demand = note.Checkpoint.parse(
            note.verify(ledger.checkpoint(), [ledger.verifier_key]).text
        )
        assert on_demand.size == 25
        assert ledger.checkpoint() == ledger.latest_checkpoint()  # idempotent at one size


def test_checkpoint_signed_after_interval(settings: Settings) -> None:
    by_time = replace(settings, checkpoint_every=0, checkpoint_interval_s=0.05)
    with Ledger.open(by_time) as ledger:
        ledger.append(_entry(0))
        done = threading.Event()
        for _ in range(200):  # the idle writer signs within a few intervals
            if ledger.latest_checkpoint() is not None:
                done.set()
                break
            done.wait(0.05)
        assert done.is_set()


def test_key_file_is_private_and_reused(settings: Settings, ledger: Ledger) -> None:
    mode = stat.S_IMODE(os.stat(settings.log_key_path).st_mode)
    assert mode == 0o600
    key = ledger.verifier_key
    ledger.close()
    with Ledger.open(settings) as again:
        assert again.verifier_key == key


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"x": b"bytes"}, "bytes"),
        ({"x": {1, 2}}, "set"),
        ({"x": float("nan")}, "NaN|nan"),
        ({"x": "\ud800"}, "surrogate"),
        ({"x": "y" * ENTRY_MAX_BYTES}, "limit"),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_written(
    ledger: Ledger, body: dict, match: str
) -> None:
    ledger.append(_entry(0))
    with pytest.raises(InputError, match=match):
        ledger.append(Entry(type="t.x", actor="a", body=body))
    assert _rows(ledger, "ledger_entries") == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"type": "Bad Type"},
        {"type": ""},
        {"actor": 'a"b'},
        {"actor": "x" * 201},
        {"case": "has space"},
        {"time": "yesterday"},
        {"payloads": [b"list not tuple"]},
        {"payloads": ("not bytes",)},
        {"body": ["not", "an", "object"]},
    ],
)
def test_malformed_entry_fields_are_refused(kwargs: dict) -> None:
    fields: dict = {"type": "t.x", "actor": "a", "body": {}}
    fields.update(kwargs)
    with pytest.raises(InputError):
        Entry(**fields)


def test_append_rejects_non_entries(ledger: Ledger) -> None:
    with pytest.raises(InputError, match="Entry"):
        ledger.append({"type": "x"})  # type: ignore[arg-type]


def test_corrupt_key_file_is_refused(settings: Settings, ledger: Ledger) -> None:
    ledger.append(_entry(0))
    ledger.close()
    settings.log_key_path.write_text("PRIVATE+KEY+garbage\n")
    with pytest.raises(ConfigError, match="corrupt"):
        Ledger.open(settings)


def test_world_readable_key_file_is_refused(settings: Settings, ledger: Ledger) -> None:
    ledger.close()
    settings.log_key_path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        Ledger.open(settings)


def test_key_of_another_log_is_refused(settings: Settings, ledger: Ledger) -> None:
    ledger.close()
    signer, _ = note.generate_key("affidavit.local/log/other")
    settings.log_key_path.write_text(signer + "\n")
    with pytest.raises(ConfigError, match="not this database's key"):
        Ledger.open(settings)


def test_missing_key_for_existing_log_is_refused(settings: Settings, ledger: Ledger) -> None:
    ledger.close()
    settings.log_key_path.unlink()
    with pytest.raises(ConfigError, match="does not exist"):
        Ledger.open(settings)


def test_foreign_database_is_refused_untouched(settings: Settings, home: Path) -> None:
    home.mkdir()
    run_sql(
        settings.database_url,
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)",
        "INSERT INTO customers VALUES (1, 'x')",
    )
    db = home / "affidavit.db"
    before = db.read_bytes() if db.exists() else None
    with pytest.raises(ConfigError, match="not an Affidavit database"):
        Ledger.open(settings)
    engine = create_engine(settings.database_url, poolclass=NullPool)
    assert inspect(engine).get_table_names() == ["customers"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, name FROM customers")).all() == [(1, "x")]
    engine.dispose()
    if before is not None:  # SQLite: not a byte changed, no WAL started
        assert db.read_bytes() == before
        assert not (home / "affidavit.db-wal").exists()


def test_non_database_file_is_refused_untouched(home: Path) -> None:
    # SQLite only: a file that is not a database has no PostgreSQL counterpart.
    home.mkdir()
    db = home / "affidavit.db"
    db.write_bytes(b"this is a text file, not SQLite\n" * 10)
    before = db.read_bytes()
    with pytest.raises(ConfigError, match="not an SQLite database"):
        Ledger.open(load_settings({"AFFIDAVIT_HOME": str(home)}))
    assert db.read_bytes() == before


def test_unsupported_database_url() -> None:
    with pytest.raises(ConfigError, match="unsupported database"):
        Ledger.open(Settings(home=Path("/nonexistent"), database_url="mysql://x/y"))
    with pytest.raises(ConfigError, match="invalid database URL"):
        Ledger.open(Settings(home=Path("/nonexistent"), database_url="::nonsense::"))


def test_execute_runs_commands_atomically_inside_the_group_commit(ledger: Ledger) -> None:
    from affidavit.ledger.batch import Batch

    with ledger.db.write() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t_counter (k TEXT PRIMARY KEY, n INTEGER)"))
        conn.execute(text("INSERT INTO t_counter VALUES ('x', 0)"))

    def bump(batch: Batch) -> int:
        n = batch.conn.execute(text("SELECT n FROM t_counter WHERE k = 'x'")).scalar_one()
        batch.conn.execute(text("UPDATE t_counter SET n = :n WHERE k = 'x'"), {"n": n + 1})
        return batch.append(_entry(n)).seq

    def fail_after_writing(batch: Batch) -> None:
        batch.conn.execute(text("UPDATE t_counter SET n = 1000 WHERE k = 'x'"))
        batch.append(_entry(-1))
        raise InputError("refused after writing")

    results: list[object] = []

    def worker(fn: object) -> None:
        try:
            results.append(ledger.execute(fn))  # type: ignore[arg-type]
        except InputError as exc:
            results.append(exc)

    threads = [
        threading.Thread(target=worker, args=(bump if i % 3 else fail_after_writing,))
        for i in range(30)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = sorted(r for r in results if isinstance(r, int))
    assert seqs == list(range(20))
    assert sum(isinstance(r, InputError) for r in results) == 10
    with ledger.db.read() as conn:
        assert conn.execute(text("SELECT n FROM t_counter")).scalar_one() == 20
    assert ledger.size() == 20
    assert [ledger.entry(s).body["i"] for s in range(20)] == list(range(20))
    ledger.verify()


def test_execute_after_close_is_refused(settings: Settings) -> None:
    from affidavit.errors import StorageError

    ledger = Ledger.open(settings)
    ledger.close()
    with pytest.raises(StorageError, match="closed"):
        ledger.execute(lambda batch: None)


def test_appending_on_a_truncated_log_is_refused(settings: Settings) -> None:
    """Entries lost below a signed checkpoint (failover to a lagging replica, an old
    backup restored): appending would sign a second tree at signed sizes, a fork."""
    every_8 = replace(settings, checkpoint_every=8)
    with Ledger.open(every_8) as ledger:
        ledger.append_many([_entry(i) for i in range(8)])
        ledger.append_many([_entry(i) for i in range(8, 12)])
        assert ledger.latest_checkpoint() is not None
    run_sql(every_8.database_url, "DELETE FROM ledger_entries WHERE seq >= 6")
    with Ledger.open(every_8) as ledger:
        with pytest.raises(VerificationError, match="has 6 entries but 8 were committed"):
            ledger.append(_entry(99))
        with pytest.raises(VerificationError, match="entries were lost or deleted"):
            ledger.checkpoint()
        assert ledger.size() == 6


def test_a_process_refuses_to_append_below_what_it_saw_committed(ledger: Ledger) -> None:
    ledger.append_many([_entry(i) for i in range(5)])  # no checkpoint covers these yet
    assert ledger.latest_checkpoint() is None
    run_sql(
        ledger.db.engine.url.render_as_string(hide_password=False),
        "DELETE FROM ledger_entries WHERE seq = 4",
    )
    with pytest.raises(VerificationError, match="has 4 entries but 5 were committed"):
        ledger.append(_entry(5))
    assert ledger.size() == 4


def test_a_ledger_clock_stamps_every_entry(settings: Settings) -> None:
    """Entries appended directly carry the injected clock's time, and a command without
    a time of its own runs at it (``batch.time``, which its emitted events carry)."""
    from datetime import UTC, datetime, timedelta

    moments = iter(datetime(2031, 5, 1, 12, 0, tzinfo=UTC) + timedelta(seconds=i) for i in range(9))
    with Ledger.open(settings, clock=lambda: next(moments)) as ledger:
        ledger.append(_entry(0, time="2020-01-01T00:00:00.000000Z"))
        ledger.execute(lambda batch: batch.append(replace(_entry(1), time=batch.time)))
        assert ledger.verify().size == 2  # raises VerificationError on a bad entry
        times = [e.time for e in ledger.entries()]
    assert times == ["2031-05-01T12:00:00.000000Z", "2031-05-01T12:00:01.000000Z"]
