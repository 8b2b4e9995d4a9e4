"""Evidence packs: a case or a period of the ledger, with its proofs, in one zip.

An auditor checks a pack with :mod:`affidavit.oversight.verify_pack` (standalone:
standard library and ``cryptography`` only) and the log's verifier key: no
database, no server. Layout and guarantees: docs/evidence-packs.md.

Packs are deterministic: the same scope and checkpoint give the same bytes
(fixed member times and order), so two exports can be compared with sha256sum.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from affidavit.errors import InputError, StorageError
from affidavit.ledger import merkle, note
from affidavit.ledger.log import Ledger
from affidavit.oversight import _pack_pages
from affidavit.oversight._pack_proofs import inclusion_proofs
from affidavit.oversight._pack_select import Selection, select
from affidavit.oversight.verify_pack import FORMAT, manifest_note_text

__all__ = ["PackScope", "PackSummary", "export_pack"]

_CASE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _ledger_time(text: str, what: str) -> str:
    """ISO 8601 with a zone (or a bare date, meaning midnight UTC) as a ledger time."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise InputError(f"{what} is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        if len(text) != 10:  # a bare date is unambiguous; a bare time is not
            raise InputError(f"{what} needs a time zone (Z or an offset such as +02:00)")
        moment = moment.replace(tzinfo=UTC)
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise InputError(f"{what} is out of range") from None
    # isoformat, not strftime: it pads years before 1000 to four digits on every platform
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@dataclass(frozen=True)
class PackScope:
    """One case, or the entries whose time is in [start, end) (ledger time format)."""

    case: str | None = None
    start: str | None = None
    end: str | None = None

    def __post_init__(self) -> None:
        if self.case is not None:
            if self.start is not None or self.end is not None:
                raise InputError("export a case or a period (--from/--to), not both")
            if not isinstance(self.case, str) or not _CASE.fullmatch(self.case):
                raise InputError(
                    "a case id is 1-128 letters, digits and . _ : - (starting with a letter "
                    "or digit)"
                )
            return
        if self.start is None or self.end is None:
            raise InputError("give a case id, or both --from and --to")
        if self.start >= self.end:
            raise InputError("--from must be earlier than --to")

    @classmethod
    def period(cls, start: str, end: str) -> PackScope:
        return cls(start=_ledger_time(start, "--from"), end=_ledger_time(end, "--to"))

    @property
    def title(self) -> str:
        return f"case {self.case}" if self.case is not None else f"{self.start} to {self.end}"

    def to_json(self) -> dict[str, str]:
        if self.case is not None:
            return {"case": self.case}
        return {"from": str(self.start), "to": str(self.end)}


@dataclass(frozen=True)
class PackSummary:
    path: Path
    entries: int
    context_entries: int
    payloads: int
    erased: int
    bundles: int
    size: int
    root: bytes
    bytes: int
    verifier_key: str


def _checkpoint(ledger: Ledger, needed: int) -> tuple[str, note.Checkpoint]:
    """The latest signed checkpoint if it covers ``needed`` entries, else a fresh one."""

    def parse(text: str) -> note.Checkpoint:
        return note.Checkpoint.parse(note.verify(text, [ledger.verifier_key]).text)

    text = ledger.latest_checkpoint()
    if text is None or parse(text).size < needed:
        text = ledger.checkpoint()
    checkpoint = parse(text)
    if checkpoint.size < needed:
        raise StorageError(f"the ledger signed no checkpoint covering {needed} entries")
    return text, checkpoint


def export_pack(ledger: Ledger, scope: PackScope, out: Path) -> PackSummary:
    """Write the evidence pack of ``scope`` to ``out`` (atomically); return what it holds."""
    if not out.parent.is_dir():
        raise InputError(f"the directory of {out} does not exist")
    chosen = select(ledger, case=scope.case, start=scope.start or "", end=scope.end or "")
    leaves = {}
    for seq, e in chosen.entries.items():
        leaves[seq] = merkle.leaf_hash(e.data)
        if leaves[seq] != e.leaf_hash:
            raise StorageError(
                f"ledger entry {seq} does not match its leaf hash; run ledger verify"
            )
    text, checkpoint = _checkpoint(ledger, max(leaves) + 1)
    proofs = inclusion_proofs(ledger, leaves, checkpoint.size, checkpoint.root)
    files = _files(chosen, scope, proofs, text, checkpoint, ledger.verifier_key)
    # The log key signs the manifest, so that the pack commits to its whole file list
    # (docs/evidence-packs.md, "The signed manifest"); Ed25519 is deterministic, so the
    # same scope and checkpoint still give the same bytes.
    digest = hashlib.sha256(files["manifest.json"]).hexdigest()
    files["manifest.note"] = ledger.key.sign(manifest_note_text(ledger.origin, digest)).encode()
    size = _write_zip(out, files)
    return PackSummary(
        path=out,
        entries=len(chosen.entries),
        context_entries=len(chosen.context),
        payloads=len(chosen.payloads),
        erased=len(chosen.erased),
        bundles=len(chosen.bundles),
        size=checkpoint.size,
        root=checkpoint.root,
        bytes=size,
        verifier_key=ledger.verifier_key,
    )


def _files(
    chosen: Selection,
    scope: PackScope,
    proofs: dict[int, list[bytes]],
    checkpoint_text: str,
    checkpoint: note.Checkpoint,
    key: str,
) -> dict[str, bytes]:
    """Every member of the pack but manifest.note, in the order written; manifest.json last."""
    facts = (checkpoint.size, checkpoint.root, key)
    files: dict[str, bytes] = {
        "README.txt": _pack_pages.readme(scope.title, len(chosen.entries), min(proofs), *facts),
        "verifier.key": (key + "\n").encode(),
        "checkpoint.note": checkpoint_text.encode(),
    }
    for seq in sorted(chosen.entries):
        files[f"entries/{seq}.json"] = chosen.entries[seq].data
    encoded = {
        str(seq): [base64.b64encode(h).decode() for h in proofs[seq]] for seq in sorted(proofs)
    }
    files["proofs.json"] = json.dumps(encoded, separators=(",", ":")).encode()
    for digest in sorted(chosen.payloads):
        files[f"payloads/{digest}"] = chosen.payloads[digest]
    for digest in sorted(chosen.erased):
        marker = {"sha256": digest, "erased_by": chosen.erased[digest]}
        files[f"payloads/{digest}.erased.json"] = json.dumps(marker, sort_keys=True).encode()
    for digest in sorted(chosen.bundles):
        files[f"policy/{digest}.cedar"] = chosen.bundles[digest]
    files["timeline.html"] = _pack_pages.timeline(
        scope.title, chosen.entries, chosen.context, proofs, *facts
    )
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "scope": scope.to_json(),
        "checkpoint": {"size": checkpoint.size, "root": base64.b64encode(checkpoint.root).decode()},
        "entries": len(chosen.entries),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    files["manifest.json"] = (json.dumps(manifest, indent=1) + "\n").encode()
    return files


def _write_zip(out: Path, files: dict[str, bytes]) -> int:
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
                for name, data in files.items():
                    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                    # Entries are small and barely compress (about 25%), while inflating
                    # each costs a verifier more than hashing and proving it: store them.
                    small = name.startswith("entries/")
                    info.compress_type = zipfile.ZIP_STORED if small else zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    z.writestr(info, data)
            f.flush()
            os.fsync(f.fileno())
            size = f.tell()
        os.replace(tmp, out)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return size
