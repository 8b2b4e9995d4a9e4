"""``affidavit serve``: the REST API on uvicorn."""

from __future__ import annotations

import typer

from affidavit.errors import ConfigError, InputError


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8440, "--port", help="TCP port."),
    workers: int = typer.Option(1, "--workers", help="Worker processes (each its own Governor)."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
) -> None:
    """Serve the REST API under /v1 (bearer tokens; put a TLS proxy in front)."""
    if not 0 < port < 65536:
        raise InputError("--port must be between 1 and 65535")
    if not 1 <= workers <= 64:
        raise InputError("--workers must be between 1 and 64")
    if log_level not in ("debug", "info", "warning", "error"):
        raise InputError("--log-level must be debug, info, warning or error")
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - a dependency, present when installed
        raise ConfigError("uvicorn is not installed: pip install affidavit") from None
    from affidavit.api import app_from_environment
    from affidavit.config import load_settings
    from affidavit.governance.governor import Governor

    # Open once up front: a bad database, key or setting is one error line, not a worker crash.
    Governor.open(load_settings()).close()
    uvicorn.run(
        "affidavit.api:app_from_environment" if workers > 1 else app_from_environment(),
        factory=workers > 1,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=True,
        server_header=False,
    )
