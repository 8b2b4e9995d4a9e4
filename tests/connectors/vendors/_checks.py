"""Assertions shared by the vendor connector tests."""

from __future__ import annotations

import json

import pytest

from affidavit.connectors import ActionResult


def assert_secret_absent(
    secrets: list[str], result: ActionResult | None, logs: pytest.LogCaptureFixture
) -> None:
    text = json.dumps(result.to_json()) if result is not None else ""
    logged = logs.text + "".join(str(r.args) for r in logs.records)
    for secret in secrets:
        assert secret not in text, "a credential reached the result"
        assert secret not in logged, "a credential reached the logs"


def assert_failed(result: ActionResult, kind: str, words: str) -> None:
    assert result.status == "failed", result.detail
    assert result.detail["error_kind"] == kind, result.detail
    assert words in result.detail["error"], result.detail["error"]
