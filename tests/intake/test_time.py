from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.intake._time import parse_timestamp

_MOMENT = datetime(2025, 1, 20, 9, 15, 42, 183000, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2025-01-20T09:15:42.1830000Z",  # Defender, seven digits
        "2025-01-20T09:15:42.183Z",
        "2025-01-20T09:15:42.183+00:00",
        "2025-01-20T18:15:42.183+09:00",
        "2025-01-20T04:15:42.183-0500",
        "2025-01-20 09:15:42.183",  # Panther: no offset means UTC
        "2025-01-20 09:15:42.183 UTC",
        1737364542183,  # epoch milliseconds
        1737364542.183,  # epoch seconds with fraction
        1737364542183000,  # microseconds
        1737364542183000000,  # nanoseconds (Falco evt.time)
        "1737364542183",
    ],
)
def test_vendor_time_spellings_agree(value: object) -> None:
    parsed = parse_timestamp(value)
    assert parsed is not None
    assert abs(parsed - _MOMENT) < timedelta(microseconds=2)


def test_seconds_and_nanosecond_text() -> None:
    assert parse_timestamp(1737380100) == datetime(2025, 1, 20, 13, 35, tzinfo=UTC)
    assert parse_timestamp("2025-01-20T11:45:22.384726153Z") == datetime(
        2025, 1, 20, 11, 45, 22, 384726, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -5,
        float("nan"),
        float("inf"),
        10**40,
        "",
        "yesterday",
        "2025-13-01T00:00:00Z",
        "2025-02-30 10:00",
        "1" * 30,
        "٢٠٢٥-01-01T00:00:00Z",
        "x" * 100,
        [],
        {},
    ],
)
def test_unusable_values_are_none(value: object) -> None:
    assert parse_timestamp(value) is None


@given(
    st.datetimes(
        min_value=datetime(1974, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_iso_text_and_epoch_milliseconds_round_trip(moment: datetime) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    assert parse_timestamp(text) == moment
    assert parse_timestamp(round(moment.timestamp() * 1000)) == moment
