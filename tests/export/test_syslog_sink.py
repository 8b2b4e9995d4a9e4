"""RFC 5424 messages over TCP (RFC 6587 octet counting) and UDP (RFC 5426)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest

from affidavit.export import (
    DeliveryError,
    ExportConfig,
    Redactor,
    SyslogSink,
    format_message,
    frame,
)
from affidavit.ledger.entry import Entry, StoredEntry
from affidavit.ledger.log import Ledger
from affidavit.protect import DataClass
from tests.export._receivers import SyslogReceiver, free_port, parse_rfc5424
from tests.export.conftest import Activity


def sink(port: int, **extra: Any) -> SyslogSink:
    section = {"type": "syslog", "host": "127.0.0.1", "port": port, "hostname": "soc-1", **extra}
    config = ExportConfig.parse({"sinks": {"syslog": section}})
    return SyslogSink(
        config.sinks[0], "affidavit.test/log", Redactor({DataClass.SECRET, DataClass.CREDENTIAL})
    )


def _wait(receiver: SyslogReceiver, count: int) -> list[bytes]:
    deadline = time.monotonic() + 5
    while len(receiver.messages) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(receiver.messages)


def _check(messages: list[bytes], entries: list[StoredEntry]) -> None:
    assert len(messages) == len(entries)
    for raw, entry in zip(messages, entries, strict=True):
        parsed = parse_rfc5424(raw)
        event = json.loads(parsed["msg"])
        assert parsed["version"] == 1
        assert parsed["facility"] == 13
        expected = {1: 6, 2: 5, 3: 4, 4: 3, 5: 2}[event["severity_id"]]
        assert parsed["severity"] == expected
        assert parsed["timestamp"] == entry.time
        assert (parsed["hostname"], parsed["app"]) == ("soc-1", "affidavit")
        assert parsed["procid"].isdigit()
        assert parsed["msgid"] == entry.type
        assert parsed["sd_id"] == "affidavit@32473"
        assert parsed["params"]["seq"] == str(entry.seq)
        assert parsed["params"]["uid"] == f"affidavit.test/log/{entry.seq}"
        assert parsed["params"].get("case") == entry.case
        assert event["metadata"]["sequence"] == entry.seq
        assert raw.isascii() and not raw.startswith(b"\xef\xbb\xbf")


def test_tcp_messages_are_octet_counted_rfc5424(
    activity: Activity, ledger: Ledger, syslog_tcp: SyslogReceiver
) -> None:
    entries = list(ledger.entries())
    target = sink(syslog_tcp.port)
    assert target.deliver(entries[:10]) == 10
    assert target.deliver(entries[10:]) == len(entries) - 10  # the connection is kept
    target.close()
    _check(_wait(syslog_tcp, len(entries)), entries)


def test_udp_sends_one_message_per_datagram(
    activity: Activity, ledger: Ledger, syslog_udp: SyslogReceiver
) -> None:
    entries = list(ledger.entries())[:12]
    target = sink(syslog_udp.port, transport="udp")
    target.deliver(entries)
    target.close()
    _check(_wait(syslog_udp, len(entries)), entries)


def test_a_large_event_is_shrunk_to_the_limit_and_still_parses(
    activity: Activity, ledger: Ledger, syslog_udp: SyslogReceiver
) -> None:
    entries = [e for e in ledger.entries() if e.type == "proposal.created"]
    target = sink(syslog_udp.port, transport="udp", max_message_bytes=600)
    target.deliver(entries)
    target.close()
    messages = _wait(syslog_udp, len(entries))
    for raw in messages:
        assert len(raw) <= 600
        parsed = parse_rfc5424(raw)
        event = json.loads(parsed["msg"])
        assert event["unmapped"] == {"affidavit": {"truncated": True}}
        assert event["metadata"]["uid"].startswith("affidavit.test/log/")


def test_structured_data_values_are_escaped() -> None:
    entry = Entry(
        type="approval.granted",
        actor="human:a",
        body={},
        case="C-1",
        time="2026-12-07T10:00:00.000001Z",
    )
    data = entry.encode()
    stored = StoredEntry(
        4, hashlib.sha256(data).digest(), data, entry.type, "C-1", "human:a", entry.time
    )
    event = {"severity_id": 4, "metadata": {"uid": 'odd"origin]\\x/4'}}
    raw = format_message(
        event,
        stored,
        facility=4,
        hostname="h",
        app_name="a",
        procid="1",
        sd_id="x@32473",
        max_bytes=2048,
    )
    parsed = parse_rfc5424(raw)
    assert parsed["params"]["uid"] == 'odd"origin]\\x/4'
    assert (parsed["facility"], parsed["severity"]) == (4, 3)
    assert frame(raw) == str(len(raw)).encode() + b" " + raw


def test_hostname_and_app_name_are_printable_ascii() -> None:
    entry = Entry(type="case.opened", actor="agent:x", body={}, time="2026-12-07T10:00:00.000001Z")
    data = entry.encode()
    stored = StoredEntry(0, b"\x00" * 32, data, entry.type, None, "agent:x", entry.time)
    raw = format_message(
        {"metadata": {"uid": "u"}},
        stored,
        facility=13,
        hostname="sóc 1",
        app_name="",
        procid="7",
        sd_id="x@1",
        max_bytes=2048,
    )
    parsed = parse_rfc5424(raw)
    assert parsed["hostname"] == "s-c-1" and parsed["app"] == "-"


def test_a_tcp_receiver_that_is_down_is_a_delivery_error(
    activity: Activity, ledger: Ledger
) -> None:
    target = sink(free_port(), timeout_s=0.5)
    with pytest.raises(DeliveryError, match=r"syslog tcp 127\.0\.0\.1"):
        target.deliver(list(ledger.entries())[:1])
    target.close()
