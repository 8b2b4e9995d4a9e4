"""Spans over OTLP/HTTP to a local receiver that decodes the protobuf (opentelemetry-proto)."""

from __future__ import annotations

from typing import Any

import pytest

from affidavit.export import DeliveryError, ExportConfig, OtlpSink, Redactor
from affidavit.export.spans import span_id, trace_id
from affidavit.ledger.log import Ledger
from affidavit.protect import DataClass
from tests.export._receivers import HttpReceiver, free_port
from tests.export.conftest import PLANTED, Activity

ORIGIN = "affidavit.test/log"
TOKEN = "otlp-collector-token-planted-77Qz"


def sink(endpoint: str, **extra: Any) -> OtlpSink:
    section = {
        "type": "otlp",
        "endpoint": endpoint,
        "token_env": "OTLP_TOKEN",
        "models": {"soc-llm": "openai"},
        **extra,
    }
    config = ExportConfig.parse({"sinks": {"traces": section}})
    return OtlpSink(
        config.sinks[0],
        ORIGIN,
        Redactor({DataClass.SECRET, DataClass.CREDENTIAL}),
        environ={"OTLP_TOKEN": TOKEN},
    )


def _attrs(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in span.attributes:
        value = kv.value
        which = value.WhichOneof("value")
        if which == "array_value":
            out[kv.key] = [v.string_value for v in value.array_value.values]
        else:
            out[kv.key] = getattr(value, which)
    return out


def _export(ledger: Ledger, collector: HttpReceiver) -> dict[str, Any]:
    target = sink(collector.url)
    entries = [e for e in ledger.entries() if e.type in target.types]
    assert target.deliver(entries) > 0
    target.close()
    found: dict[str, Any] = {}
    for rs, _, span in collector.spans():
        found.setdefault(span.name, (span, _attrs(span), rs))  # the first of a name
    return found


def test_steps_decisions_and_executions_become_one_trace_per_case(
    activity: Activity, ledger: Ledger, collector: HttpReceiver
) -> None:
    spans = _export(ledger, collector)
    [post] = collector.posts
    assert post["path"] == "/ingest"
    assert post["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert post["headers"]["content-type"] == "application/x-protobuf"
    step, step_attrs, resource = spans["chat soc-llm"]
    assert step.kind == 3  # SPAN_KIND_CLIENT
    assert step_attrs["gen_ai.operation.name"] == "chat"
    assert step_attrs["gen_ai.system"] == "openai"
    assert step_attrs["gen_ai.provider.name"] == "openai"
    assert step_attrs["gen_ai.request.model"] == "soc-llm"
    assert step_attrs["gen_ai.agent.id"] == "triage"
    assert step_attrs["gen_ai.conversation.id"] == "CASE-1"
    assert len(step_attrs["affidavit.prompt.sha256"]) == 64
    resource_attrs = {kv.key: kv.value.string_value for kv in resource.resource.attributes}
    assert resource_attrs["service.name"] == "affidavit"
    assert resource_attrs["affidavit.ledger.origin"] == ORIGIN

    decide, decide_attrs, _ = spans["decide isolate_host"]
    assert decide.parent_span_id == step.span_id
    assert decide_attrs["affidavit.decision.effect"] == "require_approval"
    assert decide_attrs["gen_ai.agent.id"] == "triage"

    executed, exec_attrs, _ = spans["execute_tool isolate_host"]
    assert executed.parent_span_id == decide.span_id
    assert exec_attrs["gen_ai.operation.name"] == "execute_tool"
    assert exec_attrs["gen_ai.tool.name"] == "isolate_host"
    assert executed.status.code == 1  # STATUS_CODE_OK
    assert executed.start_time_unix_nano <= executed.end_time_unix_nano

    failed, failed_attrs, _ = spans["execute_tool block_ip"]
    assert failed.status.code == 2  # STATUS_CODE_ERROR
    assert "[SECRET:github_token]" in failed.status.message
    assert failed_attrs["error.type"] == "http_status"

    expected_trace = trace_id(ORIGIN, "CASE-1", 0).to_bytes(16, "big")
    assert {s.trace_id for s, _, _ in spans.values()} == {expected_trace}
    assert step.span_id == span_id(ORIGIN, "step", step_attrs["affidavit.step.id"]).to_bytes(
        8, "big"
    )
    assert "approve" in spans and "breakglass" in spans


def test_a_span_sent_again_has_the_same_ids(
    activity: Activity, ledger: Ledger, collector: HttpReceiver
) -> None:
    first = {name: s.span_id for name, (s, _, _) in _export(ledger, collector).items()}
    collector.posts.clear()
    again = {name: s.span_id for name, (s, _, _) in _export(ledger, collector).items()}
    assert first == again


def test_no_planted_secret_in_the_protobuf(
    activity: Activity, ledger: Ledger, collector: HttpReceiver
) -> None:
    _export(ledger, collector)
    data = b"".join(p["request"].SerializeToString() for p in collector.posts)
    for planted in PLANTED:
        assert planted.encode() not in data
    assert TOKEN.encode() not in data


def test_a_collector_that_is_down_or_refuses_is_a_delivery_error(
    activity: Activity, ledger: Ledger, collector: HttpReceiver
) -> None:
    entries = [e for e in ledger.entries() if e.type == "step.recorded"]
    down = sink(f"http://127.0.0.1:{free_port()}/v1/traces", timeout_s=0.3)
    with pytest.raises(DeliveryError, match="did not accept 1 spans"):
        down.deliver(entries)
    down.close()
    collector.answers.append((400, {}))
    refused = sink(collector.url, timeout_s=0.3)
    with pytest.raises(DeliveryError):
        refused.deliver(entries)
    refused.close()
