"""OCSF events as JSON lines, POSTed in batches to a SIEM intake on 127.0.0.1."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from affidavit.export import DeliveryError, ExportConfig, HttpSink, Redactor
from affidavit.ledger.log import Ledger
from affidavit.protect import DataClass
from tests.export._receivers import HttpReceiver, free_port
from tests.export.conftest import PLANTED, Activity

TOKEN = "siem-intake-token-planted-9Xk2Lm"


def sink(url: str, **extra: Any) -> HttpSink:
    config = ExportConfig.parse(
        {"sinks": {"siem": {"type": "http", "url": url, "token_env": "SIEM_TOKEN", **extra}}}
    )
    return HttpSink(
        config.sinks[0],
        "affidavit.test/log",
        Redactor({DataClass.SECRET, DataClass.CREDENTIAL}),
        environ={"SIEM_TOKEN": TOKEN},
    )


def test_a_batch_is_one_post_of_json_lines(
    activity: Activity, ledger: Ledger, siem: HttpReceiver
) -> None:
    entries = [e for e in ledger.entries() if e.type.startswith(("proposal", "execution"))]
    target = sink(siem.url)
    try:
        assert target.deliver(entries) == len(entries)
    finally:
        target.close()
    [post] = siem.posts
    headers = post["headers"]
    assert headers["content-type"] == "application/x-ndjson"
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["idempotency-key"] == f"affidavit.test/log/{entries[0].seq}-{entries[-1].seq}"
    events = post["events"]
    assert [e["metadata"]["sequence"] for e in events] == [e.seq for e in entries]
    assert all(e["class_uid"] == 6003 for e in events)
    text = json.dumps(events)
    for planted in PLANTED:
        assert planted not in text


@pytest.mark.parametrize(
    ("answer", "words", "retry_after"),
    [
        ((500, {}), "answered HTTP 500", None),
        ((429, {"Retry-After": "30"}), "answered HTTP 429", 30.0),
        ((413, {}), "lower batch_size", None),
        ((302, {"Location": "http://127.0.0.1:9/"}), "answered HTTP 302", None),
        ((401, {}), "answered HTTP 401", None),
    ],
)
def test_anything_but_2xx_is_not_an_acknowledgement(
    activity: Activity,
    ledger: Ledger,
    siem: HttpReceiver,
    answer: Any,
    words: str,
    retry_after: float | None,
) -> None:
    siem.answers.append(answer)
    target = sink(siem.url)
    with pytest.raises(DeliveryError, match=words) as caught:
        target.deliver(list(ledger.entries())[:3])
    target.close()
    assert caught.value.retry_after_s == retry_after
    assert TOKEN not in caught.value.message


def test_down_or_silent_receivers_are_delivery_errors(activity: Activity, ledger: Ledger) -> None:
    entries = list(ledger.entries())[:2]
    down = sink(f"http://127.0.0.1:{free_port()}/ingest?token={TOKEN}")
    with pytest.raises(DeliveryError, match="could not connect") as caught:
        down.deliver(entries)
    down.close()
    assert TOKEN not in caught.value.message


def test_the_token_can_come_from_a_0600_secrets_file(
    activity: Activity, ledger: Ledger, siem: HttpReceiver, tmp_path: Path
) -> None:
    path = tmp_path / "secrets.yaml"
    path.write_text(f"siem:\n  token: {TOKEN}\n")
    os.chmod(path, 0o600)
    config = ExportConfig.parse(
        {"sinks": {"siem": {"type": "http", "url": siem.url, "secrets_file": str(path)}}}
    )
    target = HttpSink(config.sinks[0], "o", Redactor(set()), environ={})
    target.deliver(list(ledger.entries())[:1])
    target.close()
    assert siem.posts[0]["headers"]["authorization"] == f"Bearer {TOKEN}"
