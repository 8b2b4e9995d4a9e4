"""The witness (c2sp.org/tlog-witness) over real HTTP: it cosigns append-only growth only."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import httpx
import pytest

from affidavit.errors import ConfigError
from affidavit.ledger import merkle, note
from affidavit.ledger.cosignature import verify_cosignatures
from affidavit.ledger.witnesses import add_checkpoint_body
from affidavit.oversight.witness import MAX_REQUEST_BYTES, WitnessState
from tests.oversight.witnessing import NOW, Running, running_witness

ORIGIN = "affidavit.test/log/1"
LOG_SIGNER, LOG_KEY = note.generate_key(ORIGIN)
LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(20)]
FORKED = [*LEAVES[:3], merkle.leaf_hash(b"entry 3, rewritten"), *LEAVES[4:]]


def _checkpoint(leaves: list[bytes], size: int, signer: str = LOG_SIGNER) -> str:
    return note.sign(note.Checkpoint(ORIGIN, size, merkle.root(leaves[:size])).format(), signer)


def _post(w: Running, body: bytes) -> httpx.Response:
    return httpx.post(w.url + "/add-checkpoint", content=body, timeout=10)


def _add(w: Running, old: int, leaves: list[bytes], size: int) -> httpx.Response:
    proof = merkle.consistency_proof(leaves[:size], old) if old else []
    return _post(w, add_checkpoint_body(old, proof, _checkpoint(leaves, size)))


@pytest.fixture
def witness(tmp_path: Path) -> Running:
    with running_witness(tmp_path / "state", [LOG_KEY]) as running:
        yield running


def test_append_only_growth_is_cosigned_rewinds_and_forks_are_refused(witness: Running) -> None:
    first = _add(witness, 0, LEAVES, 10)
    assert first.status_code == 200
    signed = _checkpoint(LEAVES, 10)
    [cosig] = verify_cosignatures(signed + first.text, [witness.key])
    assert (cosig.name, cosig.timestamp) == ("witness.test/w1", NOW)

    # A rewound log: the witness holds 10.
    stale = _add(witness, 0, LEAVES, 5)
    assert (stale.status_code, stale.text) == (409, "10\n")
    assert stale.headers["content-type"] == "text/x.tlog.size"
    rewound = add_checkpoint_body(10, [], _checkpoint(LEAVES, 5))
    assert _post(witness, rewound).status_code == 400  # old size above the new size

    # A fork: entry 3 rewritten, rehashed and re-signed with the log key.
    assert _add(witness, 10, FORKED, 12).status_code == 422
    assert _add(witness, 10, FORKED, 10).status_code == 409  # same size, another root
    evidence = list((witness.state_dir / "evidence").iterdir())
    assert len(evidence) == 2  # both refused requests are kept: they prove the fork

    # The honest extension is cosigned, and the witness moves to 12.
    assert _add(witness, 10, LEAVES, 12).status_code == 200
    assert _add(witness, 0, LEAVES, 12).text == "12\n"
    again = _add(witness, 12, LEAVES, 12)  # the same checkpoint again: cosigned again
    assert again.status_code == 200


def test_the_witness_remembers_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running_witness(state, [LOG_KEY]) as w:
        assert _add(w, 0, LEAVES, 10).status_code == 200
        signer = w.signer
    with running_witness(state, [LOG_KEY], signer=signer) as w:
        assert _add(w, 0, LEAVES, 8).text == "10\n"
        assert _add(w, 10, FORKED, 12).status_code == 422
        assert _add(w, 10, LEAVES, 12).status_code == 200


def test_one_process_per_state_directory(tmp_path: Path) -> None:
    first = WitnessState(tmp_path / "state")
    try:
        with pytest.raises(ConfigError, match="another witness process"):
            WitnessState(tmp_path / "state")
    finally:
        first.close()


def test_unknown_logs_and_untrusted_signatures(witness: Running) -> None:
    other_signer, _ = note.generate_key("affidavit.test/log/other")
    unknown = note.sign(
        note.Checkpoint("affidavit.test/log/other", 1, LEAVES[0]).format(), other_signer
    )
    assert _post(witness, add_checkpoint_body(0, [], unknown)).status_code == 404
    impostor, _ = note.generate_key(ORIGIN)  # right origin, wrong key
    forged = _checkpoint(LEAVES, 10, impostor)
    assert _post(witness, add_checkpoint_body(0, [], forged)).status_code == 403
    assert _add(witness, 0, LEAVES, 10).status_code == 200  # nothing was recorded before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"old 0\n", 400),
        (b"old 00\n\n" + _checkpoint(LEAVES, 1).encode(), 400),
        (b"old -1\n\n" + _checkpoint(LEAVES, 1).encode(), 400),
        (b"old 0\nnot base64\n\n" + _checkpoint(LEAVES, 1).encode(), 400),
        (b"old 0\n" + base64.b64encode(b"short") + b"\n\n" + _checkpoint(LEAVES, 1).encode(), 400),
        (
            b"old 1\n"
            + (base64.b64encode(bytes(32)) + b"\n") * 64
            + b"\n"
            + _checkpoint(LEAVES, 2).encode(),
            400,
        ),
        (b"old 0\n\nnot a checkpoint\n", 400),
        (b"old 0\n\n\xff\xfe", 400),
        (b"old 0\n" + base64.b64encode(bytes(32)) + b"\n\n" + _checkpoint(LEAVES, 3).encode(), 422),
    ],
    ids=[
        "empty",
        "no blank line",
        "leading zero",
        "negative",
        "bad base64",
        "short hash",
        "64 proof lines",
        "not a checkpoint",
        "not utf-8",
        "proof from zero",
    ],
)
def test_malformed_requests(witness: Running, body: bytes, status: int) -> None:
    assert _post(witness, body).status_code == status
    assert _add(witness, 0, LEAVES, 4).status_code == 200  # and the witness still works


def test_http_edges(witness: Running) -> None:
    assert httpx.post(witness.url + "/other", content=b"x").status_code == 404
    assert httpx.get(witness.url + "/add-checkpoint").status_code == 501
    huge = httpx.post(witness.url + "/add-checkpoint", content=b"x" * (MAX_REQUEST_BYTES + 1))
    assert huge.status_code == 413
    host, port = witness.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 411")
