"""A transparency-log witness (c2sp.org/tlog-witness): it cosigns only append-only growth.

A witness is run by someone other than the log operator, with its own key. For
each log it trusts (configured by the log's verifier key; the key name is the
log's origin) it remembers the latest checkpoint it cosigned, in a state
directory of its own. It cosigns a new checkpoint only when the log's signature
verifies and a consistency proof shows the new tree extends the one it
cosigned before; the check and the update of its state are one atomic step,
and the state is durable before the cosignature is returned. A log that was
rewound, or that shows a second, different history (a fork, a split view, a
rewrite by whoever holds the log key), is refused, and the refused request is
kept as evidence (``<state>/evidence/``).

HTTP: ``POST /add-checkpoint`` with the body ``old <size>\\n``, the consistency
proof (one base64 hash per line), an empty line, then the signed checkpoint.
Answers: 200 with the cosignature line; 400 malformed; 403 no trusted log
signature; 404 unknown origin; 409 ``text/x.tlog.size`` with the size the
witness holds when ``old`` differs from it (or when the sizes are equal and the
roots differ); 422 the proof does not verify; 413 body too large.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

from affidavit.clock import system_clock
from affidavit.errors import AffidavitError, ConfigError, StorageError, VerificationError
from affidavit.ledger import merkle, note
from affidavit.ledger.cosignature import Cosigner
from affidavit.ledger.note import Checkpoint

__all__ = ["MAX_REQUEST_BYTES", "Reply", "Witness", "WitnessState", "serve"]

MAX_REQUEST_BYTES = 64 * 1024 + note.MAX_NOTE_BYTES
MAX_PROOF_LINES = 63
MAX_EVIDENCE_FILES = 1000
_OLD = re.compile(r"old (0|[1-9][0-9]{0,19})")
_EMPTY_ROOT = merkle.root([])
Clock = Callable[[], int]
"""POSIX seconds now; injected so tests never read the wall clock."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


def _error(status: int, message: str) -> Reply:
    return Reply(status, (message + "\n").encode())


class WitnessState:
    """The latest cosigned checkpoint per origin, one JSON file each, replaced atomically.

    One process owns a state directory (an exclusive lock on ``.lock``): two
    witness processes on one state could each cosign a different history.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._lock_file: IO[bytes] = (directory / ".lock").open("ab")
        except OSError as exc:
            raise ConfigError(f"cannot use witness state directory {directory}: {exc}") from exc
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise ConfigError(
                f"another witness process is using the state directory {directory}"
            ) from None
        self._mutex = threading.Lock()

    def _path(self, origin: str) -> Path:
        return self.directory / (hashlib.sha256(origin.encode()).hexdigest()[:32] + ".json")

    def held(self, origin: str) -> tuple[int, bytes]:
        """(size, root) of the latest checkpoint cosigned for ``origin``; (0, empty) if none."""
        try:
            state = json.loads(self._path(origin).read_text(encoding="utf-8"))
            if state["origin"] != origin:
                raise ValueError("another origin")
            return int(state["size"]), base64.b64decode(state["root"], validate=True)
        except FileNotFoundError:
            return 0, _EMPTY_ROOT
        except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise StorageError(f"the witness state for {origin} is unreadable: {exc}") from None

    def store(self, origin: str, checkpoint: Checkpoint, signed_note: str) -> None:
        state = {
            "origin": origin,
            "size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root).decode(),
            "checkpoint": signed_note,
        }
        _write_durably(self._path(origin), json.dumps(state, indent=1) + "\n")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Check and update as one step (c2sp.org/tlog-witness: no rollback race)."""
        with self._mutex:
            yield

    def keep_evidence(self, origin: str, body: bytes, clock: Clock) -> None:
        """Keep a validly signed request that was refused: it may prove the log misbehaved."""
        evidence = self.directory / "evidence"
        evidence.mkdir(mode=0o700, exist_ok=True)
        if sum(1 for _ in evidence.iterdir()) >= MAX_EVIDENCE_FILES:
            return
        digest = hashlib.sha256(origin.encode()).hexdigest()[:16]
        name = f"{digest}-{clock()}-{secrets.token_hex(4)}.txt"
        with contextlib.suppress(OSError):
            _write_durably(evidence / name, body.decode("utf-8"))

    def close(self) -> None:
        self._lock_file.close()


