"""Training data sets from incident records, under a training data policy, on the record.

:func:`export_dataset` writes JSON lines: a header, then one line per case
(opened in the window) with its entries and decrypted payloads, every string
scanned and treated under a :class:`TrainingPolicy`. It then ledgers a
``dataset.exported`` entry whose body holds the policy hash, the file's hash
and counts, and whose payload is the manifest: each record's hash and the
leaf hash of every entry and SHA-256 of every payload it includes.
:func:`affected_datasets` names the data sets holding evidence erased since;
:func:`verify_dataset` checks a file against its manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from affidavit import canonical
from affidavit.errors import InputError, NotFound, PolicyError, StorageError
from affidavit.governance.identities import Identity
from affidavit.ledger.entry import Entry, StoredEntry, timestamp
from affidavit.ledger.log import Ledger
from affidavit.ledger.reader import LedgerReader
from affidavit.oversight import entry_types as et
from affidavit.oversight.dataset_policy import TrainingPolicy
from affidavit.oversight.signals import Window
from affidavit.protect import Scanner, Tokenizer, apply, default_scanner

__all__ = [
    "EXPORT_ROLE",
    "DatasetCheck",
    "ExportResult",
    "affected_datasets",
    "export_dataset",
    "record_export",
    "verify_dataset",
]

EXPORT_ROLE = "dataset_export"
FORMAT = "affidavit-dataset-v1"
_PURPOSE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_ID = re.compile(r"ds_[0-9a-f]{20}")
_HEADER = ("format", "dataset", "purpose", "window", "policy_sha256")


class _ExcludeCase(Exception):
    """The policy keeps this case out of the data set."""


@dataclass
class _Treater:
    policy: TrainingPolicy
    tokenizer: Tokenizer
    scanner: Scanner = field(default_factory=default_scanner)

    def text(self, text: str) -> str:
        try:
            return apply(
                text, self.scanner.scan(text), self.policy.treatment, tokenizer=self.tokenizer
            ).text
        except PolicyError:
            raise _ExcludeCase from None

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                name = self.text(key)
                while name in out:  # two keys treated alike stay apart
                    name += "#"
                out[name] = self.value(item)
            return out
        return value


@dataclass(frozen=True)
class ExportResult:
    dataset: str
    seq: int
    file_sha256: str
    records: int
    entries: int
    payloads: int
    excluded_cases: int
    excluded_payloads: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def record_export(ledger: Ledger, actor: str, body: dict[str, Any], manifest: bytes) -> int:
    """Ledger the export (the manifest rides as the entry's payload); its seq."""
    return ledger.append(
        Entry(type=et.DATASET_EXPORTED, actor=actor, body=body, payloads=(manifest,))
    ).seq


def _cases_in(ledger: LedgerReader, window: Window) -> list[str]:
    return [
        e.case
        for e in ledger.entries()
        if e.type == et.CASE_OPENED and e.case is not None and window.holds(e.time[:10])
    ]


def _payload(ledger: LedgerReader, ref: str, treat: _Treater, manifest: dict[str, Any]) -> Any:
    try:
        text = ledger.payload(ref).decode("utf-8")
    except NotFound:
        reason = "erased"
    except UnicodeDecodeError:
        reason = "not text"
    else:
        if len(text) <= treat.scanner.config.max_input_chars:
            return {"sha256": ref, "text": treat.text(text)}
        reason = "too large to scan"
    manifest["excluded_payloads"].append({"sha256": ref, "reason": reason})
    return {"sha256": ref, "excluded": reason}


def _record(
    ledger: LedgerReader, case: str, treat: _Treater, manifest: dict[str, Any]
) -> tuple[bytes, dict[str, Any]]:
    entries, kept, refs = [], [], []
    excluded_before = len(manifest["excluded_payloads"])
    try:
        for stored in ledger.entries(case=case):
            entry = stored.json()
            payloads = [_payload(ledger, r, treat, manifest) for r in entry.get("payloads", [])]
            entries.append(
                {
                    "seq": stored.seq,
                    "leaf_hash": stored.leaf_hash.hex(),
                    "type": stored.type,
                    "time": stored.time,
                    "actor": stored.actor,
                    "body": treat.value(entry["body"]),
                    "payloads": payloads,
                }
            )
            kept.append([stored.seq, stored.leaf_hash.hex()])
            refs += [p["sha256"] for p in payloads if "text" in p]
    except _ExcludeCase:
        del manifest["excluded_payloads"][excluded_before:]
        raise
    line = canonical.encode({"case": case, "entries": entries}) + b"\n"
    return line, {
        "case": case,
        "sha256": hashlib.sha256(line).hexdigest(),
        "entries": kept,
        "payloads": refs,
    }


def export_dataset(
    ledger: Ledger,
    person: Identity,
    *,
    purpose: str,
    window: Window,
    policy: TrainingPolicy,
    output: Path,
    tokenizer: Tokenizer,
    now: datetime,
) -> ExportResult:
    """Write the data set to ``output`` and ledger its manifest."""
    if not person.is_human or EXPORT_ROLE not in person.roles:
        raise PolicyError(f"{person.kind} {person.id} lacks the {EXPORT_ROLE} role")
    if not isinstance(purpose, str) or not _PURPOSE.fullmatch(purpose):
        raise InputError("--purpose is a short lower-case name such as tuning")
    if purpose not in policy.purposes:
        raise PolicyError(f"the training policy does not allow the purpose {purpose}")
    if window.first is None or window.last is None:
        raise InputError("an export needs --from and --to")
    dataset = f"ds_{secrets.token_hex(10)}"
    treat = _Treater(policy, tokenizer)
    manifest: dict[str, Any] = {"dataset": dataset, "records": [], "excluded_payloads": []}
    excluded_cases = 0
    header = {
        "format": FORMAT,
        "dataset": dataset,
        "purpose": purpose,
        "window": window.to_dict(),
        "policy_sha256": policy.sha256,
    }
    digest = hashlib.sha256()
    temporary = output.with_name(output.name + ".partial")
    try:
        with temporary.open("wb") as out:
            for line in _lines(header, ledger, window, treat, manifest):
                if line is None:
                    excluded_cases += 1
                    continue
                digest.update(line)
                out.write(line)
        os.replace(temporary, output)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StorageError(f"cannot write the data set to {output}: {exc.strerror}") from None
    records = manifest["records"]
    counts = {
        "records": len(records),
        "entries": sum(len(r["entries"]) for r in records),
        "payloads": sum(len(r["payloads"]) for r in records),
        "excluded_cases": excluded_cases,
        "excluded_payloads": len(manifest["excluded_payloads"]),
    }
    body: dict[str, Any] = {
        **header,
        **counts,
        "file_name": output.name[:200],
        "file_sha256": digest.hexdigest(),
        "exported_at": timestamp(now),
    }
    seq = record_export(ledger, person.actor, body, canonical.encode(manifest))
    return ExportResult(dataset, seq, digest.hexdigest(), **counts)


def _lines(
    header: dict[str, Any],
    ledger: LedgerReader,
    window: Window,
    treat: _Treater,
    manifest: dict[str, Any],
) -> Iterator[bytes | None]:
    yield canonical.encode(header) + b"\n"
    for case in _cases_in(ledger, window):
        try:
            line, record = _record(ledger, case, treat, manifest)
        except _ExcludeCase:
            yield None
            continue
        manifest["records"].append(record)
        yield line


def _exports(ledger: LedgerReader) -> Iterator[tuple[StoredEntry, dict[str, Any]]]:
    for stored in ledger.entries():
        if stored.type == et.DATASET_EXPORTED:
            yield stored, stored.body


def _manifest(ledger: LedgerReader, stored: StoredEntry) -> dict[str, Any]:
    [ref] = stored.payload_refs
    value = json.loads(ledger.payload(ref))
    assert isinstance(value, dict)
    return value


def affected_datasets(ledger: LedgerReader) -> list[dict[str, Any]]:
    """Exported data sets that hold evidence erased after they were exported."""
    exports: list[tuple[StoredEntry, dict[str, Any], set[str]]] = []
    hits: dict[int, list[dict[str, Any]]] = {}
    for stored in ledger.entries():
        if stored.type == et.DATASET_EXPORTED:
            try:
                refs = {r for rec in _manifest(ledger, stored)["records"] for r in rec["payloads"]}
            except NotFound:
                refs = set()  # the manifest itself was erased: reported below
            exports.append((stored, stored.body, refs))
        elif stored.type == et.PAYLOAD_ERASED:
            erased = {p["sha256"] for p in stored.body.get("payloads", [])}
            for export, _, refs in exports:
                for ref in sorted(refs & erased):
                    hits.setdefault(export.seq, []).append({"sha256": ref, "erasure": stored.seq})
    return [
        {
            "dataset": body["dataset"],
            "entry": export.seq,
            "file_name": body.get("file_name"),
            "purpose": body.get("purpose"),
            "erased": hits[export.seq],
        }
        for export, body, _ in exports
        if export.seq in hits
    ]


@dataclass(frozen=True)
class DatasetCheck:
    dataset: str
    entry: int
    ok: bool
    changed_records: tuple[int, ...] = ()
    """Line numbers (1 = the header) whose hash differs from the manifest."""
    problem: str = ""


def verify_dataset(ledger: LedgerReader, path: Path) -> DatasetCheck:
    """Whether the file at ``path`` is the data set its ``dataset.exported`` entry describes."""
    try:
        with path.open("rb") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError):
        raise InputError(f"{path.name} is not an Affidavit data set (no header line)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InputError(f"{path.name} is not an Affidavit data set (no header line)")
    dataset = header.get("dataset")
    if not isinstance(dataset, str) or not _ID.fullmatch(dataset):
        raise InputError(f"{path.name}: the header names no data set id")
    found = next(((s, b) for s, b in _exports(ledger) if b.get("dataset") == dataset), None)
    if found is None:
        raise NotFound(f"no dataset.exported entry in this ledger for {dataset}")
    stored, body = found
    digest, lines = hashlib.sha256(), []
    with path.open("rb") as handle:
        for line in handle:
            digest.update(line)
            lines.append(hashlib.sha256(line).hexdigest())
    if digest.hexdigest() == body["file_sha256"]:
        return DatasetCheck(dataset, stored.seq, True)
    try:
        records = [r["sha256"] for r in _manifest(ledger, stored)["records"]]
    except NotFound:
        return DatasetCheck(
            dataset, stored.seq, False, (), "the file changed; its manifest is erased"
        )
    original = canonical.encode({k: body[k] for k in _HEADER}) + b"\n"
    expected = [hashlib.sha256(original).hexdigest(), *records]
    changed = tuple(
        i + 1
        for i in range(max(len(lines), len(expected)))
        if i >= len(lines) or i >= len(expected) or lines[i] != expected[i]
    )
    problem = f"the file changed since export: {len(changed)} lines differ from the manifest"
    return DatasetCheck(dataset, stored.seq, False, changed, problem)
