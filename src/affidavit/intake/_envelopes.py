"""API responses that carry several alerts, saved to a file as they arrived.

A SOC exports alerts by saving an API page: Security Command Center's
``ListFindings`` response, a Microsoft Graph or Azure REST collection
(``value``), a SentinelOne or CrowdStrike list (``data``, ``resources``), a Wiz
GraphQL page (``data.issues.nodes``), Splunk search results (``results``, or
one ``result`` per exported line), an Elasticsearch search response
(``hits.hits``). Each item in it is one alert and is kept as its own evidence;
the page's bookkeeping (cursors, counts, timings) is not an alert and is dropped.

An object is taken as an envelope only if every one of its top-level keys
belongs to that response shape, so an alert that merely has a ``value`` or
``data`` field is never unwrapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ENVELOPES", "Envelope", "envelope_items"]


@dataclass(frozen=True, slots=True)
class Envelope:
    name: str
    path: tuple[str, ...]
    """Where the items are: a list of alerts, or one alert object."""
    keys: frozenset[str]
    """Every top-level key a response of this shape may have."""
    single: bool = False
    """The path holds one alert object rather than a list of them."""


ENVELOPES = (
    Envelope(
        "Google SCC ListFindings response",
        ("listFindingsResults",),
        frozenset({"listFindingsResults", "readTime", "nextPageToken", "totalSize"}),
    ),
    Envelope(
        "Microsoft Graph / Azure REST collection",
        ("value",),
        frozenset({"value", "nextLink", "@odata.context", "@odata.nextLink", "@odata.count"}),
    ),
    Envelope(
        "SentinelOne API list",
        ("data",),
        frozenset({"data", "pagination", "errors"}),
    ),
    Envelope(
        "CrowdStrike API entities response",
        ("resources",),
        frozenset({"meta", "resources", "errors"}),
    ),
    Envelope(
        "Wiz GraphQL issues page",
        ("data", "issues", "nodes"),
        frozenset({"data", "errors", "extensions"}),
    ),
    Envelope(
        "Wiz GraphQL issues page",
        ("data", "issuesV2", "nodes"),
        frozenset({"data", "errors", "extensions"}),
    ),
    Envelope(
        "Splunk search results",
        ("results",),
        frozenset(
            {
                "preview",
                "init_offset",
                "messages",
                "fields",
                "results",
                "highlighted",
                "post_process_count",
            }
        ),
    ),
    Envelope(
        "Splunk export result",
        ("result",),
        frozenset({"preview", "offset", "result", "lastrow"}),
        single=True,
    ),
    Envelope(
        "Elasticsearch search response",
        ("hits", "hits"),
        frozenset(
            {
                "took",
                "timed_out",
                "_shards",
                "hits",
                "aggregations",
                "pit_id",
                "_scroll_id",
                "terminated_early",
                "num_reduce_phases",
                "_clusters",
            }
        ),
    ),
)


def _at(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    current: Any = obj
    for step in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(step)
    return current


def envelope_items(obj: object) -> list[tuple[str, Any]] | None:
    """``(label, item)`` for each item if ``obj`` is an envelope, else ``None``.

    Labels are JSON paths (``listFindingsResults[3]``, ``result``). Items are
    returned as found, objects or not; the reader refuses the ones that are not.
    """
    if not isinstance(obj, Mapping) or not obj:
        return None
    for envelope in ENVELOPES:
        if not obj.keys() <= envelope.keys:
            continue
        found = _at(obj, envelope.path)
        label = ".".join(envelope.path)
        if envelope.single and isinstance(found, Mapping):
            return [(label, found)]
        if not envelope.single and isinstance(found, list):
            return [(f"{label}[{index}]", item) for index, item in enumerate(found)]
    return None
