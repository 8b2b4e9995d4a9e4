"""The gateways' tests run against a live Affidavit API (tests/api's ``live``), a real
OpenAI-compatible upstream on loopback, and the gateway itself served by uvicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest

from affidavit.gateway import ModelGatewaySettings, ToolMapping, create_model_gateway
from tests.api.conftest import Live, api_settings, clock, live, serve_in_thread
from tests.gateway.upstream import Upstream, create_upstream

__all__ = ["api_settings", "clock", "live"]


@dataclass
class ModelRig:
    live: Live
    upstream: Upstream
    upstream_url: str
    url: str
    clients: list[openai.OpenAI] = field(default_factory=list)

    def openai(self, token: str) -> openai.OpenAI:
        """The official client, no retries (each retry would be another recorded step)."""
        client = openai.OpenAI(base_url=self.url, api_key=token, max_retries=0, timeout=30.0)
        self.clients.append(client)
        return client

    def payload(self, sha256: str) -> str:
        return self.live.gov.ledger.payload(sha256).decode()

    def step_output(self, step_id: str) -> str:
        return self.payload(self.live.gov.step(step_id)["output"])

    def step_prompt(self, step_id: str) -> str:
        return self.payload(self.live.gov.step(step_id)["prompt"])


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    state = Upstream()
    url, server, thread = serve_in_thread(create_upstream(state))
    yield state, url + "/v1"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def model_gateway(live: Live, upstream: tuple[Upstream, str]) -> Iterator[Callable[..., ModelRig]]:
    servers: list[Any] = []
    rigs: list[ModelRig] = []

    def start(**kwargs: Any) -> ModelRig:
        settings = ModelGatewaySettings(
            upstream=upstream[1], affidavit_url=live.url, case="case-gw", **kwargs
        )
        url, server, thread = serve_in_thread(create_model_gateway(settings))
        servers.append((server, thread))
        rigs.append(ModelRig(live, upstream[0], upstream[1], url + "/v1"))
        return rigs[-1]

    yield start
    for rig in rigs:
        for client in rig.clients:
            client.close()
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


SOC_MAPPING = ToolMapping.parse(
    """
tools:
  isolate_host:
    action: isolate_host
    target: "host:{hostname}"
    params: {comment: "{reason}"}
    rationale: "{reason}"
    confidence: "{confidence}"
  lookup_ip:
    action: enrich_ip_reputation
    target: "ip:{ip}"
  wipe_host:
    action: wipe_host
    target: "host:{hostname}"
"""
)
