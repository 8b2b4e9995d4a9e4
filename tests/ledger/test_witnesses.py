"""The log collects cosignatures from its witnesses over HTTP and verification checks them.

Witnesses protect against what the log key alone cannot: whoever holds the key
(and the database) rewriting history and re-signing it.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from affidavit.config import Settings
from affidavit.errors import ConfigError, InputError, VerificationError
from affidavit.ledger.audit import verify_home
from affidavit.ledger.cosignature import generate_witness_key, verify_cosignatures
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from tests.ledger.attacks import rewrite_history
from tests.oversight.witnessing import Running, running_witness


def _entries(start: int, n: int) -> list[Entry]:
    return [
        Entry(type="test.entry", actor="agent:a", body={"i": i}) for i in range(start, start + n)
    ]


def _configure(settings: Settings, *witnesses: Running) -> None:
    settings.ensure_home()
    document = {"witnesses": [{"url": w.url, "key": w.key} for w in witnesses]}
    settings.witnesses_path.write_text(yaml.safe_dump(document))


def _log_key(settings: Settings) -> str:
    with Ledger.open(settings) as ledger:
        return ledger.verifier_key


def test_checkpoints_are_cosigned_stored_and_verified(settings: Settings, tmp_path: Path) -> None:
    key = _log_key(settings)
    with (
        running_witness(tmp_path / "w1", [key], "witness.test/w1") as w1,
        running_witness(tmp_path / "w2", [key], "witness.test/w2") as w2,
    ):
        _configure(settings, w1, w2)
        with Ledger.open(settings) as ledger:
            ledger.append_many(_entries(0, 10))
            cosigned, outcomes = ledger.witness(ledger.checkpoint())
            assert [o.cosigned for o in outcomes] == [True, True]
            assert ledger.latest_checkpoint() == cosigned  # stored on the checkpoint's row
            assert len(verify_cosignatures(cosigned, [w1.key, w2.key])) == 2
            ledger.append_many(_entries(10, 5))
            _, outcomes = ledger.witness(ledger.checkpoint())  # proof from 10 to 15
            assert all(o.cosigned for o in outcomes)
        # A new process knows nothing of the witnesses' sizes: a 409 tells it.
        with Ledger.open(settings) as ledger:
            ledger.append_many(_entries(15, 3))
            _, outcomes = ledger.witness(ledger.checkpoint())
            assert all(o.cosigned for o in outcomes), outcomes
        report = verify_home(settings, witnesses=[w1.key, w2.key])
        assert report.witnessed is not None
        assert report.witnessed.size == 18
        assert report.witnessed.witnesses == ("witness.test/w1", "witness.test/w2")
        auditor = verify_home(
            replace(settings, home=tmp_path / "auditor"),
            verifier_key=key,
            witnesses=[w1.key, w2.key],
        )
        assert auditor.witnessed == report.witnessed


def test_the_writers_checkpoints_are_cosigned_in_the_background(
    settings: Settings, tmp_path: Path
) -> None:
    key = _log_key(settings)
    with running_witness(tmp_path / "w1", [key]) as w1:
        _configure(settings, w1)
        with Ledger.open(replace(settings, checkpoint_every=8)) as ledger:
            ledger.append_many(_entries(0, 8))
            done = threading.Event()
            for _ in range(400):
                latest = ledger.latest_checkpoint() or ""
                if verify_cosignatures(latest, [w1.key]):
                    done.set()
                    break
                done.wait(0.05)
            assert done.is_set()


def test_a_quorum_of_witnesses(settings: Settings, tmp_path: Path) -> None:
    key = _log_key(settings)
    _, absent = generate_witness_key("witness.test/absent")
    with running_witness(tmp_path / "w1", [key]) as w1:
        _configure(settings, w1)
        with Ledger.open(settings) as ledger:
            ledger.append_many(_entries(0, 4))
            ledger.witness(ledger.checkpoint())
        report = verify_home(settings, witnesses=[w1.key, absent], witness_quorum=1)
        assert report.witnessed is not None and report.witnessed.witnesses == ("witness.test/w1",)
        with pytest.raises(
            VerificationError, match="no stored checkpoint carries cosignatures by 2"
        ):
            verify_home(settings, witnesses=[w1.key, absent])
        with pytest.raises(InputError, match="between 1 and 2"):
            verify_home(settings, witnesses=[w1.key, absent], witness_quorum=3)


def test_a_log_key_holder_rewriting_history_is_refused_and_caught(
    settings: Settings, tmp_path: Path
) -> None:
    """What the log key alone cannot prevent: the operator holding log.key and the database
    rewrites entry 3, rehashes, discards the signer state and re-signs. The database
    verifies clean with the log key; the witness refuses to cosign the second history,
    and verification with the witness key fails."""
    key = _log_key(settings)
    with running_witness(tmp_path / "w1", [key]) as w1:
        _configure(settings, w1)
        with Ledger.open(settings) as ledger:
            ledger.append_many(_entries(0, 20))
            ledger.witness(ledger.checkpoint())
        rewrite_history(settings.database_url, edit={3: (b'"i":3', b'"i":9')})
        settings.log_state_path.unlink()
        with Ledger.open(settings) as ledger:
            ledger.append_many(_entries(20, 2))
            signed, outcomes = ledger.witness(ledger.checkpoint())
            [refused] = outcomes
            assert not refused.cosigned
            assert "HTTP 422" in refused.detail and "forked" in refused.detail
            assert verify_cosignatures(signed, [w1.key]) == ()
        verify_home(settings)  # the log key alone: clean
        with pytest.raises(VerificationError, match="no stored checkpoint carries cosign"):
            verify_home(settings, witnesses=[w1.key])
        assert list((w1.state_dir / "evidence").iterdir())  # the witness kept the proof


def test_a_tampered_cosignature_is_named(settings: Settings, tmp_path: Path) -> None:
    key = _log_key(settings)
    with running_witness(tmp_path / "w1", [key]) as w1:
        _configure(settings, w1)
        with Ledger.open(settings) as ledger:
            ledger.append_many(_entries(0, 6))
            cosigned, _ = ledger.witness(ledger.checkpoint())
    line = cosigned.rstrip("\n").split("\n")[-1]
    flipped = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
    engine = create_engine(settings.database_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_checkpoints SET note = :n WHERE size = 6"),
            {"n": cosigned.replace(line, flipped)},
        )
    engine.dispose()
    with pytest.raises(VerificationError, match="checkpoint at size 6: The cosignature by wit"):
        verify_home(settings, witnesses=[w1.key])


def test_an_unreachable_witness_does_not_stop_the_log(settings: Settings, tmp_path: Path) -> None:
    key = _log_key(settings)
    with running_witness(tmp_path / "w1", [key]) as w1:
        pass  # stopped: nothing listens on its port any more
    _configure(settings, w1)
    with Ledger.open(settings) as ledger:
        ledger.append_many(_entries(0, 3))
        _signed, [outcome] = ledger.witness(ledger.checkpoint())
        assert not outcome.cosigned and outcome.detail == "ConnectError"
        assert ledger.verify().size == 3


@pytest.mark.parametrize(
    "document",
    [
        "witnesses: [",
        "witnesses: 3",
        "witnesses:\n  - url: ftp://x\n    key: k\n",
        "witnesses:\n  - url: http://127.0.0.1:1\n    key: not-a-key\n",
        "[]",
    ],
)
def test_bad_witness_configuration_is_refused(settings: Settings, document: str) -> None:
    _log_key(settings)
    settings.witnesses_path.write_text(document)
    with pytest.raises(ConfigError):
        Ledger.open(settings)
