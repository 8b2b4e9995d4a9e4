"""Tamper evidence: any change to any column of any ledger table is caught and named.

The tampering runs as plain SQL through SQLAlchemy straight on the database, on
every backend (SQLite, and PostgreSQL when configured); where the SQL differs
per dialect (blobs, zero bytes, newlines) the pieces come from ``DIALECTS``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from affidavit.cli import main
from affidavit.config import Settings, load_settings
from affidavit.errors import VerificationError
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from tests.conftest import run_sql

SIZE = 40

# SQL fragments that differ per dialect, filled into the statements below.
DIALECTS: dict[str, dict[str, str]] = {
    "sqlite": {
        "zero32": "zeroblob(32)",
        "nl": "char(10)",
        "blob": "CAST(",  # text -> bytes: {blob}...{blob_end}
        "blob_end": " AS BLOB)",
        "text": "CAST(",  # bytes -> text: {text}...{text_end}
        "text_end": " AS TEXT)",
    },
    "postgres": {
        "zero32": "decode(repeat('00', 32), 'hex')",
        "nl": "chr(10)",
        "blob": "convert_to(",
        "blob_end": ", 'UTF8')",
        "text": "convert_from(",
        "text_end": ", 'UTF8')",
    },
}


@pytest.fixture
def pristine(settings: Settings) -> Settings:
    """A ledger of 40 entries, some with payloads, checkpoints every 8, closed."""
    every_8 = replace(settings, checkpoint_every=8, checkpoint_interval_s=0)
    with Ledger.open(every_8) as ledger:
        for start in range(0, SIZE, 8):  # one group commit, one checkpoint per 8
            ledger.append_many(
                [
                    Entry(
                        type="test.entry",
                        actor=f"agent:a{i % 3}",
                        case=None if i % 4 else f"CASE-{i}",
                        body={"i": i, "note": "x" * (i % 7)},
                        payloads=(f"evidence {i}".encode(), b"second") if i % 5 == 0 else (),
                    )
                    for i in range(start, start + 8)
                ]
            )
    return every_8


def _verify(settings: Settings) -> None:
    with Ledger.open(settings) as ledger:
        ledger.verify()


def _tamper(settings: Settings, backend: str, *statements: str) -> None:
    sql = [s.format(**DIALECTS[backend]) for s in statements]
    for statement, rowcount in zip(sql, run_sql(settings.database_url, *sql), strict=True):
        assert rowcount >= 1, statement


def test_pristine_ledger_verifies(pristine: Settings) -> None:
    _verify(pristine)


NODE_ID_OF_ENTRIES_8_TO_15 = 16 * 64 + 3

CASES: list[tuple[str, list[str], str]] = [
    # ledger_entries, every column
    ("entries.seq", ["UPDATE ledger_entries SET seq = 1000 WHERE seq = 17"], "entry 17"),
    (
        "entries.leaf_hash",
        ["UPDATE ledger_entries SET leaf_hash = {zero32} WHERE seq = 17"],
        "entry 17",
    ),
    (
        "entries.entry",
        [
            "UPDATE ledger_entries SET entry = {blob}replace({text}entry{text_end}, '17,\"note\"', '71,\"note\"'){blob_end} WHERE seq = 17"
        ],
        "entry 17",
    ),
    ("entries.type", ["UPDATE ledger_entries SET type = 'test.other' WHERE seq = 17"], "entry 17"),
    (
        "entries.case_id",
        ["UPDATE ledger_entries SET case_id = 'CASE-X' WHERE seq = 17"],
        "entry 17",
    ),
    (
        "entries.case_id null",
        ["UPDATE ledger_entries SET case_id = NULL WHERE seq = 16"],
        "entry 16",
    ),
    (
        "entries.actor",
        ["UPDATE ledger_entries SET actor = 'agent:evil' WHERE seq = 17"],
        "entry 17",
    ),
    (
        "entries.time",
        ["UPDATE ledger_entries SET time = '2020-01-01T00:00:00.000000Z' WHERE seq = 17"],
        "entry 17",
    ),
    ("entries delete", ["DELETE FROM ledger_entries WHERE seq = 17"], "entry 17"),
    (
        "entries delete tail",
        ["DELETE FROM ledger_entries WHERE seq >= 30"],
        "checkpoint at size 32",
    ),
    (
        "entries insert",
        [
            "INSERT INTO ledger_entries SELECT 41, leaf_hash, entry, type, case_id, actor, time FROM ledger_entries WHERE seq = 3"
        ],
        "entry 40",
    ),
    (
        "entries reorder",
        [
            "UPDATE ledger_entries SET seq = -1 WHERE seq = 20",
            "UPDATE ledger_entries SET seq = 20 WHERE seq = 21",
            "UPDATE ledger_entries SET seq = 21 WHERE seq = -1",
        ],
        "entry 20",
    ),
    # ledger_nodes, every column
    (
        "nodes.hash",
        [f"UPDATE ledger_nodes SET hash = {{zero32}} WHERE id = {NODE_ID_OF_ENTRIES_8_TO_15}"],
        "entry 8",
    ),
    (
        "nodes.id",
        [f"UPDATE ledger_nodes SET id = id + 64000 WHERE id = {NODE_ID_OF_ENTRIES_8_TO_15}"],
        "entry 15",
    ),
    (
        "nodes delete",
        [f"DELETE FROM ledger_nodes WHERE id = {NODE_ID_OF_ENTRIES_8_TO_15}"],
        "entry 15",
    ),
    ("nodes insert", ["INSERT INTO ledger_nodes VALUES (17 * 64 + 1, {zero32})"], "entry 16"),
    # ledger_payloads, every column
    (
        "payloads.seq",
        ["UPDATE ledger_payloads SET seq = 11 WHERE seq = 10 AND ordinal = 1"],
        "entry 10",
    ),
    (
        "payloads.ordinal",
        ["UPDATE ledger_payloads SET ordinal = 5 WHERE seq = 10 AND ordinal = 1"],
        "entry 10",
    ),
    (
        "payloads.sha256",
        [
            "UPDATE ledger_payloads SET sha256 = replace(sha256, substr(sha256, 1, 1), 'f') WHERE seq = 10 AND ordinal = 0 AND substr(sha256,1,1) != 'f'"
        ],
        "entry 10",
    ),
    (
        "payloads.data",
        [
            "UPDATE ledger_payloads SET data = {blob}'evidence 99'{blob_end} WHERE seq = 10 AND ordinal = 0"
        ],
        "entry 10",
    ),
    ("payloads delete", ["DELETE FROM ledger_payloads WHERE seq = 10 AND ordinal = 1"], "entry 10"),
    (
        "payloads insert",
        [
            "INSERT INTO ledger_payloads VALUES (12, 0, 'ab', {blob}'x'{blob_end}, {blob}'k'{blob_end}, 'kid', NULL)"
        ],
        "entry 12",
    ),
    (
        "payloads.wrapped_key",
        [
            "UPDATE ledger_payloads SET wrapped_key = {blob}'not the key'{blob_end} WHERE seq = 10 AND ordinal = 0"
        ],
        "entry 10",
    ),
    (
        "payloads.wrapped_key removed",
        ["UPDATE ledger_payloads SET wrapped_key = NULL WHERE seq = 10 AND ordinal = 0"],
        "entry 10",
    ),
    (
        "payloads.kek_id",
        ["UPDATE ledger_payloads SET kek_id = '0000000000000000' WHERE seq = 10 AND ordinal = 0"],
        "entry 10",
    ),
    (
        "payloads.erased_seq (forged erasure)",
        [
            "UPDATE ledger_payloads SET erased_seq = 30, data = {blob}''{blob_end}, wrapped_key = NULL, kek_id = NULL WHERE seq = 10 AND ordinal = 0"
        ],
        "entry 30",
    ),
    # ledger_checkpoints, every column
    (
        "checkpoints.size",
        ["UPDATE ledger_checkpoints SET size = 17 WHERE size = 16"],
        "checkpoint at size 17",
    ),
    (
        "checkpoints.note",
        [
            "UPDATE ledger_checkpoints SET note = replace(note, {nl} || '16' || {nl}, {nl} || '15' || {nl}) WHERE size = 16"
        ],
        "checkpoint at size 16",
    ),
    (
        "checkpoints insert",
        ["INSERT INTO ledger_checkpoints SELECT 12, note FROM ledger_checkpoints WHERE size = 8"],
        "checkpoint at size 12",
    ),
    # affidavit_meta, every column
    (
        "meta.value",
        ["UPDATE affidavit_meta SET value = 'affidavit.local/log/0000' WHERE key = 'log_origin'"],
        "log_origin",
    ),
    (
        "meta.key",
        ["UPDATE affidavit_meta SET key = 'log_verifier' WHERE key = 'log_verifier_key'"],
        "log_verifier_key",
    ),
]


def test_meta_identity_removed_is_refused_not_repaired(pristine: Settings, backend: str) -> None:
    _tamper(pristine, backend, "DELETE FROM affidavit_meta WHERE key = 'log_verifier_key'")
    with pytest.raises(VerificationError, match="lost this ledger's log_verifier_key"):
        _verify(pristine)
    engine = create_engine(pristine.database_url, poolclass=NullPool)
    with engine.connect() as conn:
        query = "SELECT count(*) FROM affidavit_meta WHERE key = 'log_verifier_key'"
        assert conn.execute(text(query)).scalar_one() == 0
    engine.dispose()


@pytest.mark.parametrize(("statements", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_tampering_is_detected_and_named(
    pristine: Settings, backend: str, statements: list[str], named: str
) -> None:
    _tamper(pristine, backend, *statements)
    with pytest.raises(VerificationError) as caught:
        _verify(pristine)
    assert named in str(caught.value)


def test_checkpoint_signed_by_another_key_is_rejected(pristine: Settings) -> None:
    from affidavit.ledger import note

    engine = create_engine(pristine.database_url, poolclass=NullPool)
    with engine.begin() as conn:
        signed = conn.execute(
            text("SELECT note FROM ledger_checkpoints WHERE size = 16")
        ).scalar_one()
        body = signed.split("\n\n")[0] + "\n"
        origin = body.split("\n")[0]
        forged = note.sign(body, note.generate_key(origin)[0])
        conn.execute(text("UPDATE ledger_checkpoints SET note = :n WHERE size = 16"), {"n": forged})
    engine.dispose()
    with pytest.raises(VerificationError, match="checkpoint at size 16"):
        _verify(pristine)


def test_consistent_rewrite_without_the_key_is_caught_by_checkpoints(pristine: Settings) -> None:
    """An attacker who rewrites an entry and recomputes every hash still fails on the signature."""
    from affidavit.ledger import merkle

    engine = create_engine(pristine.database_url, poolclass=NullPool)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT seq, entry FROM ledger_entries ORDER BY seq")).all()
        data = [bytes(e) for _, e in rows]
        data[3] = data[3].replace(b'"i":3', b'"i":9')
        frontier: list[tuple[int, bytes]] = []
        conn.execute(text("DELETE FROM ledger_nodes"))
        for seq, d in enumerate(data):
            leaf = merkle.leaf_hash(d)
            conn.execute(
                text("UPDATE ledger_entries SET entry = :d, leaf_hash = :l WHERE seq = :s"),
                {"d": d, "l": leaf, "s": seq},
            )
            for level, _index, h in merkle.frontier_append(frontier, leaf):
                conn.execute(
                    text("INSERT INTO ledger_nodes VALUES (:i, :h)"),
                    {"i": (seq + 1) * 64 + level, "h": h},
                )
    engine.dispose()
    with pytest.raises(VerificationError, match="checkpoint at size 8"):
        _verify(pristine)


def test_a_column_whose_type_was_changed_is_one_clear_line(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite only: it stores any type in any column (PostgreSQL refuses text in a
    bigint or bytea column). A TypeError in verify was a traceback before."""
    settings = replace(load_settings(), checkpoint_every=4)
    with Ledger.open(settings) as ledger:
        for i in range(12):
            ledger.append(
                Entry(type="test.entry", actor="agent:a", body={"i": i}, payloads=(b"p",))
            )
    path = home / "affidavit.db"
    pristine = path.read_bytes()
    for statement, named in [
        ("UPDATE ledger_entries SET seq = 'x5' WHERE seq = 5", "error: entry 5:"),
        ("UPDATE ledger_entries SET entry = CAST(entry AS TEXT) WHERE seq = 6", "error: entry 6:"),
        ("UPDATE ledger_payloads SET data = 'x' WHERE seq = 7", "error: entry 7:"),
        ("UPDATE ledger_nodes SET hash = 'x' WHERE id = 2 * 64 + 1", "error: entry 1:"),
        (
            "UPDATE ledger_checkpoints SET size = 'x' WHERE size = 8",
            "error: ledger_checkpoints has a row whose size is not a number",
        ),
    ]:
        run_sql(settings.database_url, statement)
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(["ledger", "verify"])
        err = capsys.readouterr().err
        assert exited.value.code == 1, statement
        assert err.startswith(named), (statement, err)
        assert err.count("\n") == 1
        assert "Traceback" not in err and "x5" not in err
        path.write_bytes(pristine)
