"""The exporter: read new ledger entries, hand them to each sink, move its cursor.

For each sink, independently: read the entries after its cursor in batches,
keep the types the sink exports, deliver them, and only then write the cursor
past the batch. A sink that fails keeps its cursor: its backlog (the ledger
entries after the cursor) grows while it is down, and nothing is lost — the
ledger itself is the durable queue. A failed batch is tried again after an
exponential backoff (``retry`` in export.yaml, ``Retry-After`` honoured); one
run (``--once``) gives up on a sink after ``retry.attempts`` tries and reports
it, the continuous run keeps trying. One sink's trouble never holds back the
others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from affidavit.errors import ConfigError
from affidavit.export._redact import Redactor
from affidavit.export.config import ExportConfig, SinkConfig
from affidavit.export.http_sink import HttpSink
from affidavit.export.otlp_sink import OtlpSink
from affidavit.export.sink import DeliveryError, Sink
from affidavit.export.state import SinkState, StateStore
from affidavit.export.syslog_sink import SyslogSink
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.reader import LedgerReader

__all__ = ["Exporter", "SinkReport", "build_sinks"]


def _now(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class SinkReport:
    """One sink after a run: how far it got and whether it is stuck."""

    sink: str
    events: int
    """Events delivered in this run."""
    last_seq: int | None
    backlog: int
    """Ledger entries after the cursor, not yet acknowledged."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def build_sinks(
    config: ExportConfig,
    origin: str,
    *,
    names: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> list[Sink]:
    """The configured sinks (or only ``names``), ready to deliver."""
    chosen: list[SinkConfig] = [config.sink(n) for n in names] if names else list(config.sinks)
    sinks: list[Sink] = []
    for sink in chosen:
        redactor = Redactor(config.mask)
        if sink.type == "http":
            sinks.append(HttpSink(sink, origin, redactor, environ=environ))
        elif sink.type == "syslog":
            sinks.append(SyslogSink(sink, origin, redactor))
        else:
            sinks.append(OtlpSink(sink, origin, redactor, environ=environ))
    return sinks


class Exporter:
    def __init__(
        self,
        ledger: LedgerReader,
        config: ExportConfig,
        sinks: Sequence[Sink],
        state: StateStore,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ledger = ledger
        self._config = config
        self._sinks = list(sinks)
        self._state = state
        self._clock = clock
        self._sleep = sleep

    def close(self) -> None:
        for sink in self._sinks:
            sink.close()

    def _check_cursor(self, state: SinkState, size: int) -> None:
        """Refuse a cursor that does not belong to this ledger."""
        if state.last_seq is None:
            return
        if state.last_seq >= size:
            raise ConfigError(
                f"the export cursor of sink {state.sink} is at entry {state.last_seq}, but the "
                f"ledger has {size} entries: it belongs to another ledger. Delete "
                f"{self._state.directory / (state.sink + '.json')} to export this ledger from "
                "the start."
            )
        entry = self._ledger.entry(state.last_seq)
        if entry.leaf_hash.hex() != state.last_leaf:
            raise ConfigError(
                f"the export cursor of sink {state.sink} names entry {state.last_seq} with another "
                "hash than this ledger's: it belongs to another ledger."
            )

    def backlog(self, sink: str) -> tuple[SinkState, int]:
        state = self._state.load(sink)
        size = self._ledger.size()
        return state, max(0, size - state.next_seq)

    def run_once(self, *, attempts: int | None = None) -> list[SinkReport]:
        """Bring every sink up to the ledger's current end, or report why not."""
        return [self._drain(sink, attempts or self._config.retry.attempts) for sink in self._sinks]

    def _drain(self, sink: Sink, attempts: int) -> SinkReport:
        state = self._state.load(sink.name)
        size = self._ledger.size()
        self._check_cursor(state, size)
        sent = 0
        while state.next_seq < size:
            batch = list(
                self._ledger.entries(
                    start=state.next_seq, end=state.next_seq + self._config.batch_size
                )
            )
            if not batch:
                break
            wanted = [e for e in batch if e.type in sink.types]
            error = self._deliver(sink, state, wanted, attempts)
            if error is not None:
                return SinkReport(sink.name, sent, state.last_seq, size - state.next_seq, error)
            sent += len(wanted)
            state.last_seq = batch[-1].seq
            state.last_leaf = batch[-1].leaf_hash.hex()
            state.delivered += len(wanted)
            self._state.save(state)
        return SinkReport(sink.name, sent, state.last_seq, max(0, size - state.next_seq))

    def _deliver(
        self, sink: Sink, state: SinkState, entries: list[StoredEntry], attempts: int
    ) -> str | None:
        """Deliver one batch with retries; None when acknowledged, else the last error."""
        if not entries:
            return None
        for attempt in range(1, attempts + 1):
            state.last_attempt = _now(self._clock)
            try:
                sink.deliver(entries)
            except DeliveryError as exc:
                state.failures += 1
                state.last_error = exc.message
                self._state.save(state)
                if attempt == attempts:
                    return exc.message
                wait = self._config.retry.backoff(state.failures)
                if exc.retry_after_s is not None:
                    wait = max(wait, min(exc.retry_after_s, self._config.retry.max_backoff_s))
                self._sleep(wait)
                continue
            state.failures = 0
            state.last_error = None
            state.last_success = _now(self._clock)
            return None
        return state.last_error  # pragma: no cover - the loop always returns

    def run(self, stop: threading.Event) -> None:
        """Export until ``stop`` is set: poll when caught up, back off a sink while it fails.

        Each sink keeps its own schedule, so one receiver being down never
        delays the others.
        """
        due = {sink.name: 0.0 for sink in self._sinks}
        while not stop.is_set():
            for sink in self._sinks:
                if stop.is_set() or due[sink.name] > time.monotonic():
                    continue
                report = self._drain(sink, 1)
                wait = self._config.poll_interval_s
                if not report.ok:
                    failures = self._state.load(sink.name).failures
                    wait = max(wait, self._config.retry.backoff(failures))
                due[sink.name] = time.monotonic() + wait
            stop.wait(max(0.0, min(due.values(), default=0.0) - time.monotonic()))
