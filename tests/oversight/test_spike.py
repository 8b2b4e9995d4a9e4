"""Spike detection: the decaying alert rate, its hysteresis, and the Governor's policy context."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.config import Settings
from affidavit.errors import InputError
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger
from affidavit.oversight.spike import SpikeDetector, SpikeSettings, ledger_seconds
from affidavit.samples.alerts import generate_alerts
from tests.governance.conftest import Cast, Clock, add_cast
from tests.oversight.conftest import governor

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC).timestamp()


def test_a_steady_rate_settles_at_alerts_per_15_minutes() -> None:
    detector = SpikeDetector(SpikeSettings(on=1000))
    for i in range(2000):  # 100 alerts per 15 minutes, for 5 hours
        detector.observe(T0 + i * 9.0)
    assert detector.rate(T0 + 1999 * 9.0) == pytest.approx(100, rel=0.01)
    assert not detector.active


def test_a_surge_starts_above_on_and_ends_below_off_not_before() -> None:
    detector = SpikeDetector(SpikeSettings(on=100, off_ratio=0.5, tau_s=900))
    for i in range(120):  # a burst of 120 alerts in two minutes
        detector.observe(T0 + i)
    assert detector.surging(T0 + 120)
    # After alert i (one a second) the weight is the geometric sum (1 - q**(i+1)) / (1 - q).
    q = math.exp(-1 / 900)
    crossing = next(i for i in range(120) if (1 - q ** (i + 1)) / (1 - q) > 100)
    assert crossing == 105
    assert detector.all_periods()[0].start == "2026-11-28T09:01:45.000000Z"
    # Between off (50) and on (100) the surge lasts: hysteresis, no flapping.
    rate = detector.rate(T0 + 120)  # the detector was last advanced to T0 + 120
    ends_at = T0 + 120 + 900 * math.log(rate / 50)
    assert detector.surging(ends_at - 1)
    assert not detector.surging(ends_at + 1)
    [period] = detector.all_periods()
    assert ledger_seconds(period.end or "") == pytest.approx(ends_at, abs=1e-3)
    assert period.peak == pytest.approx((1 - q**120) / (1 - q))  # at the last alert
    # Asking later, or never, finds the same end: it is computed from the decay.
    other = SpikeDetector(SpikeSettings(on=100, off_ratio=0.5, tau_s=900))
    for i in range(120):
        other.observe(T0 + i)
    other.observe(T0 + 86400)
    assert other.all_periods()[0] == period


@given(st.lists(st.floats(min_value=0, max_value=86400), max_size=300))
def test_the_rate_is_never_negative_and_periods_never_overlap(offsets: list[float]) -> None:
    detector = SpikeDetector(SpikeSettings(on=20, off_ratio=0.3, tau_s=300))
    for offset in sorted(offsets):
        detector.observe(T0 + offset)
        assert detector.rate(T0 + offset) >= 0
    detector.surging(T0 + 10 * 86400)
    periods = detector.all_periods()
    for earlier, later in itertools.pairwise(periods):
        assert earlier.end is not None and earlier.start <= earlier.end <= later.start


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"on": 0}, "threshold"),
        ({"on": math.inf}, "threshold"),
        ({"off_ratio": 1.0}, "off ratio"),
        ({"tau_s": -5}, "time constant"),
    ],
)
def test_bad_spike_settings_are_refused(values: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        SpikeSettings(**values)


def _ingest(gov: Governor, count: int, seed: int) -> None:
    gov.ingest_objects(generate_alerts(count, seed=seed), case=None, actor="system:test")


def _isolate(gov: Governor, cast: Cast, case: str) -> dict[str, object]:
    proposal = gov.propose(
        cast.triage, case=case, action="isolate_host", target="host:pc-1", confidence=0.9
    )
    entry = gov.ledger.entry(proposal.seq).body
    return {
        "spike": entry["decision_inputs"]["context"]["spike"],
        "approvals": proposal.approvals_required,
    }


def test_a_surge_sets_the_policy_spike_context_and_clears_it_after(
    timed_ledger: Ledger, settings: Settings, clock: Clock
) -> None:
    gov = governor(timed_ledger, settings, clock, spike_alerts_per_15m=20)
    cast = add_cast(gov)
    assert _isolate(gov, cast, "CASE-1") == {"spike": False, "approvals": 1}
    assert not gov.spike()
    _ingest(gov, 30, 0)  # 30 alerts at once
    assert not gov.spike()  # the ledger is read at most once per second of the clock
    clock.advance(seconds=1)
    assert gov.spike()
    for seed in range(1, 3):  # and 20 more within the minute
        _ingest(gov, 10, seed * 100)
        clock.advance(seconds=20)
    assert gov.spike()
    assert _isolate(gov, cast, "CASE-2") == {"spike": True, "approvals": 2}
    clock.advance(minutes=10)  # decayed to about 50 * e**-(2/3) = 26 > 10 (off): still a surge
    assert gov.spike()
    clock.advance(minutes=30)
    assert not gov.spike()
    assert _isolate(gov, cast, "CASE-3") == {"spike": False, "approvals": 1}
    # A new Governor (another process) reads the recent alerts back and agrees.
    clock.advance(minutes=-39)
    assert governor(timed_ledger, settings, clock, spike_alerts_per_15m=20).spike()
