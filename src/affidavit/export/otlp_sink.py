"""OpenTelemetry spans through the OTLP/HTTP exporter (protobuf), one export per batch.

Uses ``opentelemetry-exporter-otlp-proto-http``'s ``OTLPSpanExporter``
synchronously: a batch counts as delivered only when the collector accepted
it (the exporter itself retries 429 and 5xx within ``timeout_s``). A token is
sent as ``Authorization: Bearer <token>``. Settings from ``OTEL_*``
environment variables apply where export.yaml says nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from affidavit.export._redact import Redactor
from affidavit.export.config import SinkConfig
from affidavit.export.sink import DeliveryError
from affidavit.export.spans import SpanBuilder
from affidavit.ledger.entry import StoredEntry

__all__ = ["OtlpSink"]


class OtlpSink:
    def __init__(
        self,
        config: SinkConfig,
        origin: str,
        redactor: Redactor,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.name = config.name
        self.types = config.types
        options = config.options
        self._builder = SpanBuilder(
            origin,
            redactor,
            service_name=options["service_name"],
            gen_ai_system=options["gen_ai_system"],
            models=options["models"],
        )
        token = config.secrets(environ).get("token") if config.credentials else None
        self._exporter = OTLPSpanExporter(
            endpoint=options["endpoint"],
            headers={"Authorization": f"Bearer {token}"} if token else None,
            timeout=config.timeout_s,
        )
        self._timeout = config.timeout_s

    def close(self) -> None:
        self._exporter.shutdown()  # type: ignore[no-untyped-call]

    def deliver(self, entries: Sequence[StoredEntry]) -> int:
        spans = self._builder.spans(entries)
        if not spans:
            return 0
        if self._exporter.export(spans) is not SpanExportResult.SUCCESS:
            raise DeliveryError(
                f"export sink {self.name} (OTLP) did not accept {len(spans)} spans within "
                f"{self._timeout:g} s; the collector is down or refused them."
            )
        return len(spans)
