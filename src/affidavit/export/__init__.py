"""Export to the SOC's tools: OCSF events to a SIEM, syslog, and OpenTelemetry spans.

:class:`Exporter` reads ledger entries after each sink's cursor (through
:class:`affidavit.ledger.reader.LedgerReader`) and delivers them: OCSF 1.3 API
Activity events as JSON lines over HTTP (:class:`HttpSink`) or as RFC 5424
syslog over TCP or UDP (:class:`SyslogSink`), and spans with the GenAI
semantic conventions over OTLP/HTTP (:class:`OtlpSink`). Delivery is at least
once with the ledger sequence number as each event's dedup id; cursors
survive restarts (:class:`StateStore`). Settings: ``export.yaml`` in
``AFFIDAVIT_HOME`` (:func:`load_export_config`).
"""

from __future__ import annotations

from affidavit.export._redact import Redactor
from affidavit.export.config import (
    DECISION_TYPES,
    EXPORT_FILE,
    ExportConfig,
    RetryPolicy,
    SinkConfig,
    load_export_config,
)
from affidavit.export.http_sink import HttpSink, ocsf_lines
from affidavit.export.ocsf import OCSF_VERSION, to_ocsf
from affidavit.export.otlp_sink import OtlpSink
from affidavit.export.runner import Exporter, SinkReport, build_sinks
from affidavit.export.sink import DeliveryError, Sink
from affidavit.export.spans import SpanBuilder
from affidavit.export.state import SinkState, StateStore
from affidavit.export.syslog_sink import SyslogSink, format_message, frame

__all__ = [
    "DECISION_TYPES",
    "EXPORT_FILE",
    "OCSF_VERSION",
    "DeliveryError",
    "ExportConfig",
    "Exporter",
    "HttpSink",
    "OtlpSink",
    "Redactor",
    "RetryPolicy",
    "Sink",
    "SinkConfig",
    "SinkReport",
    "SinkState",
    "SpanBuilder",
    "StateStore",
    "SyslogSink",
    "build_sinks",
    "format_message",
    "frame",
    "load_export_config",
    "ocsf_lines",
    "to_ocsf",
]
