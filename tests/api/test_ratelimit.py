"""Per-identity rate limits shared by every process on one database (api_rate_windows)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.api.ratelimit import RateLimiter, RateWindows
from affidavit.errors import RateLimited
from affidavit.ledger.log import Ledger
from affidavit.store import Database


class Seconds:
    """Seconds since the epoch, moved by hand (a window boundary at 0)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _granted(limiter: RateLimiter, identity: str, n: int) -> int:
    ok = 0
    for _ in range(n):
        try:
            limiter.check(identity)
            ok += 1
        except RateLimited:
            pass
    return ok


def test_two_processes_on_one_database_share_one_limit(ledger: Ledger) -> None:
    clock = Seconds()
    # Two limiters, as two `serve` processes would hold them, on one database.
    first, second = (RateLimiter(5.0, 10, RateWindows(ledger.db), clock) for _ in range(2))
    assert _granted(first, "triage", 6) + _granted(second, "triage", 6) == 10
    with pytest.raises(RateLimited) as refused:
        second.check("triage")
    assert refused.value.retry_after == 2  # the 2-second window has just begun
    assert _granted(first, "other", 3) == 3  # per identity
    clock.now += 2.0  # the next window
    assert _granted(second, "triage", 20) == 10


def test_leased_blocks_never_exceed_the_limit_under_concurrency(ledger: Ledger) -> None:
    clock = Seconds()
    limiters = [RateLimiter(100.0, 200, RateWindows(ledger.db), clock) for _ in range(3)]
    assert limiters[0].block == 10

    def hammer(i: int) -> int:
        return _granted(limiters[i % 3], "triage", 40)

    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(hammer, range(12)))  # 480 asked of a 200 limit
    # Blocks leased by one node and unspent when the others ran dry are lost: at most
    # (block - 1) per node; never more than the limit.
    assert 200 - 3 * 9 <= total <= 200


@settings(max_examples=25, deadline=None)
@given(
    burst=st.integers(1, 60),
    asks=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 5)), max_size=40),
)
def test_the_sum_granted_in_a_window_never_exceeds_burst(
    tmp_path_factory: pytest.TempPathFactory, burst: int, asks: list[tuple[int, int]]
) -> None:
    from affidavit.store.engine import open_database

    path = tmp_path_factory.mktemp("rl") / "rl.db"
    db: Database = open_database(f"sqlite:///{path}")
    try:
        clock = Seconds()
        limiters = [RateLimiter(1.0, burst, RateWindows(db), clock) for _ in range(3)]
        granted = sum(_granted(limiters[node], "a", n) for node, n in asks)
        assert granted == min(burst, sum(n for _, n in asks)) or burst >= 20
        assert granted <= burst
    finally:
        db.close()


def test_no_limit_writes_nothing(ledger: Ledger) -> None:
    limiter = RateLimiter(0.0, 1, RateWindows(ledger.db), Seconds())
    assert _granted(limiter, "triage", 50) == 50
