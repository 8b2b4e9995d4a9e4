"""The log's side of witnessing (c2sp.org/tlog-witness): collecting and storing cosignatures.

Witnesses are listed in ``$AFFIDAVIT_HOME/witnesses.yaml``::

    witnesses:
      - url: https://witness.example/affidavit   # POST <url>/add-checkpoint
        key: witness.example/w1+1a2b3c4d+BK...    # its verifier key (cosignature/v1)

After the log signs a checkpoint it posts it to each witness with a consistency
proof from the size that witness last cosigned (learnt from a ``409 Conflict``
answer when not known yet), checks the cosignatures that come back against the
configured key, and adds them to the checkpoint's row in ``ledger_checkpoints``:
the stored note becomes the checkpoint text, the log's signature and one
cosignature line per witness. A witness that is down or refuses does not stop
the log; verification with ``--witness`` says how far the log is witnessed.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from sqlalchemy import Connection, select, update

from affidavit.errors import AffidavitError, ConfigError, InputError, VerificationError
from affidavit.ledger import cosignature, note
from affidavit.ledger.note import Checkpoint
from affidavit.store import Database
from affidavit.store.schema import ledger_checkpoints

if TYPE_CHECKING:
    import httpx

__all__ = [
    "Outcome",
    "Witness",
    "WitnessClient",
    "WitnessWorker",
    "Witnessed",
    "add_checkpoint_body",
    "latest_witnessed",
    "load_witnesses",
    "store_cosignatures",
]

MAX_PROOF_LINES = 63
MAX_RESPONSE_BYTES = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_URL = re.compile(r"https?://[^\s/?#]+[^\s?#]*")
_SIZE = re.compile(r"(0|[1-9][0-9]{0,19})\n")


@dataclass(frozen=True)
class Witness:
    """A witness the log asks for cosignatures: its submission URL and verifier key."""

    url: str
    key: str

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not re.fullmatch(
            r"https?://[^\s/?#]+[^\s?#]*", self.url
        ):
            raise ConfigError("a witness url must be an http:// or https:// URL")
        try:
            cosignature.witness_key_name(self.key)
        except InputError as exc:
            raise ConfigError(f"witness {self.url}: bad key: {exc.message}") from None

    @property
    def name(self) -> str:
        return cosignature.witness_key_name(self.key)


def load_witnesses(path: Path) -> tuple[Witness, ...]:
    """The witnesses configured in ``path``; none when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    try:
        document = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        raise ConfigError(f"{path} is not valid YAML (or nested too deeply)") from None
    items = document.get("witnesses") if isinstance(document, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError(f"{path} must hold `witnesses:`, a list of {{url, key}} entries")
    witnesses = tuple(Witness(str(i.get("url", "")), str(i.get("key", ""))) for i in items)
    if len({w.name for w in witnesses}) != len(witnesses):
        raise ConfigError(f"{path} lists one witness name twice")
    return witnesses


def add_checkpoint_body(old_size: int, proof: Sequence[bytes], signed_note: str) -> bytes:
    """The ``add-checkpoint`` request body: old size, proof lines, blank line, checkpoint."""
    if len(proof) > MAX_PROOF_LINES:
        raise InputError(f"a consistency proof has at most {MAX_PROOF_LINES} hashes")
    lines = [f"old {old_size}"] + [note._b64encode(h) for h in proof]
    return ("\n".join(lines) + "\n\n" + signed_note).encode("utf-8")


@dataclass(frozen=True)
class Outcome:
    """What one witness answered for one checkpoint."""

    witness: str
    cosigned: bool
    detail: str = ""


ProofFor = Callable[[int, int], list[bytes]]
"""(old size, new size) -> the log's consistency proof between them."""


class WitnessClient:
    """Posts checkpoints to the configured witnesses and keeps the cosignatures that verify."""

    def __init__(self, witnesses: Sequence[Witness], *, timeout_s: float = 10.0) -> None:
        self.witnesses = tuple(witnesses)
        self.timeout_s = timeout_s
        self._sizes: dict[str, int] = {}  # the size each witness last cosigned, once known

    def collect(self, signed_note: str, proof_for: ProofFor) -> tuple[list[str], list[Outcome]]:
        """Ask every witness to cosign ``signed_note``: (valid cosignature lines, outcomes)."""
        import httpx  # only a log with witnesses pays for the import

        checkpoint = Checkpoint.parse(note._split_note(signed_note)[0])
        lines: list[str] = []
        outcomes: list[Outcome] = []
        with httpx.Client(timeout=self.timeout_s, trust_env=False) as http:
            for witness in self.witnesses:
                try:
                    got = self._add_checkpoint(http, witness, checkpoint, signed_note, proof_for)
                except (AffidavitError, httpx.HTTPError) as exc:
                    detail = exc.message if isinstance(exc, AffidavitError) else type(exc).__name__
                    outcomes.append(Outcome(witness.name, False, detail))
                    continue
                lines.extend(got)
                outcomes.append(Outcome(witness.name, True))
        return lines, outcomes

    def _add_checkpoint(
        self,
        http: httpx.Client,
        witness: Witness,
        checkpoint: Checkpoint,
        signed_note: str,
        proof_for: ProofFor,
    ) -> list[str]:
        old = self._sizes.get(witness.url, 0)
        for _attempt in range(2):  # a 409 tells the size the witness holds: retry once
            if old > checkpoint.size:
                raise VerificationError(
                    f"witness {witness.name} has cosigned {old} entries of this log, more than "
                    f"this checkpoint's {checkpoint.size}: the log was rewound or forked"
                )
            proof = proof_for(old, checkpoint.size) if old else []
            status, kind, body = _post(
                http,
                witness.url.rstrip("/") + "/add-checkpoint",
                add_checkpoint_body(old, proof, signed_note),
            )
            if status == 200:
                return self._cosignatures(witness, checkpoint, signed_note, body)
            held = _SIZE.fullmatch(body)
            if status != 409 or not kind.startswith(SIZE_CONTENT_TYPE) or held is None:
                break
            if int(held.group(1)) == old:  # same size, another root: the witness saw a fork
                break
            old = int(held.group(1))
        why = _REFUSALS.get(status, "")
        raise VerificationError(
            f"witness {witness.name} refused the checkpoint at size {checkpoint.size}: "
            f"HTTP {status}{why}"
        )

    def _cosignatures(
        self, witness: Witness, checkpoint: Checkpoint, signed_note: str, body: str
    ) -> list[str]:
        try:
            valid = [
                line + "\n"
                for line in body.splitlines()
                if line.startswith("\u2014 ")
                and cosignature.verify_cosignatures(signed_note + line + "\n", [witness.key])
            ]
        except VerificationError as exc:
            raise VerificationError(f"witness {witness.name} answered: {exc.message}") from None
        if not valid:
            raise VerificationError(f"witness {witness.name} answered without its cosignature")
        self._sizes[witness.url] = checkpoint.size
        return valid


def _post(http: httpx.Client, url: str, body: bytes) -> tuple[int, str, str]:
    """(status, content type, at most MAX_RESPONSE_BYTES of the body as text)."""
    with http.stream("POST", url, content=body) as response:
        data = b""
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > MAX_RESPONSE_BYTES:
                break
        kind = response.headers.get("content-type", "")
        return response.status_code, kind, data[:MAX_RESPONSE_BYTES].decode("utf-8", "replace")


_REFUSALS = {
    403: " (it does not trust this log key)",
    404: " (it does not know this log's origin)",
    409: " (it holds another tree at that size: the log forked)",
    422: " (the consistency proof does not verify: the log forked or was rewritten)",
}


def store_cosignatures(db: Database, signed_note: str, lines: Sequence[str]) -> str:
    """Add cosignature ``lines`` to the stored checkpoint ``signed_note``; return what is stored."""
    text = note._split_note(signed_note)[0]
    size = Checkpoint.parse(text).size
    t = ledger_checkpoints
    with db.write() as conn:
        stored = conn.execute(select(t.c.note).where(t.c.size == size)).scalar()
        if stored is None or note._split_note(str(stored))[0] != text:
            return signed_note  # not (or no longer) the stored checkpoint at that size
        merged = cosignature.add_signature_lines(str(stored), lines)
        if merged != stored:
            conn.execute(update(t).where(t.c.size == size).values(note=merged))
    return merged


class WitnessWorker:
    """Posts the checkpoints the writer signs from a thread of its own: appends never wait
    on a witness. When several are queued only the newest is posted."""

    _STOP = object()

    def __init__(self, post: Callable[[str], object]) -> None:
        self._post = post
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="affidavit-witness", daemon=True)
        self._thread.start()

    def submit(self, signed_note: str) -> None:
        self._queue.put(signed_note)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            with contextlib.suppress(queue.Empty):
                while item is not self._STOP:
                    item = self._queue.get_nowait()
            if item is self._STOP:
                return
            # The next checkpoint tries again; a failure never kills the thread.
            with contextlib.suppress(Exception):
                self._post(str(item))

    def close(self, timeout_s: float) -> None:
        """Stop after the post in progress (waiting at most ``timeout_s``)."""
        self._queue.put(self._STOP)
        self._thread.join(timeout_s)


@dataclass(frozen=True)
class Witnessed:
    """The latest stored checkpoint cosigned by a quorum of the given witnesses."""

    size: int
    witnesses: tuple[str, ...]


def latest_witnessed(
    conn: Connection, witness_keys: Sequence[str], quorum: int | None = None
) -> Witnessed:
    """Scan stored checkpoints newest first for one cosigned by ``quorum`` of ``witness_keys``.

    A cosignature by one of the keys that does not verify is tampering: raises.
    """
    t = ledger_checkpoints
    needed = cosignature.quorum_of(witness_keys, quorum)
    rows = conn.execute(select(t.c.size, t.c.note).order_by(t.c.size.desc()))
    for size, stored in rows:
        try:
            found = cosignature.verify_cosignatures(str(stored), witness_keys)
        except VerificationError as exc:
            raise VerificationError(f"checkpoint at size {size}: {exc.message}") from None
        if len(found) >= needed:
            return Witnessed(int(size), tuple(c.name for c in found))
    raise VerificationError(
        f"no stored checkpoint carries cosignatures by {needed} of the given witnesses "
        "(never witnessed, or its cosigned checkpoints were deleted)"
    )
