"""The optional Presidio adapter. Its functional test runs only where presidio-analyzer
is installed (it is not a project dependency)."""

from __future__ import annotations

import importlib.util

import pytest

from affidavit.errors import ConfigError
from affidavit.protect import DataClass, Scanner
from affidavit.protect.presidio import presidio_detector

_INSTALLED = importlib.util.find_spec("presidio_analyzer") is not None


@pytest.mark.skipif(_INSTALLED, reason="presidio-analyzer is installed here")
def test_missing_presidio_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError, match="pip install presidio-analyzer"):
        presidio_detector()


def test_presidio_recognizers_run_as_a_detector() -> None:
    pytest.importorskip("presidio_analyzer")
    detector = presidio_detector(entities=["EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN"])
    kinds = {k.name: k.data_class for k in detector.kinds}
    assert kinds == {
        "presidio_email_address": DataClass.PII,
        "presidio_credit_card": DataClass.FINANCIAL,
        "presidio_us_ssn": DataClass.PII,
    }
    text = "mail bob@example.com card 4111 1111 1111 1111"
    found = [(f.kind, f.value(text)) for f in Scanner(detectors=[detector], engine="re").scan(text)]
    assert ("presidio_email_address", "bob@example.com") in found
    assert ("presidio_credit_card", "4111 1111 1111 1111") in found
    with pytest.raises(ConfigError, match="no pattern recognizer for NOT_AN_ENTITY"):
        presidio_detector(entities=["NOT_AN_ENTITY"])
