"""Applying treatments: what a model sees of a text or a JSON value, and what the ledger learns.

Use it on model inputs before the model sees them, and on model outputs before
they are stored or shown (a summary can repeat what it was given)::

    treated = protect_text(prompt, policy=policy, principal=DataPrincipal.of(agent),
                           model="gpt-4o", tokenizer=tokenizer)
    send(treated.text); ledger(treated.record())   # record(): labels and counts only

Each finding gets the treatment its (data class, kind) is given: ``allow`` leaves
it, ``mask`` puts its typed placeholder (``[SECRET:aws_access_key_id]``),
``tokenize`` its token (``[PII:email:tok_...]``, original kept by the tokenizer's
store), and ``block`` refuses the whole text with a PolicyError that names the
classes and kinds blocked, never a value; nothing is returned and no token is
stored. Spans are replaced right to left on the original text, so every offset
stays valid. Findings should not overlap (the scanner resolves overlaps); if
they do, the overlapping ones are treated as one span under the strictest of
their treatments, so no part of a value can slip out between two replacements.

A JSON value is walked and every string in it treated, object keys included;
structure is kept. A string in a field that names a host of the estate
(``computerDnsName``, ``host.name``, ``{"kind": "host", "value": ...}``: see
``fields.py``) is a ``hostname_internal`` finding whole, whatever its domain, so an
alert never shows a host name in the clear beside its tokenized internal address.

A number whose digits hold a finding (a card number stored as
an integer) becomes the treated string. Two keys of one object that become the
same after treatment (two masked e-mail addresses) are told apart as
``[PII:email]``, ``[PII:email]#2``, ...

:func:`protect_text` and :func:`protect_json` ignore a finding that lies wholly
inside one of Affidavit's own placeholders or tokens (of a kind the scanner
knows): a model's output that repeats ``[SECRET:aws_access_key_id]`` is not
reported as holding a secret, and treating treated text changes nothing.

The result carries ``labels`` (the data classes present before treatment) and a
``summary`` ``{data_class: {treatment: count}}``: what the ledger records.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from affidavit.errors import ConfigError, InputError, PolicyError
from affidavit.protect.config import MAX_INPUT_CHARS
from affidavit.protect.data_policy import DataPolicy, DataPrincipal, Treatment
from affidavit.protect.fields import (
    entity_value_field,
    host_entity,
    hostname_field,
    hostname_value,
    peer_host_field,
)
from affidavit.protect.finding import DataClass, Finding
from affidavit.protect.scanner import Scanner, default_scanner
from affidavit.protect.tokens import Tokenizer, TokenRecord

__all__ = [
    "MAX_JSON_DEPTH",
    "Decide",
    "Summary",
    "Treated",
    "TreatedJSON",
    "apply",
    "protect_json",
    "protect_text",
]

MAX_JSON_DEPTH = 100
# A placeholder ([PII:email]) or a token ([PII:email:tok_0123456789abcdef]).
_TREATED = re.compile(r"\[([A-Z][A-Z_]{0,31}):([a-z][a-z0-9_]{0,63})(?::tok_[0-9a-f]{16})?\]")
Decide = Callable[[DataClass, str], Treatment]
Summary = Mapping[str, Mapping[str, int]]


class _Outcome:
    """What treated text and treated JSON both report."""

    summary: Summary
    labels: frozenset[DataClass]

    @property
    def exposed(self) -> frozenset[DataClass]:
        """Classes of which some value passed unchanged (the model's output may hold them)."""
        return frozenset(DataClass(c) for c, counts in self.summary.items() if counts.get("allow"))

    def record(self) -> dict[str, Any]:
        """Labels and counts as plain JSON data for the ledger; never a value."""
        return {
            "labels": sorted(c.value for c in self.labels),
            "treatments": {c: dict(counts) for c, counts in self.summary.items()},
        }


@dataclass(frozen=True)
class Treated(_Outcome):
    """Text as the model may see it, with its labels and treatment counts."""

    text: str
    summary: Summary
    labels: frozenset[DataClass]


@dataclass(frozen=True)
class TreatedJSON(_Outcome):
    """A JSON value as the model may see it, with its labels and treatment counts."""

    value: Any
    summary: Summary
    labels: frozenset[DataClass]


def apply(
    text: str,
    findings: Iterable[Finding],
    decide: Decide,
    *,
    tokenizer: Tokenizer | None = None,
) -> Treated:
    """Treat the ``findings`` of ``text``, each as ``decide(data_class, kind)`` says."""
    _check_text(text, MAX_INPUT_CHARS)
    plan = _Plan(decide, tokenizer)
    regions = plan.regions(text, findings)
    plan.check()
    treated = plan.rewrite(text, regions)
    return Treated(treated, *plan.finish())


def protect_text(
    text: str,
    *,
    policy: DataPolicy,
    principal: DataPrincipal,
    model: str,
    tokenizer: Tokenizer | None = None,
    scanner: Scanner | None = None,
) -> Treated:
    """Scan ``text``, decide each finding under ``policy`` for ``principal`` and ``model``, treat.

    ``scanner`` defaults to the shared default scanner; ``tokenizer`` is needed
    only when some finding is to be tokenized (ConfigError otherwise).
    """
    scanner = scanner if scanner is not None else default_scanner()
    _check_text(text, scanner.config.max_input_chars)
    findings = _untreated(text, scanner.scan(text), scanner)
    plan = _policy_plan(policy, principal, model, tokenizer, [findings])
    regions = plan.regions(text, findings)
    plan.check()
    treated = plan.rewrite(text, regions)
    return Treated(treated, *plan.finish())


def protect_json(
    value: Any,
    *,
    policy: DataPolicy,
    principal: DataPrincipal,
    model: str,
    tokenizer: Tokenizer | None = None,
    scanner: Scanner | None = None,
) -> TreatedJSON:
    """:func:`protect_text` for a JSON value (dicts, lists, strings, numbers, bools, None).

    The result is a new value (tuples become lists); ``value`` is not changed.
    """
    scanner = scanner if scanner is not None else default_scanner()
    strings: list[str] = []
    hosts: dict[int, bool] = {}  # strings held by host-name fields: index -> peer field
    _collect(value, strings, 0, [scanner.config.max_input_chars], hosts)
    found = [_untreated(s, scanner.scan(s), scanner) for s in strings]
    if hosts and _HOSTNAME in scanner.kinds:
        for index, peer in hosts.items():
            found[index] = _with_host(strings[index], found[index], peer)
    plan = _policy_plan(policy, principal, model, tokenizer, found)
    regions = [plan.regions(s, f) for s, f in zip(strings, found, strict=True)]
    plan.check()
    treated = [plan.rewrite(s, r) for s, r in zip(strings, regions, strict=True)]
    summary, labels = plan.finish()
    rebuilt = _rebuild(value, zip(strings, treated, strict=True))
    return TreatedJSON(rebuilt, summary, labels)


def _policy_plan(
    policy: DataPolicy,
    principal: DataPrincipal,
    model: str,
    tokenizer: Tokenizer | None,
    found: list[list[Finding]],
) -> _Plan:
    if not isinstance(policy, DataPolicy):
        raise InputError(f"policy must be a DataPolicy, not {type(policy).__name__}.")
    pairs = {(f.data_class, f.kind) for findings in found for f in findings}
    decisions = policy.decisions(principal, model, pairs)
    return _Plan(
        lambda data_class, kind: decisions[(data_class, kind)].treatment,
        tokenizer,
        lambda data_class, kind: decisions[(data_class, kind)].reasons,
    )


@dataclass(slots=True)
class _Region:
    """A span to replace: one finding, or several that overlap (treated as one)."""

    start: int
    end: int
    lead: Finding  # the member whose treatment (the strictest) and kind the region takes
    treatment: Treatment
    members: list[Finding]


class _Plan:
    """The treatments of one call's findings, the tokens they make and the counts."""

    def __init__(
        self,
        decide: Decide,
        tokenizer: Tokenizer | None,
        explain: Callable[[DataClass, str], tuple[str, ...]] | None = None,
    ) -> None:
        if not callable(decide):
            raise InputError("decide must be a function (data class, kind) -> treatment.")
        self._decide = decide
        self._explain = explain
        self._tokenizer = tokenizer
        self._memo: dict[tuple[DataClass, str], Treatment] = {}
        self._counts: dict[DataClass, dict[Treatment, int]] = {}
        self._blocked: dict[tuple[DataClass, str], int] = {}
        self._tokenized: list[tuple[DataClass, str]] = []
        self._pending: dict[str, TokenRecord] = {}

    def _treatment(self, finding: Finding) -> Treatment:
        key = (finding.data_class, finding.kind)
        treatment = self._memo.get(key)
        if treatment is None:
            given = self._decide(*key)
            try:
                treatment = given if isinstance(given, Treatment) else Treatment(given)
            except ValueError:
                raise ConfigError(
                    f"the data policy gave {given!r} for {key[0]}/{key[1]}, not one of "
                    "allow, tokenize, mask, block."
                ) from None
            self._memo[key] = treatment
        return treatment

    def regions(self, text: str, findings: Iterable[Finding]) -> list[_Region]:
        if isinstance(findings, str | bytes) or not isinstance(findings, Iterable):
            raise InputError("findings must be a list of Finding.")
        listed = list(findings)
        for finding in listed:
            if not isinstance(finding, Finding):
                raise InputError(f"findings must be Finding objects, not {type(finding).__name__}.")
            if finding.end > len(text):
                raise InputError(
                    f"a finding ends at {finding.end} but the text has {len(text)} characters "
                    "(findings of another text?)."
                )
        listed.sort(key=_span)
        regions: list[_Region] = []
        for finding in listed:
            treatment = self._treatment(finding)
            if treatment is Treatment.BLOCK:
                key = (finding.data_class, finding.kind)
                self._blocked[key] = self._blocked.get(key, 0) + 1
            last = regions[-1] if regions else None
            if last is not None and finding.start < last.end:  # overlap: one span, strictest wins
                last.end = max(last.end, finding.end)
                last.members.append(finding)
                if treatment.strictness > last.treatment.strictness:
                    last.lead, last.treatment = finding, treatment
            else:
                regions.append(_Region(finding.start, finding.end, finding, treatment, [finding]))
        for region in regions:
            for member in region.members:
                counts = self._counts.setdefault(member.data_class, {})
                counts[region.treatment] = counts.get(region.treatment, 0) + 1
            if region.treatment is Treatment.TOKENIZE:
                self._tokenized.append((region.lead.data_class, region.lead.kind))
        return regions

    def check(self) -> None:
        """Refuse before anything is replaced or stored: a block, or tokens without a tokenizer."""
        if self._blocked:
            held = ", ".join(
                f"{count} {data_class.value}/{kind}"
                for (data_class, kind), count in sorted(self._blocked.items())
            )
            why = ""
            if self._explain is not None:
                reasons = dict.fromkeys(r for pair in self._blocked for r in self._explain(*pair))
                why = f" ({'; '.join(list(reasons)[:3])})" if reasons else ""
            raise PolicyError(
                f"the data policy blocks this text, which holds {held}{why}; nothing was passed on."
            )
        if self._tokenized and self._tokenizer is None:
            data_class, kind = self._tokenized[0]
            raise ConfigError(
                f"the data policy tokenizes {data_class.value}/{kind} but no tokenizer was given."
            )

    def rewrite(self, text: str, regions: list[_Region]) -> str:
        """``text`` with each region replaced, right to left so earlier offsets stay valid."""
        if not regions:
            return text
        pieces: list[str] = []
        cursor = len(text)
        for region in reversed(regions):
            pieces.append(text[region.end : cursor])
            pieces.append(self._replacement(text, region))
            cursor = region.start
        pieces.append(text[:cursor])
        pieces.reverse()
        return "".join(pieces)

    def _replacement(self, text: str, region: _Region) -> str:
        treatment, lead = region.treatment, region.lead
        if treatment is Treatment.ALLOW:
            return text[region.start : region.end]
        if treatment is Treatment.MASK:
            return lead.placeholder
        if treatment is Treatment.TOKENIZE and self._tokenizer is not None:
            value = text[region.start : region.end]
            token = self._tokenizer.token(lead.data_class, lead.kind, value)
            self._pending.setdefault(token, TokenRecord(token, lead.kind, value))
            return token
        raise PolicyError("the data policy blocks this text; nothing was passed on.")  # see check()

    def finish(self) -> tuple[Summary, frozenset[DataClass]]:
        """Store the new tokens' originals; the summary and labels of the call."""
        if self._pending and self._tokenizer is not None:
            self._tokenizer.save(self._pending.values())
        summary = {
            data_class.value: MappingProxyType({t.value: n for t, n in sorted(counts.items())})
            for data_class, counts in sorted(self._counts.items())
        }
        return MappingProxyType(summary), frozenset(self._counts)


def _untreated(text: str, findings: list[Finding], scanner: Scanner) -> list[Finding]:
    """``findings`` less those wholly inside a placeholder or token already in ``text``."""
    if not findings or "[" not in text:
        return findings
    matches = list(_TREATED.finditer(text))
    if not matches:
        return findings
    kinds = scanner.kinds  # a new dict on each call: only when needed
    spans = [
        m.span()
        for m in matches
        if (known := kinds.get(m[2])) is not None and known.value.upper() == m[1]
    ]
    if not spans:
        return findings
    starts = [start for start, _ in spans]
    kept = []
    for finding in findings:
        at = bisect.bisect_right(starts, finding.start) - 1
        if at < 0 or finding.end > spans[at][1]:
            kept.append(finding)
    return kept


def _span(finding: Finding) -> tuple[int, int]:
    return (finding.start, finding.end)


def _check_text(text: object, limit: int) -> None:
    if not isinstance(text, str):
        hint = " (decode bytes first)" if isinstance(text, bytes | bytearray) else ""
        raise InputError(f"only text (str) can be treated, not {type(text).__name__}{hint}.")
    if len(text) > limit:
        raise InputError(
            f"text of {len(text)} characters is over the limit of {limit}; split it first."
        )
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(
                "the text contains unpaired surrogates, so it is not valid Unicode; "
                "decode the original bytes with errors='replace' first."
            ) from None


_HOSTNAME = "hostname_internal"


def _with_host(text: str, findings: list[Finding], peer: bool) -> list[Finding]:
    """``findings`` of a host field's string plus the host name it holds, as a whole
    (for a peer field, only a bare name: a dotted one is internal by its domain only)."""
    span = hostname_value(text, bare=peer)
    if span is None or any(f.kind == _HOSTNAME and f.span == span for f in findings):
        return findings
    host = Finding(DataClass.INTERNAL_IDENTIFIER, _HOSTNAME, span[0], span[1], "fields")
    return sorted([*findings, host], key=_span)


def _collect(
    value: Any,
    out: list[str],
    depth: int,
    budget: list[int],
    hosts: dict[int, bool],
    parent: str | None = None,
    host: bool | None = None,
) -> None:
    """Every string of ``value`` (keys too) and the digits of every number, in walk
    order; ``hosts`` gets the indexes of strings held by host-name fields (``host``:
    None for no host field, False for the estate's own host, True for a peer)."""
    if depth > MAX_JSON_DEPTH:
        raise InputError(f"the JSON value is nested deeper than {MAX_JSON_DEPTH} levels.")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if host is not None:
            hosts[len(out)] = host
        _take(value, out, budget)
    elif isinstance(value, int | float):
        try:
            _take(repr(value), out, budget)
        except ValueError:  # an int too long to print (sys.int_info.default_max_str_digits)
            raise InputError("the JSON value holds a number too long to check.") from None
    elif isinstance(value, dict):
        entity = host_entity(value)
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"JSON object keys are strings, not {type(key).__name__}.")
            _take(key, out, budget)
            named: bool | None = None
            if hostname_field(key, parent) or (entity and entity_value_field(key)):
                named = False
            elif peer_host_field(key):
                named = True
            _collect(item, out, depth + 1, budget, hosts, key, named)
    elif isinstance(value, list | tuple):
        for item in value:  # a list of host names is held by the list's field
            _collect(item, out, depth + 1, budget, hosts, parent, host)
    else:
        raise InputError(f"{type(value).__name__} is not a JSON value.")


def _take(text: str, out: list[str], budget: list[int]) -> None:
    budget[0] -= len(text)
    if budget[0] < 0:
        raise InputError("the JSON value holds more text than the scan limit; split it first.")
    _check_text(text, len(text))
    out.append(text)


def _rebuild(value: Any, treated: Iterator[tuple[str, str]]) -> Any:
    """``value`` with its strings replaced, consuming ``treated`` in :func:`_collect`'s order."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return next(treated)[1]
    if isinstance(value, int | float):
        before, after = next(treated)
        return value if after == before else after
    if isinstance(value, dict):
        rebuilt: dict[str, Any] = {}
        for item in value.values():
            key = next(treated)[1]
            if key in rebuilt:
                number = 2
                while f"{key}#{number}" in rebuilt:
                    number += 1
                key = f"{key}#{number}"
            rebuilt[key] = _rebuild(item, treated)
        return rebuilt
    return [_rebuild(item, treated) for item in value]
