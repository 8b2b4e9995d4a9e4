"""``affidavit witness``: run an independent witness that cosigns log checkpoints."""

from __future__ import annotations

from pathlib import Path

import typer

from affidavit.config import load_settings
from affidavit.errors import ConfigError, InputError
from affidavit.ledger.cosignature import generate_witness_key, witness_key_name
from affidavit.ledger.keys import read_private_text, write_private_text
from affidavit.oversight.witness import Witness, WitnessState, serve

app = typer.Typer(
    help="An independent witness: cosigns a log's checkpoints only while it only grows.",
    no_args_is_help=True,
)

KEY_FILE_HELP = "The witness's private key file (default: $AFFIDAVIT_HOME/witness.key)."


def _key_file(path: Path | None) -> Path:
    return path if path is not None else load_settings().home / "witness.key"


@app.command("keygen")
def keygen(
    name: str = typer.Argument(..., help="The witness's name, e.g. witness.example.org/w1."),
    key_file: Path = typer.Option(None, "--key-file", help=KEY_FILE_HELP),
) -> None:
    """Write a new witness key pair (KEY_FILE, mode 0600, and KEY_FILE.pub); print the vkey."""
    path = _key_file(key_file)
    public = path.with_name(path.name + ".pub")
    if path.exists() or public.exists():
        raise InputError(f"{path} or {public} already exists; refusing to overwrite a key")
    signer, verifier = generate_witness_key(name)
    if not write_private_text(path, signer):
        raise InputError(f"{path} already exists; refusing to overwrite a key")
    public.write_text(verifier + "\n", encoding="utf-8")
    typer.echo(verifier)


@app.command("serve")
def serve_command(
    key_file: Path = typer.Option(None, "--key-file", help=KEY_FILE_HELP),
    log_keys: list[str] = typer.Option(
        ..., "--log-key", help="Verifier key of a log to witness (repeatable)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(7381, "--port", help="TCP port (0: any free port)."),
    state: Path = typer.Option(
        None, "--state", help="State directory (default: witness-state beside the key file)."
    ),
) -> None:
    """Serve POST /add-checkpoint (c2sp.org/tlog-witness) until interrupted."""
    path = _key_file(key_file)
    signer = read_private_text(path, "witness key")
    if not 0 <= port <= 65535:
        raise InputError("--port must be between 0 and 65535")
    witness_state = WitnessState(state if state is not None else path.parent / "witness-state")
    try:
        try:
            witness = Witness(signer, log_keys, witness_state)
        except InputError as exc:
            raise ConfigError(f"cannot start the witness: {exc.message}") from None
        try:
            server = serve(witness, host, port)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        bound_host, bound_port = server.server_address[:2]
        name = witness_key_name(witness.cosigner.verifier_key)
        typer.echo(f"witness {name} listening on http://{bound_host!s}:{bound_port}", err=True)
        typer.echo(f"verifier key: {witness.cosigner.verifier_key}", err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    finally:
        witness_state.close()
