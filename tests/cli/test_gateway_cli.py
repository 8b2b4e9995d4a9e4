"""``affidavit gateway model`` as a real process: served by uvicorn, used with the official
openai client, its upstream key sent upstream and never printed; bad options refused."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.api.conftest import Live, api_settings, clock, live, serve_in_thread
from tests.gateway.upstream import Upstream, create_upstream

__all__ = ["api_settings", "clock", "live"]
KEY = "sk-upstream-must-never-be-printed-0123456789"


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    state = Upstream()
    url, server, thread = serve_in_thread(create_upstream(state))
    yield state, url + "/v1"
    server.should_exit = True
    thread.join(timeout=10)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gateway_model_process(live: Live, upstream: tuple[Upstream, str]) -> None:
    state, upstream_url = upstream
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFIDAVIT_")}
    env["AFFIDAVIT_UPSTREAM_API_KEY"] = KEY
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "affidavit",
            "gateway",
            "model",
            "--upstream",
            upstream_url,
            "--listen",
            f"127.0.0.1:{port}",
            "--affidavit-url",
            live.url,
            "--case",
            "case-cli",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key=live.tokens["agent"], max_retries=0
        )
        with client:
            answer = client.chat.completions.create(
                model="soc-llm", messages=[{"role": "user", "content": "hello"}]
            )
        assert answer.choices[0].message.content == "echo: hello"
        assert state.headers[0]["authorization"] == f"Bearer {KEY}"
        assert live.gov.steps_page(after=None, limit=10, case="case-cli", agent=None)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert KEY not in out and KEY not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--upstream", "ftp://x"), "the upstream must be an http"),
        (("--upstream", "http://x", "--listen", "nope"), "--listen must be HOST:PORT"),
        (("--upstream", "http://x", "--timeout", "0"), "timeout must be between"),
        (("--upstream", "http://x", "--case", "../etc"), "a case id is"),
        (("--upstream", "http://x", "--mapping", "/nonexistent.yaml"), "cannot read mapping file"),
    ],
)
def test_gateway_model_bad_options(args: tuple[str, ...], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "affidavit", "gateway", "model", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and message in done.stderr
