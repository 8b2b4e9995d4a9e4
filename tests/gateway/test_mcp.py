"""The MCP gateway end to end: an MCP ClientSession over stdio to `affidavit gateway mcp`
(a subprocess), which talks to a SOC-tool MCP server (another subprocess) and records
every call through a live Affidavit API on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from tests.api.conftest import Live

SERVER = Path(__file__).with_name("soc_mcp_server.py")
AWS_KEY = "AKIAQ3EGRQ7HZ2XNV5PL"
MAPPING = """
unmapped: {unmapped}
tools:
  isolate_host:
    action: isolate_host
    target: "host:{{hostname}}"
    params: {{comment: "{{reason}}"}}
    rationale: "{{reason}}"
    confidence: "{{confidence}}"
  lookup_ip:
    action: enrich_ip_reputation
    target: "ip:{{ip}}"
  wipe_host:
    action: wipe_host
    target: "host:{{hostname}}"
  crash:
    action: enrich_ip_reputation
    target: "ip:{{ip}}"
  stall:
    action: enrich_ip_reputation
    target: "ip:{{ip}}"
"""

Scenario = Callable[[ClientSession], Awaitable[Any]]


def _run(
    live: Live,
    tmp_path: Path,
    scenario: Scenario,
    *,
    who: str = "agent",
    unmapped: str = "deny",
    extra: tuple[str, ...] = (),
    upstream: tuple[str, ...] | None = None,
) -> Any:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING.format(unmapped=unmapped))
    log = tmp_path / "tool-calls.jsonl"
    env = {
        **os.environ,
        "AFFIDAVIT_TOKEN": live.tokens[who],
        "SOC_MCP_LOG": str(log),
    }
    target = upstream or ("--upstream", f"{sys.executable} {SERVER}")
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "affidavit",
            "gateway",
            "mcp",
            *target,
            "--affidavit-url",
            live.url,
            "--mapping",
            str(mapping),
            "--case",
            "case-mcp",
            *extra,
        ],
        env=env,
    )

    async def main() -> Any:
        with open(tmp_path / "gateway.err", "w") as errlog:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return await scenario(session)

    return asyncio.run(main())


def _calls(tmp_path: Path) -> list[dict[str, Any]]:
    log = tmp_path / "tool-calls.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content)


def _step_output(live: Live, step_id: str) -> str:
    return live.gov.ledger.payload(live.gov.step(step_id)["output"]).decode()


def test_tools_are_listed_and_decided_by_policy(live: Live, tmp_path: Path) -> None:
    async def scenario(session: ClientSession) -> dict[str, Any]:
        tools = await session.list_tools()
        return {
            "tools": sorted(t.name for t in tools.tools),
            "lookup": await session.call_tool("lookup_ip", {"ip": "203.0.113.9"}),
            "isolate": await session.call_tool(
                "isolate_host",
                {"hostname": "pc-sales-0215", "reason": "C2 beaconing", "confidence": 0.9},
            ),
            "wipe": await session.call_tool("wipe_host", {"hostname": "pc-sales-0215"}),
            "whoami": await session.call_tool("whoami", {}),
        }

    got = _run(live, tmp_path, scenario)
    assert {"isolate_host", "lookup_ip", "whoami"} <= set(got["tools"])

    # allowed (tier 0): forwarded; the result treated for the agent (the key masked)
    lookup = got["lookup"]
    assert not lookup.is_error
    assert "malicious (score 97)" in _text(lookup) and AWS_KEY not in _text(lookup)
    assert AWS_KEY not in _step_output(live, lookup.meta["affidavit/step"])
    proposal = live.gov.proposal(lookup.meta["affidavit/proposal"])
    assert (proposal.action, proposal.target) == ("enrich_ip_reputation", "ip:203.0.113.9")
    assert f"step:{lookup.meta['affidavit/step']}" in proposal.evidence

    # gated (tier 2): not run, the proposal id in a clear answer
    isolate = got["isolate"]
    assert isolate.is_error
    assert "awaiting approval" in _text(isolate)
    pending = isolate.meta["affidavit/proposal"]
    assert pending in _text(isolate)
    assert live.gov.proposal(pending).status == "pending_approval"

    # denied (tier 4 by an agent) and unmapped: not run, the reason given
    wipe = _text(got["wipe"])
    assert got["wipe"].is_error and wipe.startswith("denied: proposal prop_")
    assert "policy: " in wipe and "never by an agent" in wipe  # the policy's own reason
    assert got["whoami"].is_error and "not mapped" in _text(got["whoami"])

    assert [c["tool"] for c in _calls(tmp_path)] == ["lookup_ip"]
    # every call is a completed step in the case
    steps = live.gov.steps_page(after=None, limit=100, case="case-mcp", agent=None)
    assert len(steps) == 4
    assert live.gov.ledger.verify().size == live.size()


def test_gated_call_runs_once_approved(live: Live, tmp_path: Path) -> None:
    args = {"hostname": "pc-sales-0215", "reason": "C2 beaconing", "confidence": 0.95}

    async def scenario(session: ClientSession) -> tuple[Any, Any]:
        first = await session.call_tool("isolate_host", args)
        proposal = first.meta["affidavit/proposal"]
        # an approver decides while the agent waits
        with live.client("approver") as approver:
            assert approver.get(f"/v1/proposals/{proposal}/evidence/0").status_code == 200
            answer = approver.post(f"/v1/proposals/{proposal}/approve", json={"rationale": "ok"})
            assert answer.status_code == 200, answer.text
        second = await session.call_tool("isolate_host", args)
        return first, second

    first, second = _run(live, tmp_path, scenario)
    assert first.is_error and not second.is_error
    assert second.meta["affidavit/proposal"] == first.meta["affidavit/proposal"]
    assert _text(second) == "host pc-sales-0215 isolated"
    assert [c["tool"] for c in _calls(tmp_path)] == ["isolate_host"]


def test_gated_call_waits_for_a_decision(live: Live, tmp_path: Path) -> None:
    async def scenario(session: ClientSession) -> Any:
        return await session.call_tool("isolate_host", {"hostname": "pc-sales-0215"})

    got = _run(live, tmp_path, scenario, extra=("--wait", "0.2"))
    assert got.is_error and "awaiting approval" in _text(got)
    assert _calls(tmp_path) == []


def test_unmapped_allowed_when_the_file_says_so(live: Live, tmp_path: Path) -> None:
    async def scenario(session: ClientSession) -> Any:
        return await session.call_tool("whoami", {})

    got = _run(live, tmp_path, scenario, unmapped="allow")
    assert not got.is_error and _text(got) == "soc-tools"
    assert "affidavit/proposal" not in got.meta
    assert (
        _step_output(live, got.meta["affidavit/step"])
        == "----- affidavit segment 1: content[0] -----\nsoc-tools"
    )


def test_upstream_crash_mid_call_is_a_recorded_failure(live: Live, tmp_path: Path) -> None:
    async def scenario(session: ClientSession) -> tuple[Any, Any]:
        crashed = await session.call_tool("crash", {"ip": "203.0.113.9"})
        after = await session.call_tool("lookup_ip", {"ip": "203.0.113.9"})
        return crashed, after

    crashed, after = _run(live, tmp_path, scenario)
    assert crashed.is_error and "the upstream tool crash failed" in _text(crashed)
    output = json.loads(_step_output(live, crashed.meta["affidavit/step"]))
    assert output["error"]["kind"] == "upstream_failed"
    # the upstream is gone: the next call fails too, and is recorded too
    assert after.is_error
    assert json.loads(_step_output(live, after.meta["affidavit/step"]))["error"]
    assert live.gov.ledger.verify().size == live.size()


def test_upstream_timeout_is_a_recorded_failure(live: Live, tmp_path: Path) -> None:
    async def scenario(session: ClientSession) -> Any:
        return await session.call_tool("stall", {"ip": "203.0.113.9"})

    got = _run(live, tmp_path, scenario, extra=("--call-timeout", "0.5"))
    assert got.is_error and "did not answer within 0.5 s" in _text(got)
    output = json.loads(_step_output(live, got.meta["affidavit/step"]))
    assert output["error"]["kind"] == "upstream_timeout"


def test_bad_token_and_hostile_arguments(live: Live, tmp_path: Path) -> None:
    live.tokens["forged"] = "afd_" + "x" * 40

    async def scenario(session: ClientSession) -> Any:
        return await session.call_tool("lookup_ip", {"ip": "203.0.113.9"})

    got = _run(live, tmp_path, scenario, who="forged")
    assert got.is_error and "refused by Affidavit" in _text(got)
    assert _calls(tmp_path) == []

    async def hostile(session: ClientSession) -> list[Any]:
        return [
            await session.call_tool("lookup_ip", {"ip": "not an ip\u202e"}),
            await session.call_tool("lookup_ip", {"ip": {"nested": [1, 2]}}),
            await session.call_tool("isolate_host", {"reason": "no host"}),
            await session.call_tool("lookup_ip", {"ip": "203.0.113.9", "x": "y" * 200_000}),
        ]

    results = _run(live, tmp_path, hostile)
    assert all(r.is_error for r in results)
    assert _calls(tmp_path) == []
    assert live.gov.ledger.verify().size == live.size()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_streamable_http_upstream(live: Live, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SOC_MCP_LOG": str(tmp_path / "tool-calls.jsonl")}
    server = subprocess.Popen(
        [sys.executable, str(SERVER), "http", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)

        async def scenario(session: ClientSession) -> Any:
            return await session.call_tool("lookup_ip", {"ip": "198.51.100.7"})

        got = _run(
            live,
            tmp_path,
            scenario,
            upstream=("--upstream-url", f"http://127.0.0.1:{port}/mcp"),
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert not got.is_error and "198.51.100.7: malicious" in _text(got)
    assert [c["tool"] for c in _calls(tmp_path)] == ["lookup_ip"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of --upstream"),
        (("--upstream", "x", "--upstream-url", "http://h/mcp"), "give exactly one of"),
        (("--upstream-url", "ftp://h"), "http:// or https://"),
    ],
)
def test_cli_refuses_bad_options(live: Live, args: tuple[str, ...], message: str) -> None:
    env = {**os.environ, "AFFIDAVIT_TOKEN": live.tokens["agent"]}
    done = subprocess.run(
        [sys.executable, "-m", "affidavit", "gateway", "mcp", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.startswith("error: ")
