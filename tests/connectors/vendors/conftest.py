"""Fixtures for the vendor connectors: a recorded sleep, a fixed clock, logs at DEBUG."""

from __future__ import annotations

import logging

import pytest

from tests.connectors._shared import Clock
from tests.connectors.vendors._fake import Sleeps


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG (httpx and httpcore included), to prove no secret is logged."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def fixed_clock() -> Clock:
    return Clock()
