"""Shared fixtures: a fresh AFFIDAVIT_HOME per test, and the ledger in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from affidavit.config import Settings, load_settings
from affidavit.ledger.log import Ledger

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("AFFIDAVIT_HOME", str(home))
    monkeypatch.delenv("AFFIDAVIT_DATABASE_URL", raising=False)
    return home


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings({"AFFIDAVIT_HOME": str(home), "AFFIDAVIT_CHECKPOINT_INTERVAL": "0"})


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    with Ledger.open(settings) as opened:
        yield opened
