"""``affidavit demo`` as a newcomer runs it: a real subprocess, a fresh AFFIDAVIT_HOME,
the agents going through both gateways; then ``affidavit ledger verify``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import serve_in_thread
from tests.gateway.upstream import Upstream, create_upstream

AFFIDAVIT = [sys.executable, "-m", "affidavit"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFIDAVIT_")}
    env["AFFIDAVIT_HOME"] = str(home)
    env["COLUMNS"] = "200"
    return env


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AFFIDAVIT, *args], env=_env(home), capture_output=True, text=True, timeout=300
    )


def test_demo_headless_then_the_ledger_verifies(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _run(home, "demo", "--no-serve", "--alerts", "20")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "20 alerts recorded" in out
    gateways = re.search(
        r"gateways: (\d+) model calls through the model gateway, (\d+) tool calls through "
        r"the MCP gateway \((\d+) ran\); credentials that reached the model: (\d+) "
        r"\(it saw (\d+) masked placeholders instead\)",
        out,
    )
    assert gateways, out
    model_calls, tool_calls, ran, leaked, masked = map(int, gateways.groups())
    assert model_calls >= 15 and tool_calls > ran > 0
    assert leaked == 0 and masked > 0  # the planted credentials were masked, never sent
    outcomes = dict(
        (k, int(v))
        for v, k in (
            p.split(" ")[::-1] for p in out.split("outcomes: ")[1].split("\n")[0].split(", ")
        )
    )
    assert outcomes.get("pending_approval", 0) > 0
    assert outcomes.get("executed", 0) > 0
    assert outcomes.get("denied", 0) > 0
    assert "1 break-glass (reviewed)" in out
    assert "refused, as it should be: owner approves own agent" in out
    verified = _run(home, "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("ok: ")


@pytest.fixture
def scripted_llm() -> Iterator[tuple[Upstream, str]]:
    state = Upstream()
    url, server, thread = serve_in_thread(create_upstream(state))
    yield state, url + "/v1"
    server.should_exit = True
    thread.join(timeout=10)


def test_demo_with_another_model(tmp_path: Path, scripted_llm: tuple[Upstream, str]) -> None:
    """--llm-url puts any OpenAI-compatible model behind the gateway (here one that only
    echoes: no tool calls, so nothing is proposed, and the job still completes)."""
    state, url = scripted_llm
    home = tmp_path / "home"
    done = _run(home, "demo", "--no-serve", "--alerts", "5", "--llm-url", url, "--llm-model", "x")
    assert done.returncode == 0, done.stderr
    assert len(state.received) >= 10
    assert all(body["model"] == "x" for body in state.received)
    sent = str(state.received)
    assert "AKIA" not in sent  # the planted example key never reaches it
    assert _run(home, "ledger", "verify").returncode == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_serves_and_each_persona_can_log_in(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = _free_port()
    process = subprocess.Popen(
        [*AFFIDAVIT, "demo", "--alerts", "5", "--port", str(port)],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C stops the server"):
                break
        text = "".join(lines)
        assert f"serving the API at http://127.0.0.1:{port}/v1" in text, text
        tokens = dict(re.findall(r"^  (.+?): (afd_\S+)$", text, re.MULTILINE))
        assert {"admin", "auditor", "analyst", "approver (IR lead)"} <= set(tokens), text
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        for persona, token in tokens.items():
            me = httpx.get(
                f"http://127.0.0.1:{port}/v1/me",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert me.status_code == 200, (persona, me.text)
        pending = httpx.get(
            f"http://127.0.0.1:{port}/v1/proposals",
            params={"status": "pending_approval"},
            headers={"Authorization": f"Bearer {tokens['admin']}"},
            timeout=10,
        )
        assert pending.json()["items"], "the demo leaves proposals waiting for people"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        if process.stderr:
            process.stderr.close()


def test_demo_refuses_bad_options(tmp_path: Path) -> None:
    for args, message in (
        (("--alerts", "0"), "--alerts must be between"),
        (("--llm-url", "file:///etc/passwd"), "--llm-url must be an http"),
        (("--port", "70000"), "--port must be between"),
    ):
        done = _run(tmp_path / "home", "demo", "--no-serve", *args)
        assert done.returncode == 2
        assert done.stderr.startswith("error: ") and message in done.stderr
