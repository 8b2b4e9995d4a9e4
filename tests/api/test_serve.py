"""`affidavit serve` as a real process: no configuration on SQLite; two processes on
one PostgreSQL database serving one gap-free ledger that verifies."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from affidavit.config import load_settings
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from tests.conftest import POSTGRES_URL, schema_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "affidavit", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()  # type: ignore[union-attr]


def _env(home: Path, url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFIDAVIT_")}
    env["AFFIDAVIT_HOME"] = str(home)
    env["AFFIDAVIT_CHECKPOINT_INTERVAL"] = "0"
    if url is not None:
        env["AFFIDAVIT_DATABASE_URL"] = url
    return env


def _agent_token(env: dict[str, str]) -> str:
    with Governor.open(load_settings(env)) as gov:
        gov.add_identity(Identity(id="olivia", kind="human", roles=("approver:ir_lead",)))
        agent = Identity(
            id="triage", kind="agent", owner="olivia", scopes=("enrich_ip_reputation",)
        )
        return gov.add_identity(agent)[1]


@pytest.mark.slow
def test_serve_starts_on_embedded_sqlite_without_configuration(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    token = _agent_token(env)
    with serving(env) as url:
        assert httpx.get(f"{url}/readyz").json()["status"] == "ready"
        r = httpx.post(
            f"{url}/v1/proposals",
            json={"case": "C-1", "action": "enrich_ip_reputation", "target": "ip:203.0.113.7"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        broken = httpx.get(f"{url}/v1/me", headers={"Authorization": "Bearer nope"})
        assert broken.status_code == 401 and "Traceback" not in broken.text
    with Governor.open(load_settings(env)) as gov:
        gov.ledger.verify()


@pytest.mark.slow
def test_two_serve_processes_on_one_postgres_serve_one_ledger(
    tmp_path: Path, postgres_schema: str
) -> None:
    assert POSTGRES_URL is not None
    url = schema_url(POSTGRES_URL, postgres_schema)
    env = _env(tmp_path / "home", url)
    token = _agent_token(env)
    headers = {"Authorization": f"Bearer {token}"}
    with serving(env) as first, serving(env) as second:

        def propose(i: int) -> int:
            node = (first, second)[i % 2]
            r = httpx.post(
                f"{node}/v1/proposals",
                json={
                    "case": f"C-{i % 5}",
                    "action": "enrich_ip_reputation",
                    "target": "ip:203.0.113.7",
                },
                headers={**headers, "Idempotency-Key": f"k-{i}"},
                timeout=30,
            )
            return r.status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(propose, range(40)))
        assert statuses == [201] * 40
        # A retry on the other node is answered from the shared idempotency record.
        again = httpx.post(
            f"{second}/v1/proposals",
            json={"case": "C-0", "action": "enrich_ip_reputation", "target": "ip:203.0.113.7"},
            headers={**headers, "Idempotency-Key": "k-0"},
        )
        assert again.headers.get("idempotent-replayed") == "true"
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM ledger_entries ORDER BY seq"))]
        proposals = conn.execute(text("SELECT count(*) FROM proposals")).scalar_one()
    engine.dispose()
    assert seqs == list(range(len(seqs)))
    assert proposals == 40
    with Governor.open(load_settings(env)) as gov:
        gov.ledger.verify()


@pytest.mark.slow
def test_rate_limits_hold_across_two_serve_processes_on_one_postgres(
    tmp_path: Path, postgres_schema: str
) -> None:
    assert POSTGRES_URL is not None
    url = schema_url(POSTGRES_URL, postgres_schema)
    env = _env(tmp_path / "home", url)
    # 5 requests per window of 50,000 s: one window for the whole test.
    env.update(AFFIDAVIT_API_RATE="0.0001", AFFIDAVIT_API_BURST="5")
    token = _agent_token(env)
    headers = {"Authorization": f"Bearer {token}"}
    with serving(env) as first, serving(env) as second:
        answers = [httpx.get(f"{(first, second)[i % 2]}/v1/me", headers=headers) for i in range(12)]
    statuses = [r.status_code for r in answers]
    # Per process, each node would have granted 5 (10 in all).
    assert statuses.count(200) == 5, statuses
    assert statuses.count(429) == 7
    assert all(int(r.headers["retry-after"]) >= 1 for r in answers if r.status_code == 429)
