"""What goes in an evidence pack: the scope's entries and the context they cite.

Context: the ``policy.published`` entry of every bundle an included decision
cites (so the bundle text is proven), and the ``payload.erased`` entry of every
included payload that was erased (so the erasure is proven, not just claimed).
Finding those needs one pass over the ledger, made only when something is
cited that the scope does not already hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from affidavit.errors import NotFound, StorageError
from affidavit.governance import events as ev
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.events import PayloadErased
from affidavit.ledger.reader import LedgerReader
from affidavit.policy import default_policy_text

__all__ = ["Selection", "select"]


@dataclass
class Selection:
    entries: dict[int, StoredEntry] = field(default_factory=dict)
    """Every included entry by index: the scope's and the cited context."""
    context: set[int] = field(default_factory=set)
    payloads: dict[str, bytes] = field(default_factory=dict)
    """Plaintext of every readable payload of an included entry, by SHA-256."""
    erased: dict[str, int] = field(default_factory=dict)
    """Erased payload SHA-256 -> index of the payload.erased entry that erased it."""
    bundles: dict[str, bytes] = field(default_factory=dict)
    """Policy bundle hash -> bundle text, for every bundle an included decision cites."""


def select(reader: LedgerReader, *, case: str | None, start: str, end: str) -> Selection:
    """The entries of ``case`` (or, with ``case`` None, with start <= time < end)."""
    chosen = Selection()
    if case is not None:
        chosen.entries = {e.seq: e for e in reader.entries(case=case)}
        if not chosen.entries:
            raise NotFound(f"no ledger entries for case {case}")
    else:
        chosen.entries = {e.seq: e for e in reader.entries() if start <= e.time < end}
        if not chosen.entries:
            raise NotFound(f"no ledger entries with times from {start} to {end}")
    cited = _cited_bundles(chosen.entries.values())
    published = {
        body["bundle_hash"]: e.seq
        for e in chosen.entries.values()
        if e.type == ev.PolicyPublished.type and (body := e.body).get("bundle_hash") in cited
    }
    missing = _fetch_payloads(reader, chosen, chosen.entries.values())
    if missing or set(cited) - set(published):
        context = _scan(reader, chosen, cited, published, missing)
        chosen.context = set(context) - set(chosen.entries)
        chosen.entries.update(context)
        unreadable = _fetch_payloads(reader, chosen, context.values())
        if unreadable:
            ref, seqs = next(iter(unreadable.items()))
            raise StorageError(
                f"payload {ref} of ledger entry {seqs[0]} is neither readable nor erased; "
                "run `affidavit ledger verify`"
            )
    for digest in published:
        if digest in chosen.payloads:  # a bundle's hash is its text's: the entry's payload
            chosen.bundles[digest] = chosen.payloads[digest]
    default = default_policy_text().encode()
    for digest, seq in cited.items():
        if digest in chosen.bundles:
            continue
        if hashlib.sha256(default).hexdigest() != digest:
            raise StorageError(
                f"policy bundle {digest[:12]} cited by ledger entry {seq} is neither published "
                "in the ledger nor the shipped default policy; its text cannot be included"
            )
        chosen.bundles[digest] = default
    return chosen


def _cited_bundles(entries: Iterable[StoredEntry]) -> dict[str, int]:
    """Bundle hash -> the first included decision citing it."""
    cited: dict[str, int] = {}
    for e in entries:
        if e.type == ev.ProposalCreated.type:
            cited.setdefault(e.body["decision"]["bundle_hash"], e.seq)
    return cited


def _fetch_payloads(
    reader: LedgerReader, chosen: Selection, entries: Iterable[StoredEntry]
) -> dict[str, list[int]]:
    """Read the payloads of ``entries``; return the unreadable ones (erased?) by entry."""
    missing: dict[str, list[int]] = {}
    for e in entries:
        for ref in e.payload_refs:
            if ref in chosen.payloads or ref in chosen.erased:
                continue
            try:
                chosen.payloads[ref] = reader.payload(ref)
            except NotFound:
                missing.setdefault(ref, []).append(e.seq)
    return missing


def _scan(
    reader: LedgerReader,
    chosen: Selection,
    cited: dict[str, int],
    published: dict[str, int],
    missing: dict[str, list[int]],
) -> dict[int, StoredEntry]:
    """One pass over the ledger for the publications and erasures the pack must cite."""
    context: dict[int, StoredEntry] = {}
    used: dict[str, StoredEntry] = {}
    for e in reader.entries():
        if e.type == ev.PolicyPublished.type:
            digest = json.loads(e.data)["body"]["bundle_hash"]
            # the latest publication before the first decision citing it is the one it used
            if digest in cited and digest not in published and e.seq < cited[digest]:
                used[digest] = e
        elif e.type == PayloadErased.type and missing:
            for p in json.loads(e.data)["body"]["payloads"]:
                if p["seq"] in missing.get(p["sha256"], ()):
                    chosen.erased.setdefault(p["sha256"], e.seq)
                    context[e.seq] = e
    for digest, e in used.items():
        published[digest] = e.seq
        context[e.seq] = e
    for ref, seqs in missing.items():
        if ref not in chosen.erased:
            raise StorageError(
                f"payload {ref} of ledger entry {seqs[0]} is neither readable nor erased; "
                "run `affidavit ledger verify`"
            )
    return context
