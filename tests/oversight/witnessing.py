"""A real witness over HTTP on loopback, in a thread, for tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from affidavit.ledger.cosignature import generate_witness_key
from affidavit.oversight.witness import Witness, WitnessState, serve

NOW = 1_796_000_000  # a fixed clock: tests never read the wall clock


@dataclass
class Running:
    url: str
    key: str  # the witness's verifier key
    signer: str
    state_dir: Path


@contextmanager
def running_witness(
    state_dir: Path, log_keys: Sequence[str], name: str = "witness.test/w1", signer: str = ""
) -> Iterator[Running]:
    if not signer:
        signer, _ = generate_witness_key(name)
    state = WitnessState(state_dir)
    witness = Witness(signer, log_keys, state, clock=lambda: NOW)
    server = serve(witness, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Running(f"http://{host!s}:{port}", witness.cosigner.verifier_key, signer, state_dir)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        state.close()
