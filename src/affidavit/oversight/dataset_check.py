"""Exported data sets read back: which hold evidence erased since, and whether a file
still matches its ledgered manifest."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from affidavit import canonical
from affidavit.errors import InputError, NotFound
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.reader import LedgerReader
from affidavit.oversight import entry_types as et
from affidavit.oversight.dataset import FORMAT, HEADER

__all__ = ["DatasetCheck", "affected_datasets", "verify_dataset"]

_ID = re.compile(r"ds_[0-9a-f]{20}")


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
    original = canonical.encode({k: body[k] for k in HEADER}) + b"\n"
    expected = [hashlib.sha256(original).hexdigest(), *records]
    changed = tuple(
        i + 1
        for i in range(max(len(lines), len(expected)))
        if i >= len(lines) or i >= len(expected) or lines[i] != expected[i]
    )
    problem = f"the file changed since export: {len(changed)} lines differ from the manifest"
    return DatasetCheck(dataset, stored.seq, False, changed, problem)
