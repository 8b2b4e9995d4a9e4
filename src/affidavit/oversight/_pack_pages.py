"""The pack's two pages for people: ``timeline.html`` and ``README.txt``.

Everything that comes from the ledger is escaped (entries hold text that
agents, alerts and people wrote); the page has no scripts and loads nothing.
"""

from __future__ import annotations

import base64
import functools
import html
from importlib import resources
from string import Template
from typing import Any

from affidavit.errors import VerificationError
from affidavit.governance import events as ev
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.events import PayloadErased, event_class, parse_event
from affidavit.oversight.replay import summary

__all__ = ["readme", "summarize", "timeline"]

_ROW = (
    '<tr id="e{index}"{css}><td class="time">{time}</td>'
    '<td class="index"><a href="entries/{index}.json">{index}</a></td>'
    '<td class="type">{type}</td><td>{actor}</td><td>{summary}</td>'
    '<td class="proof"><a href="proofs.json" title="proofs.json, key &quot;{index}&quot;">'
    "{hashes} hashes</a></td></tr>"
)


def summarize(entry: StoredEntry) -> str:
    """One line about an entry: the replay's summary, plus the pack's context types."""
    kind, body = entry.type, entry.body
    if kind == ev.PolicyPublished.type:
        return f"bundle {body.get('bundle_hash', '')} ({len(body.get('rules', []))} rules)"
    if kind == PayloadErased.type:
        return f"{len(body.get('payloads', []))} payloads erased, rule {body.get('rule')}: " + str(
            body.get("reason", "")
        )
    cls = event_class(kind)
    if cls is None or cls.needs_payload_data:
        return ""
    try:
        return summary(parse_event(entry))
    except (VerificationError, KeyError, TypeError, AttributeError, ValueError):
        # an entry whose body its type's event class does not read: no summary
        return ""


@functools.cache
def _template(name: str) -> Template:
    text = resources.files("affidavit.oversight").joinpath("templates", name).read_text("utf-8")
    return Template(text)


def _facts(title: str, count: int, size: int, root: bytes, key: str) -> dict[str, Any]:
    return {
        "title": title,
        "count": count,
        "size": size,
        "root": base64.b64encode(root).decode(),
        "key": key,
    }


def timeline(
    title: str,
    entries: dict[int, StoredEntry],
    context: set[int],
    proofs: dict[int, list[bytes]],
    size: int,
    root: bytes,
    key: str,
) -> bytes:
    rows = []
    for e in sorted(entries.values(), key=lambda e: (e.time, e.seq)):
        rows.append(
            _ROW.format(
                index=e.seq,
                css=' class="context"' if e.seq in context else "",
                time=html.escape(e.time),
                type=html.escape(e.type),
                actor=html.escape(e.actor),
                summary=html.escape(summarize(e)),
                hashes=len(proofs[e.seq]),
            )
        )
    facts = {
        k: html.escape(str(v)) for k, v in _facts(title, len(entries), size, root, key).items()
    }
    return _template("timeline.html").substitute(facts, rows="\n".join(rows)).encode()


def readme(title: str, count: int, example: int, size: int, root: bytes, key: str) -> bytes:
    facts = _facts(title, count, size, root, key)
    rule = "=" * len(f"Affidavit evidence pack: {title}")
    return _template("README.txt").substitute(facts, example=example, rule=rule).encode()
