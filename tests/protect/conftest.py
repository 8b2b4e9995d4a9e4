"""Scanners shared by the protect tests (compiling the detectors takes a moment)."""

from __future__ import annotations

import pytest

from affidavit.protect import Scanner
from affidavit.protect.engines import hyperscan_available


@pytest.fixture(scope="session")
def re_scanner() -> Scanner:
    return Scanner(engine="re")


@pytest.fixture(scope="session")
def hs_scanner() -> Scanner:
    if not hyperscan_available():
        pytest.skip("hyperscan is not installed")
    return Scanner(engine="hyperscan")


@pytest.fixture(scope="session", params=["re", "hyperscan"])
def scanner(request: pytest.FixtureRequest) -> Scanner:
    fixture = "re_scanner" if request.param == "re" else "hs_scanner"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]
