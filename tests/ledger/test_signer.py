"""The signer cannot be fooled by a rewritten database: it signs only extensions of what it
signed (its state file, outside the database), and verification holds the database to it."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from affidavit.config import Settings
from affidavit.errors import ConfigError, InputError, VerificationError
from affidavit.ledger import note
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.ledger.signer import read_state
from tests.conftest import run_sql
from tests.ledger.attacks import rewrite_history, truncate

SIZE = 40
EDIT = {3: (b'"i":3', b'"i":9')}


def _entry(i: int) -> Entry:
    return Entry(type="test.entry", actor="agent:a", body={"i": i})


@pytest.fixture
def signed(settings: Settings) -> Settings:
    """40 entries, a checkpoint every 8, closed."""
    every_8 = replace(settings, checkpoint_every=8, checkpoint_interval_s=0)
    with Ledger.open(every_8) as ledger:
        for start in range(0, SIZE, 8):
            ledger.append_many([_entry(i) for i in range(start, start + 8)])
        assert ledger.latest_checkpoint() is not None
    return every_8


def _checkpoint_rows(settings: Settings) -> dict[int, str]:
    engine = create_engine(settings.database_url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT size, note FROM ledger_checkpoints")).all()
    engine.dispose()
    return {int(size): str(n) for size, n in rows}


def test_state_file_holds_the_last_signed_checkpoint(signed: Settings) -> None:
    path = signed.log_state_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    state = read_state(path)
    assert state is not None
    verifier_key, last = state
    assert last.size == SIZE
    assert _checkpoint_rows(signed)[SIZE] == last.note
    with Ledger.open(signed) as ledger:
        assert verifier_key == ledger.verifier_key
        assert last.root == ledger.root(SIZE)


def test_rewritten_rehashed_history_without_checkpoints_is_never_signed(
    signed: Settings,
) -> None:
    """Issue 9 item 2: an entry edited, every hash recomputed, every checkpoint deleted.
    Without the state file this verified clean and the next checkpoint signed it."""
    before = signed.log_state_path.read_bytes()
    rewrite_history(signed.database_url, edit=EDIT)
    with Ledger.open(signed) as ledger:
        with pytest.raises(VerificationError, match="not consistent with the checkpoint"):
            ledger.verify()
        with pytest.raises(VerificationError, match="not consistent with the checkpoint this"):
            ledger.checkpoint()
    assert _checkpoint_rows(signed) == {}  # nothing was signed
    assert signed.log_state_path.read_bytes() == before


def test_the_writer_stops_appending_once_the_signer_refused(signed: Settings) -> None:
    rewrite_history(signed.database_url, edit=EDIT)
    with Ledger.open(signed) as ledger:
        # This batch commits on the forged history, then its checkpoint is refused...
        ledger.append_many([_entry(i) for i in range(SIZE, SIZE + 8)])
        # ...and from then on nothing more is appended to it.
        with pytest.raises(VerificationError, match="not consistent"):
            ledger.append(_entry(99))
    assert _checkpoint_rows(signed) == {}


def test_a_running_writer_signs_its_own_root_not_a_rewritten_tail(signed: Settings) -> None:
    """Entries after the last checkpoint, rewritten and rehashed while the service runs:
    the service signs the root it computed itself, so the stored tree is refused."""
    with Ledger.open(signed) as ledger:
        ledger.append_many([_entry(i) for i in range(SIZE, SIZE + 5)])  # not yet signed
        rewrite_history(signed.database_url, edit={42: (b'"i":42', b'"i":24')})
        with pytest.raises(VerificationError, match="not consistent with the checkpoint this"):
            ledger.checkpoint()


def test_truncated_database_is_never_signed_nor_appended_to(signed: Settings) -> None:
    truncate(signed.database_url, 23)  # the tail and its checkpoints, gone
    with Ledger.open(signed) as ledger:
        with pytest.raises(VerificationError, match="has 23 entries but 40 were committed"):
            ledger.checkpoint()
        with pytest.raises(VerificationError, match="has 23 entries but 40 were committed"):
            ledger.append(_entry(99))
        with pytest.raises(VerificationError, match="the ledger has 23 entries but the check"):
            ledger.verify()
    assert max(_checkpoint_rows(signed)) == 16


def test_verify_fails_when_the_signed_checkpoint_is_deleted(signed: Settings) -> None:
    """Deleting checkpoint rows alone (the entries untouched) verified clean before."""
    run_sql(signed.database_url, "DELETE FROM ledger_checkpoints WHERE size >= 24")
    with Ledger.open(signed) as ledger:
        with pytest.raises(VerificationError, match="at size 40, but ledger_checkpoints has no"):
            ledger.verify()
        # The signer re-signs the tree it already signed; the deletion is repaired.
        ledger.checkpoint()
        assert ledger.verify().checkpoints == 3  # 8, 16 and 40 again


def test_a_home_without_state_adopts_the_stored_checkpoint_only_if_it_matches(
    signed: Settings,
) -> None:
    signed.log_state_path.unlink()
    run_sql(
        signed.database_url,
        "UPDATE ledger_entries SET entry = entry WHERE seq = 0",  # untouched: adopts
    )
    with Ledger.open(signed) as ledger:
        ledger.append(_entry(SIZE))
        assert note.Checkpoint.parse(ledger.checkpoint().split("\n\n")[0] + "\n").size == 41
    state = read_state(signed.log_state_path)
    assert state is not None and state[1].size == 41

    signed.log_state_path.unlink()
    engine = create_engine(signed.database_url, poolclass=NullPool)
    with engine.begin() as conn:  # keep the checkpoints, rewrite what they cover
        kept = conn.execute(text("SELECT size, note FROM ledger_checkpoints")).all()
    engine.dispose()
    rewrite_history(signed.database_url, edit=EDIT)
    engine = create_engine(signed.database_url, poolclass=NullPool)
    with engine.begin() as conn:
        for size, stored in kept:
            conn.execute(
                text("INSERT INTO ledger_checkpoints VALUES (:s, :n)"), {"s": size, "n": stored}
            )
    engine.dispose()
    with Ledger.open(signed) as ledger:
        ledger.append(_entry(99))
        with pytest.raises(VerificationError, match="not consistent with the latest stored"):
            ledger.checkpoint()
    assert not signed.log_state_path.exists()


def test_checkpoint_at_an_older_size(signed: Settings) -> None:
    with Ledger.open(signed) as ledger:
        assert ledger.checkpoint(16) == _checkpoint_rows(signed)[16]  # the stored one
        older = ledger.checkpoint(13)  # none stored: signed, as 13 is a prefix of 40
        cp = note.Checkpoint.parse(note.verify(older, [ledger.verifier_key]).text)
        assert (cp.size, cp.root) == (13, ledger.root(13))
        with pytest.raises(InputError, match="between 0 and 40"):
            ledger.checkpoint(41)
        with pytest.raises(InputError, match="between 0 and 40"):
            ledger.checkpoint(-1)
        assert ledger.verify().checkpoints == 6
    state = read_state(signed.log_state_path)
    assert state is not None and state[1].size == SIZE  # the state never moves back


def test_no_older_checkpoint_is_signed_over_a_rewritten_prefix(signed: Settings) -> None:
    rewrite_history(signed.database_url, edit=EDIT)
    with Ledger.open(signed) as ledger, pytest.raises(VerificationError, match="not consistent"):
        ledger.checkpoint(10)


def test_corrupt_or_foreign_state_is_refused(signed: Settings) -> None:
    path = signed.log_state_path
    good = path.read_text()
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="corrupt"):
        Ledger.open(signed)
    state = json.loads(good)
    state["checkpoint"] = state["checkpoint"].replace("\n40\n", "\n41\n")
    path.write_text(json.dumps(state))
    with pytest.raises(ConfigError, match="corrupt"):
        Ledger.open(signed)
    signer, verifier = note.generate_key("affidavit.local/log/other")
    foreign = note.sign(note.Checkpoint("affidavit.local/log/other", 0, bytes(32)).format(), signer)
    path.write_text(json.dumps({"verifier_key": verifier, "checkpoint": foreign}))
    with pytest.raises(ConfigError, match="belongs to another log key"):
        Ledger.open(signed)
    path.write_text(good)
    os.chmod(path, 0o666)
    with pytest.raises(ConfigError, match="writable by other users"):
        Ledger.open(signed)
    os.chmod(path, 0o600)
    with Ledger.open(signed) as ledger:
        ledger.verify()