def _write_durably(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise StorageError(f"cannot write witness state {path}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class _Request:
    old: int
    proof: list[bytes]
    signed_note: str
    checkpoint: Checkpoint


def _parse(body: bytes) -> _Request | Reply:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _error(400, "the request is not UTF-8")
    head, blank, signed_note = text.partition("\n\n")
    lines = head.split("\n")
    match = _OLD.fullmatch(lines[0])
    if not blank or match is None or int(match.group(1)) > 2**64 - 1:
        return _error(400, "the request does not start with an `old <size>` line")
    if len(lines) - 1 > MAX_PROOF_LINES:
        return _error(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = [note._b64decode(line) for line in lines[1:]]
    if any(h is None or len(h) != 32 for h in proof):
        return _error(400, "a consistency proof line is not the base64 of a 32-byte hash")
    try:
        checkpoint = Checkpoint.parse(note._split_note(signed_note)[0])
    except AffidavitError as exc:
        return _error(400, f"the checkpoint is malformed: {exc}")
    return _Request(int(match.group(1)), [h for h in proof if h], signed_note, checkpoint)


class Witness:
    """Answers ``add-checkpoint`` requests for the logs whose verifier keys it was given."""

    def __init__(
        self,
        signer_key: str,
        log_keys: Sequence[str],
        state: WitnessState,
        clock: Clock = lambda: int(system_clock().timestamp()),
    ) -> None:
        self.cosigner = Cosigner(signer_key)
        self.logs: dict[str, list[str]] = {}
        for key in log_keys:
            self.logs.setdefault(note.verifier_key_name(key), []).append(key)
        self.state = state
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> Reply:
        parsed = _parse(body)
        if isinstance(parsed, Reply):
            return parsed
        origin = parsed.checkpoint.origin
        keys = self.logs.get(origin)
        if keys is None:
            return _error(404, "unknown log origin")
        try:
            note.verify(parsed.signed_note, keys)
        except VerificationError:
            return _error(403, "the checkpoint carries no valid signature by a trusted log key")
        if parsed.old > parsed.checkpoint.size:
            return _error(400, "the old size is larger than the checkpoint's size")
        with self.state.locked():
            size, root = self.state.held(origin)
            held = Reply(409, f"{size}\n".encode(), "text/x.tlog.size")
            if parsed.old != size:
                return held
            if parsed.checkpoint.size == size and parsed.checkpoint.root != root:
                self.state.keep_evidence(origin, body, self.clock)
                return held
            try:
                merkle.verify_consistency(
                    size, parsed.checkpoint.size, parsed.proof, root, parsed.checkpoint.root
                )
            except VerificationError:
                self.state.keep_evidence(origin, body, self.clock)
                return _error(422, "the consistency proof does not verify")
            if parsed.checkpoint.size > size:
                self.state.store(origin, parsed.checkpoint, parsed.signed_note)
        line = self.cosigner.cosign(note._split_note(parsed.signed_note)[0], self.clock())
        return Reply(200, line.encode())


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10.0  # a slow or stalled client does not hold a thread for long
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        if self.path != "/add-checkpoint":
            return self._send(_error(404, "not found"))
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return self._send(_error(411, "Content-Length is required"))
        if int(length) > MAX_REQUEST_BYTES:
            self.close_connection = True
            return self._send(_error(413, f"the request is larger than {MAX_REQUEST_BYTES} bytes"))
        body = self.rfile.read(int(length))
        try:
            reply = self.server.witness.add_checkpoint(body)
        except AffidavitError:
            reply = _error(503, "the witness could not read or write its state")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # no access log: requests carry nothing secret, and nothing to audit here


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    witness: Witness

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hung up or stalled (the handler's timeout) is its own problem.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def serve(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """A bound HTTP server for ``witness``; call ``serve_forever()`` (``port`` 0: any free)."""
    server = _Server((host, port), _Handler)
    server.witness = witness
    return server
