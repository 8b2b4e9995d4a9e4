"""``affidavit gateway mcp|model``: put Affidavit in the path of an agent's tools and model."""

from __future__ import annotations

import os
import shlex

import typer

from affidavit.errors import ConfigError, InputError

app = typer.Typer(help="Gateways: Affidavit in the path of an agent's tools and model.")

AFFIDAVIT_URL_OPTION = typer.Option(
    "http://127.0.0.1:8440",
    "--affidavit-url",
    envvar="AFFIDAVIT_URL",
    show_envvar=True,
    help="The Affidavit API (affidavit serve) the gateway records through.",
)
CASE_OPTION = typer.Option(
    "gateway", "--case", envvar="AFFIDAVIT_CASE", show_envvar=True, help="Case of the steps."
)


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError("--listen must be HOST:PORT, e.g. 127.0.0.1:8441")
    return host.strip("[]") or "127.0.0.1", int(port)


@app.command("model")
def model(
    upstream: str = typer.Option(
        ..., "--upstream", help="The upstream's OpenAI base URL, e.g. https://api.openai.com/v1."
    ),
    listen: str = typer.Option("127.0.0.1:8441", "--listen", help="HOST:PORT to serve on."),
    affidavit_url: str = AFFIDAVIT_URL_OPTION,
    case: str = CASE_OPTION,
    key_env: str = typer.Option(
        "AFFIDAVIT_UPSTREAM_API_KEY",
        "--upstream-key-env",
        help="Environment variable holding the upstream's API key (never logged).",
    ),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds to wait for the upstream."),
    model_version: str = typer.Option("unspecified", "--model-version", help="Recorded version."),
    mapping: str | None = typer.Option(
        None, "--mapping", help="Tool mapping YAML: tool calls the model emits become proposals."
    ),
) -> None:
    """An OpenAI-compatible endpoint (/v1/chat/completions, /v1/responses) that treats,
    forwards and records every model call; agents authenticate with their Affidavit token."""
    from affidavit.gateway import ModelGatewaySettings, ToolMapping, create_model_gateway

    host, port = _listen(listen)
    settings = ModelGatewaySettings(
        upstream=upstream,
        affidavit_url=affidavit_url,
        upstream_key=os.environ.get(key_env) or None,
        case=case,
        model_version=model_version,
        timeout_s=timeout,
        mapping=ToolMapping.load(mapping) if mapping else None,
    )
    import uvicorn

    uvicorn.run(
        create_model_gateway(settings),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
    )


@app.command("mcp")
def mcp(
    upstream: str | None = typer.Option(
        None, "--upstream", help='The upstream MCP server\'s command line (stdio), e.g. "soc-mcp".'
    ),
    upstream_url: str | None = typer.Option(
        None, "--upstream-url", help="The upstream MCP server's streamable HTTP URL."
    ),
    affidavit_url: str = AFFIDAVIT_URL_OPTION,
    mapping: str | None = typer.Option(
        None, "--mapping", help="Tool mapping YAML (tool -> catalog action); unmapped: deny."
    ),
    case: str = CASE_OPTION,
    wait: float = typer.Option(
        0.0, "--wait", help="Seconds a gated call waits for approval before answering."
    ),
    model_name: str = typer.Option(
        "mcp", "--model", help="Model name the tool steps are recorded under."
    ),
    call_timeout: float = typer.Option(
        120.0, "--call-timeout", help="Seconds to wait for the upstream tool."
    ),
) -> None:
    """An MCP server (stdio) exposing the upstream's tools; every call is recorded, decided
    by policy through a proposal, and forwarded only when allowed. Token: AFFIDAVIT_TOKEN."""
    from affidavit.gateway.mcp import McpGatewaySettings, run_stdio

    token = os.environ.get("AFFIDAVIT_TOKEN", "")
    if not token:
        raise ConfigError("set AFFIDAVIT_TOKEN to the agent's Affidavit token")
    if (upstream is None) == (upstream_url is None):
        raise InputError("give exactly one of --upstream COMMAND or --upstream-url URL")
    command = shlex.split(upstream) if upstream else []
    if upstream is not None and not command:
        raise InputError("--upstream is an empty command")
    from affidavit.gateway import ToolMapping

    settings = McpGatewaySettings(
        affidavit_url=affidavit_url,
        token=token,
        upstream_command=tuple(command),
        upstream_url=upstream_url,
        mapping=ToolMapping.load(mapping) if mapping else ToolMapping(),
        case=case,
        wait_s=wait,
        model=model_name,
        call_timeout_s=call_timeout,
    )
    run_stdio(settings)
