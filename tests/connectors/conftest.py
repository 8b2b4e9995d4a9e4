"""Connector fixtures: the migrated database of the shared ``ledger`` fixture, and a clock."""

from __future__ import annotations

import pytest

from affidavit.ledger.log import Ledger
from affidavit.store import Database
from tests.connectors._shared import Clock


@pytest.fixture
def db(ledger: Ledger) -> Database:
    """A database migrated to the newest revision, connector tables included."""
    return ledger.db


@pytest.fixture
def clock() -> Clock:
    return Clock()
