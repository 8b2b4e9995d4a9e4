"""Training data sets from incident records, under a training data policy, on the record.

:func:`export_dataset` writes JSON lines: a header, then one line per case
(opened in the window) with its entries and decrypted payloads, every string
scanned and treated under a :class:`TrainingPolicy`. It then ledgers a
``dataset.exported`` entry whose body holds the policy hash, the file's hash
and counts, and whose payload is the manifest: each record's hash and the
leaf hash of every entry and SHA-256 of every payload it includes
(:mod:`affidavit.oversight.dataset_check` reads it back).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from affidavit import canonical
from affidavit.clock import iso as timestamp
from affidavit.errors import InputError, NotFound, PolicyError, StorageError
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger
from affidavit.ledger.reader import LedgerReader
from affidavit.oversight import entry_types as et
from affidavit.oversight.dataset_policy import TrainingPolicy
from affidavit.oversight.events import DatasetExported
from affidavit.oversight.signals import Window
from affidavit.protect import Scanner, Tokenizer, apply, default_scanner

__all__ = ["EXPORT_ROLE", "FORMAT", "HEADER", "ExportResult", "export_dataset", "record_export"]

EXPORT_ROLE = "dataset_export"
FORMAT = "affidavit-dataset-v1"
_PURPOSE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
HEADER = ("format", "dataset", "purpose", "window", "policy_sha256")
"""The header line's fields, in the ``dataset.exported`` body too."""


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


def record_export(ledger: Ledger, event: DatasetExported, now: datetime) -> int:
    """Ledger the export at ``now`` (the manifest rides as the entry's payload); its seq."""
    return ledger.execute(lambda batch: batch.emit(event).seq, now=now)


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
    except BaseException:  # a refusal midway (a tokenizer error, an interrupt): no half file
        temporary.unlink(missing_ok=True)
        raise
    records = manifest["records"]
    counts = {
        "records": len(records),
        "entries": sum(len(r["entries"]) for r in records),
        "payloads": sum(len(r["payloads"]) for r in records),
        "excluded_cases": excluded_cases,
        "excluded_payloads": len(manifest["excluded_payloads"]),
    }
    event = DatasetExported(
        actor=person.actor,
        format=FORMAT,
        dataset=dataset,
        purpose=purpose,
        window=window.to_dict(),
        policy_sha256=policy.sha256,
        counts=counts,
        file_name=output.name[:200],
        file_sha256=digest.hexdigest(),
        exported_at=timestamp(now),
        manifest=canonical.encode(manifest),
    )
    seq = record_export(ledger, event, now)
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
