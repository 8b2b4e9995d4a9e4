"""export.yaml: sinks, retries, masking; bad settings are refused with a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from affidavit.errors import ConfigError
from affidavit.export import DECISION_TYPES, ExportConfig, load_export_config
from affidavit.protect import DataClass


def test_a_full_file(tmp_path: Path) -> None:
    path = tmp_path / "export.yaml"
    path.write_text(
        "batch_size: 200\n"
        "retry: {attempts: 3, initial_backoff_s: 2, max_backoff_s: 60}\n"
        "mask: [secret, credential, pii]\n"
        "sinks:\n"
        "  siem: {type: http, url: 'https://siem.example/in', token_env: SIEM_TOKEN}\n"
        "  syslog: {type: syslog, transport: udp, host: 10.0.0.5, port: 514}\n"
        "  traces: {type: otlp, endpoint: 'http://127.0.0.1:4318/v1/traces',\n"
        "           models: {soc-llm: openai}}\n"
    )
    config = load_export_config(path)
    assert config.batch_size == 200
    assert config.retry.backoff(1) == 2.0 and config.retry.backoff(10) == 60.0
    assert config.mask == {DataClass.SECRET, DataClass.CREDENTIAL, DataClass.PII}
    siem, syslog, traces = config.sinks
    assert siem.types == frozenset(DECISION_TYPES)
    assert (syslog.options["transport"], syslog.options["facility"]) == ("udp", 13)
    assert "step.recorded" in traces.types
    assert traces.options["models"] == {"soc-llm": "openai"}
    assert config.sink("traces") is traces
    with pytest.raises(ConfigError, match="no sink named 'nope'"):
        config.sink("nope")


def test_no_file_means_no_sinks(tmp_path: Path) -> None:
    assert load_export_config(tmp_path / "export.yaml").sinks == ()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"sinks": {"s": {"type": "kafka"}}}, "type must be one of"),
        ({"sinks": {"S!": {"type": "http", "url": "https://x"}}}, "a sink name is"),
        ({"sinks": {"s": {"type": "http", "url": "ftp://x"}}}, "http or https"),
        ({"sinks": {"s": {"type": "http", "url": "https://x", "token": "abc"}}}, "unknown setting"),
        ({"sinks": {"s": {"type": "syslog", "host": "h", "transport": "dtls"}}}, "tcp, tls or udp"),
        ({"sinks": {"s": {"type": "syslog", "host": "h; rm -rf"}}}, "host must be"),
        ({"sinks": {"s": {"type": "syslog", "host": "h", "port": 70000}}}, "port must be"),
        ({"sinks": {"s": {"type": "syslog", "host": "h", "sd_id": "a=b"}}}, "sd_id may not"),
        ({"sinks": {"s": {"type": "otlp", "endpoint": "https://c", "types": []}}}, "types is"),
        (
            {"sinks": {"s": {"type": "otlp", "endpoint": "https://c", "models": {"m": "a b"}}}},
            "models maps",
        ),
        ({"retry": {"attempts": 0}}, "attempts must be"),
        ({"retry": {"tries": 3}}, "retry takes"),
        ({"mask": ["secrets"]}, "mask is a list"),
        ({"batch_size": True}, "batch_size must be"),
        ({"colour": "blue"}, "unknown setting 'colour'"),
        (["sinks"], "must be a mapping"),
    ],
)
def test_bad_settings_are_refused(data: Any, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        ExportConfig.parse(data)


def test_an_inline_token_is_refused_without_being_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        ExportConfig.parse(
            {"sinks": {"s": {"type": "http", "url": "https://x", "token": "planted-123456"}}}
        )
    assert "planted-123456" not in caught.value.message


@pytest.mark.parametrize("text", ["sinks: [", "\xff\xfe", "a: b: c"])
def test_a_broken_file_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "export.yaml"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError):
        load_export_config(path)
