"""``affidavit notify run | status | test``: the worker as operators run it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tests.notify._receivers import HttpReceiver, free_port

SLACK_ENV = "TEST_NOTIFY_SLACK_URL"
HOOK_SECRET_ENV = "TEST_NOTIFY_HOOK_SECRET"
HOOK_SECRET = "cli-hook-secret-0123456789abcdef"


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def configured(
    cli: Invoke, home: Path, http: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """notify.yaml in AFFIDAVIT_HOME, an approver, an agent, and one pending request."""
    monkeypatch.setenv(SLACK_ENV, http.url("/slack"))
    monkeypatch.setenv(HOOK_SECRET_ENV, HOOK_SECRET)
    home.mkdir(parents=True, exist_ok=True)
    (home / "notify.yaml").write_text(
        "console_url: https://console.example.org\n"
        "channels:\n"
        f"  ir-slack: {{type: slack, url_env: {SLACK_ENV}}}\n"
        f"  soar: {{type: webhook, url: '{http.url('/hook')}', secret_env: {HOOK_SECRET_ENV}}}\n"
        f"  down: {{type: teams, url: 'http://127.0.0.1:{free_port()}/teams', timeout_s: 5}}\n"
        "roles:\n"
        "  approver:ir_lead: {channels: [ir-slack]}\n"
        "  approver:broken: {channels: [down]}\n"
        "fallback: {channels: [soar, down]}\n"
    )
    tokens = {}
    for args in (
        ("alice", "--human", "--roles", "approver:ir_lead"),
        ("triage", "--agent", "--owner", "alice", "--scopes", "isolate_host"),
    ):
        run = cli("identity", "add", *args)
        assert run.code == 0, run.err
        tokens[args[0]] = run.out.strip().splitlines()[-1]
    run = cli(
        "propose",
        "--case",
        "CASE-7",
        "--action",
        "isolate_host",
        "--target",
        "host:pc-0001",
        "--rationale",
        "beaconing",
        "--token",
        tokens["triage"],
    )
    assert run.code == 0, run.err
    tokens["proposal"] = json.loads(run.out)["proposal_id"]
    return tokens


def test_run_once_then_status(cli: Invoke, configured: dict[str, str], http: HttpReceiver) -> None:
    run = cli("notify", "run", "--once")
    assert run.code == 0, run.err
    assert "queued 2, sent 1 (0 digests), failed 1" in run.out
    [hook] = http.on("/hook")
    assert hook.json()["notifications"][0]["proposal"] == configured["proposal"]

    status = cli("notify", "status")
    assert status.code == 0
    lines = status.out.splitlines()
    assert lines[0].endswith("(0 to read)")
    assert lines[1] == "deliveries: 1 pending, 0 failed, 1 sent, 0 dropped"
    assert lines[2].startswith("channel down paused after a failure until ")
    [pending] = [line for line in lines if "approval_pending" in line]
    assert "pending" in pending and "attempts 1" in pending
    assert "last error: could not connect to the receiver" in pending
    assert "127.0.0.1" not in pending  # the URL stays out of the error

    data = json.loads(cli("notify", "status", "--json").out)
    assert data["counts"] == {"pending": 1, "sent": 1}
    [item] = data["deliveries"]
    assert (item["channel"], item["status"], item["attempts"]) == ("down", "pending", 1)
    assert len(json.loads(cli("notify", "status", "--all", "--json").out)["deliveries"]) == 2


def test_status_before_any_run(cli: Invoke, home: Path) -> None:
    run = cli("notify", "status")
    assert (run.code, run.out.strip()) == (0, f"no notifier has run in {home} yet")


def test_test_sends_to_every_channel_of_a_role(
    cli: Invoke, configured: dict[str, str], http: HttpReceiver
) -> None:
    run = cli("notify", "test", "approver:ir_lead")
    assert (run.code, run.out.strip()) == (0, "ok      ir-slack (slack)")
    [slack] = http.on("/slack")
    assert slack.json()["text"].startswith("Affidavit test notification for approver:ir_lead")

    run = cli("notify", "test", "fallback")
    assert run.code == 1
    assert run.out.splitlines()[0] == "ok      soar (webhook)"
    assert run.out.splitlines()[1].startswith("FAILED  down (teams): could not connect")
    assert run.err.strip() == "error: 1 of 2 channels of fallback failed"

    run = cli("notify", "test", "approver:nobody")
    assert run.code == 7 and "configures no such role" in run.err
    hostile = "approver:\x1b[31m" + "x" * 10_000
    run = cli("notify", "test", hostile)
    assert run.code == 7 and len(run.err.splitlines()) == 1 and "xxxx" not in run.err
    run = cli("notify", "run", "--interval", "0")
    assert run.code == 2


def test_a_settings_file_nested_too_deeply_is_refused(cli: Invoke, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "notify.yaml").write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    run = cli("notify", "run", "--once")
    assert run.code == 7 and run.err.strip().endswith("is nested too deeply to be settings.")


def test_configuration_errors_are_one_line(
    cli: Invoke, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    run = cli("notify", "run", "--once")
    assert run.code == 7
    assert (
        run.err.strip()
        == f"error: no notify.yaml in {home}: notifications need one (see docs/notifications.md)."
    )
    monkeypatch.delenv(HOOK_SECRET_ENV, raising=False)
    (home / "notify.yaml").write_text(
        "console_url: https://c.example.org\n"
        f"channels: {{soar: {{type: webhook, url: 'https://r.example.org/?k={HOOK_SECRET}', "
        f"secret_env: {HOOK_SECRET_ENV}}}}}\n"
        "roles: {approver:x: {channels: [soar]}}\n"
    )
    for command in (("run", "--once"), ("test", "approver:x")):
        run = cli("notify", *command)
        assert run.code == 7
        assert run.err.strip() == (
            f"error: notify.yaml: channels.soar.secret_env: environment variable "
            f"{HOOK_SECRET_ENV} is not set"
        )


def test_the_worker_runs_until_terminated_and_only_once_per_home(
    cli: Invoke, configured: dict[str, str], http: HttpReceiver
) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "affidavit", "notify", "run", "--interval", "0.2"]
    with subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        watchdog = threading.Timer(120, proc.kill)  # a hung worker fails the test, not the suite
        watchdog.start()
        try:
            assert proc.stdout is not None and proc.stderr is not None
            # The subprocess runs on the wall clock, the fixture's history on the test
            # clock (its requests have expired by the wall clock's time), so it has
            # nothing to say: this test holds the worker's lifecycle and its lock;
            # delivery is held by the in-process tests above.
            deadline = time.monotonic() + 60
            while not _holds_lock_file(proc.pid) and time.monotonic() < deadline:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.05)
            second = cli("notify", "run", "--once")
            assert second.code == 4, second.err
            assert "another `affidavit notify run` is already using" in second.err
            assert proc.poll() is None, proc.stderr.read()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0, proc.stderr.read()
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                proc.kill()
    assert len(http.on("/hook")) <= 1


def _holds_lock_file(pid: int) -> bool:
    """Whether process ``pid`` has ``notify.lock`` open (Linux: its /proc fd links)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fds / fd).endswith("notify.lock") for fd in os.listdir(fds))
    except OSError:
        return False
