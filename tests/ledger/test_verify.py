"""Tamper evidence: any change to any column of any ledger table is caught and named."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from affidavit.config import load_settings
from affidavit.errors import VerificationError
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.ledger.verify import verify_ledger

SIZE = 40


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed ledger of 40 entries, some with payloads, checkpoints every 8."""
    home = tmp_path_factory.mktemp("pristine")
    settings = load_settings(
        {
            "AFFIDAVIT_HOME": str(home),
            "AFFIDAVIT_CHECKPOINT_EVERY": "8",
            "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
        }
    )
    with Ledger.open(settings) as ledger:
        for i in range(SIZE):
            payloads = (f"evidence {i}".encode(), b"second") if i % 5 == 0 else ()
            ledger.append(
                Entry(
                    type="test.entry",
                    actor=f"agent:a{i % 3}",
                    case=None if i % 4 else f"CASE-{i}",
                    body={"i": i, "note": "x" * (i % 7)},
                    payloads=payloads,
                )
            )
    return home


@pytest.fixture
def home(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(pristine, copy)
    return copy


def _verify(home: Path) -> None:
    with Ledger.open(load_settings({"AFFIDAVIT_HOME": str(home)})) as ledger:
        verify_ledger(ledger.db, ledger.verifier_key, ledger.origin)


def _sql(home: Path, *statements: str) -> None:
    conn = sqlite3.connect(home / "affidavit.db")
    with conn:
        for s in statements:
            assert conn.execute(s).rowcount >= 1, s
    conn.close()


def _flip_blob(column: str) -> str:
    # XOR-ish change of the last byte, keeping length
    return (
        f"substr({column}, 1, length({column}) - 1) || "
        f"CAST(char((unicode(substr(CAST({column} AS TEXT), -1)) + 1) % 128) AS BLOB)"
    )


def test_pristine_ledger_verifies(home: Path) -> None:
    _verify(home)


Mutation = Callable[[Path], None]

NODE_ID_OF_ENTRIES_8_TO_15 = 16 * 64 + 3

CASES: list[tuple[str, list[str], str]] = [
    # ledger_entries, every column
    ("entries.seq", ["UPDATE ledger_entries SET seq = 1000 WHERE seq = 17"], "entry 17"),
    (
        "entries.leaf_hash",
        ["UPDATE ledger_entries SET leaf_hash = zeroblob(32) WHERE seq = 17"],
        "entry 17",
    ),
    (
        "entries.entry",
        [
            "UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"i\":17', '\"i\":71') AS BLOB) WHERE seq = 17"
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
        [f"UPDATE ledger_nodes SET hash = zeroblob(32) WHERE id = {NODE_ID_OF_ENTRIES_8_TO_15}"],
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
    ("nodes insert", ["INSERT INTO ledger_nodes VALUES (17 * 64 + 1, zeroblob(32))"], "entry 16"),
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
            "UPDATE ledger_payloads SET data = CAST('evidence 99' AS BLOB) WHERE seq = 10 AND ordinal = 0"
        ],
        "entry 10",
    ),
    ("payloads delete", ["DELETE FROM ledger_payloads WHERE seq = 10 AND ordinal = 1"], "entry 10"),
    (
        "payloads insert",
        ["INSERT INTO ledger_payloads VALUES (12, 0, 'ab', CAST('x' AS BLOB))"],
        "entry 12",
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
            "UPDATE ledger_checkpoints SET note = replace(note, char(10) || '16' || char(10), char(10) || '15' || char(10)) WHERE size = 16"
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


def test_meta_identity_removed_is_refused_not_repaired(home: Path) -> None:
    _sql(home, "DELETE FROM affidavit_meta WHERE key = 'log_verifier_key'")
    with pytest.raises(VerificationError, match="lost this ledger's log_verifier_key"):
        _verify(home)
    conn = sqlite3.connect(home / "affidavit.db")
    assert (
        conn.execute(
            "SELECT count(*) FROM affidavit_meta WHERE key = 'log_verifier_key'"
        ).fetchone()[0]
        == 0
    )
    conn.close()


@pytest.mark.parametrize(("statements", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_tampering_is_detected_and_named(home: Path, statements: list[str], named: str) -> None:
    _sql(home, *statements)
    with pytest.raises(VerificationError) as caught:
        _verify(home)
    assert named in str(caught.value)


def test_checkpoint_signed_by_another_key_is_rejected(home: Path) -> None:
    from affidavit.ledger import note

    conn = sqlite3.connect(home / "affidavit.db")
    text = conn.execute("SELECT note FROM ledger_checkpoints WHERE size = 16").fetchone()[0]
    body = text.split("\n\n")[0] + "\n"
    origin = body.split("\n")[0]
    forged = note.sign(body, note.generate_key(origin)[0])
    with conn:
        conn.execute("UPDATE ledger_checkpoints SET note = ? WHERE size = 16", (forged,))
    conn.close()
    with pytest.raises(VerificationError, match="checkpoint at size 16"):
        _verify(home)


def test_consistent_rewrite_without_the_key_is_caught_by_checkpoints(home: Path) -> None:
    """An attacker who rewrites an entry and recomputes every hash still fails on the signature."""
    from affidavit.ledger import merkle

    conn = sqlite3.connect(home / "affidavit.db")
    rows = conn.execute("SELECT seq, entry FROM ledger_entries ORDER BY seq").fetchall()
    data = [bytes(e) for _, e in rows]
    data[3] = data[3].replace(b'"i":3', b'"i":9')
    frontier: list[tuple[int, bytes]] = []
    with conn:
        conn.execute("DELETE FROM ledger_nodes")
        for seq, d in enumerate(data):
            leaf = merkle.leaf_hash(d)
            conn.execute(
                "UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE seq = ?", (d, leaf, seq)
            )
            for level, _index, h in merkle.frontier_append(frontier, leaf):
                conn.execute("INSERT INTO ledger_nodes VALUES (?, ?)", ((seq + 1) * 64 + level, h))
    conn.close()
    with pytest.raises(VerificationError, match="checkpoint at size 8"):
        _verify(home)
