"""Gateway benchmark: the latency each gateway adds over a direct call to the same upstream.

    python bench/gateway.py [--quick] [--json] [--requests N]

A server process (this script with ``--servers``) runs, each in its own uvicorn
thread: the Affidavit API (embedded SQLite in a fresh AFFIDAVIT_HOME, rate limit off,
auto-execute off, which the gateway's proposals ignore anyway: the tool server
executes them, once), the demo's rule-based OpenAI-compatible model, and the model
gateway in front of it. This process then times, one request at a time, in the same
run:

- model: POST /v1/chat/completions to the model directly, then through the model
  gateway (prepare: treat and record the prompt; forward; complete: record and
  treat the answer);
- MCP: an allowed tool call (lookup_ip, tier 0) on the demo's SOC-tools MCP server,
  directly through an MCP client, then through the MCP gateway (prepare; the proposal
  with its policy decision and the claim of its execution; forward; complete, which
  also ends the execution), both in this process over the MCP SDK's in-process
  transport, the gateway recording through the API over loopback;
- the API floor: GET /healthz and one POST /v1/steps/prepare, for where time goes.

"added" is gateway p50/p99 minus direct p50/p99 (targets: <= 2 ms p50, <= 10 ms p99).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit_json, machine, percentiles, print_table

BODY = {
    "model": "soc-rules",
    "messages": [
        {"role": "system", "content": "role: triage. Answer JSON."},
        {
            "role": "user",
            "content": "alert: intrusion\ntitle: C2 beacon\nseverity: high\nhost: pc-sales-0215\nip: 203.0.113.9",
        },
    ],
}


def servers() -> None:
    """The server process: print the URLs and the agent's token, serve until stdin closes."""
    from affidavit.api import ApiSettings, create_app
    from affidavit.config import load_settings
    from affidavit.gateway import ModelGatewaySettings, create_model_gateway
    from affidavit.governance.governor import Governor
    from affidavit.governance.identities import Identity
    from affidavit.samples.background import Background
    from affidavit.samples.soc_model import ModelState, create_soc_model

    gov = Governor.open(load_settings())
    gov.publish_configuration("authorizations: {auto_execute: false}\n")
    gov.add_identity(Identity(id="owner", kind="human", roles=("analyst",)))
    _, token = gov.add_identity(
        Identity(
            id="bench-agent",
            kind="agent",
            owner="owner",
            scopes=("enrich_ip_reputation",),
            data_classes=("pii", "internal_identifier"),
        )
    )
    with (
        Background(create_app(gov, ApiSettings(rate_per_s=0))) as api,
        Background(create_soc_model(ModelState())) as model,
        Background(
            create_model_gateway(
                ModelGatewaySettings(upstream=model + "/v1", affidavit_url=api, case="bench")
            )
        ) as gateway,
    ):
        print(
            json.dumps({"api": api, "model": model, "gateway": gateway, "token": token}), flush=True
        )
        sys.stdin.read()
    gov.close()


async def _time(n: int, call: Any) -> list[float]:
    for _ in range(max(3, n // 10)):  # warm-up: connections, caches, first-call imports
        await call()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


async def measure(urls: dict[str, str], n: int) -> dict[str, list[float]]:
    from contextlib import AsyncExitStack

    import httpx
    from mcp import Client as McpClient

    from affidavit.gateway.mcp import McpGatewaySettings, build_server, open_gateway
    from affidavit.samples.soc_tools import MAPPING, create_soc_tools
    from affidavit.sdk import ToolMapping

    token = urls["token"]
    auth = {"Authorization": f"Bearer {token}"}
    out: dict[str, list[float]] = {}
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))

        async def direct_model() -> None:
            r = await http.post(urls["model"] + "/v1/chat/completions", json=BODY)
            assert r.status_code == 200, r.text

        async def gateway_model() -> None:
            r = await http.post(urls["gateway"] + "/v1/chat/completions", json=BODY, headers=auth)
            assert r.status_code == 200, r.text

        async def healthz() -> None:
            assert (await http.get(urls["api"] + "/healthz")).status_code == 200

        async def prepare() -> None:
            body = {"case": "bench", "model": "m", "model_version": "1", "prompt": "x"}
            r = await http.post(urls["api"] + "/v1/steps/prepare", json=body, headers=auth)
            assert r.status_code == 201, r.text

        direct_tools = await stack.enter_async_context(McpClient(create_soc_tools()))
        settings = McpGatewaySettings(
            affidavit_url=urls["api"],
            token=token,
            mapping=ToolMapping.parse(MAPPING),
            case="bench",
            in_process=True,
        )
        gateway = await open_gateway(stack, settings, McpClient(create_soc_tools()))
        gated_tools = await stack.enter_async_context(McpClient(build_server(gateway)))
        counter = [0]

        def ip() -> str:
            counter[0] += 1
            return f"203.0.{(counter[0] >> 8) & 255}.{counter[0] & 255}"

        async def direct_mcp() -> None:
            result = await direct_tools.call_tool("lookup_ip", {"ip": ip()})
            assert not result.is_error

        async def gateway_mcp() -> None:
            result = await gated_tools.call_tool("lookup_ip", {"ip": ip()})
            assert not result.is_error, result.content

        # alternate direct and gateway in rounds so load changes hit both alike
        for name, call in (
            ("model direct", direct_model),
            ("model gateway", gateway_model),
            ("mcp direct", direct_mcp),
            ("mcp gateway", gateway_mcp),
            ("api healthz", healthz),
            ("api prepare", prepare),
        ):
            out[name] = await _time(n, call)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--requests", type=int, default=0)
    parser.add_argument("--servers", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.servers:
        servers()
        return
    n = args.requests or (40 if args.quick else 300)
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AFFIDAVIT_")}
        env.update(AFFIDAVIT_HOME=home)
        process = subprocess.Popen(
            [sys.executable, __file__, "--servers"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            urls = json.loads(process.stdout.readline())
            samples = asyncio.run(measure(urls, n))
        finally:
            assert process.stdin is not None
            process.stdin.close()
            process.wait(timeout=30)
    figures: dict[str, Any] = {"machine": machine(), "requests": n, "ms": {}}
    for name, values in samples.items():
        p50, p99 = percentiles(values)
        figures["ms"][name] = {"p50": round(p50 / 1000, 3), "p99": round(p99 / 1000, 3)}
    ms = figures["ms"]
    for kind in ("model", "mcp"):
        figures["ms"][f"{kind} added"] = {
            q: round(ms[f"{kind} gateway"][q] - ms[f"{kind} direct"][q], 3) for q in ("p50", "p99")
        }
    if args.json:
        emit_json(figures)
        return
    rows = []
    for kind in ("model", "mcp"):
        g, d, a = ms[f"{kind} gateway"], ms[f"{kind} direct"], ms[f"{kind} added"]
        for q in ("p50", "p99"):
            ratio = g[q] / d[q] if d[q] else float("inf")
            rows.append(
                (
                    f"{kind} {q} (added {a[q]:.2f} ms)",
                    f"{g[q]:.2f} ms",
                    f"{d[q]:.2f} ms",
                    f"{ratio:.1f}x",
                )
            )
    for q in ("p50", "p99"):
        rows.append(
            (
                f"API POST /v1/steps/prepare {q}",
                f"{ms['api prepare'][q]:.2f} ms",
                f"{ms['api healthz'][q]:.2f} ms (/healthz)",
                f"{ms['api prepare'][q] / ms['api healthz'][q]:.1f}x",
            )
        )
    print_table(f"Gateways: latency of one allowed call, {n} sequential requests each", rows)


if __name__ == "__main__":
    main()
