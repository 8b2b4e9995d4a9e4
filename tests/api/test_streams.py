"""Where an event stream resumes (affidavit.api.streams): one rule for the API and the
console."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.api.streams import resume_after
from affidavit.errors import InputError


@given(
    last=st.one_of(st.none(), st.integers(0, 10**17).map(str)),
    after=st.one_of(st.none(), st.integers(-1, 10**6)),
    size=st.integers(0, 10**5),
)
def test_a_stream_never_resumes_outside_the_ledger(
    last: str | None, after: int | None, size: int
) -> None:
    position = resume_after(last, after, size)
    assert -1 <= position <= max(size - 1, -1)
    if last is None and after is None:
        assert position == size - 1  # from now on
    if last is not None and int(last) < size:
        assert position == int(last)  # the browser's reconnect wins over the URL's after


def test_an_after_past_the_end_is_clamped_to_now() -> None:
    assert resume_after(None, 2**40, 10) == 9
    assert resume_after("99999", 3, 10) == 9


@pytest.mark.parametrize("bad", ["", "-1", "1.5", "abc", "1" * 19, "٣"])
def test_a_last_event_id_that_is_not_a_sequence_number_is_refused(bad: str) -> None:
    with pytest.raises(InputError, match="Last-Event-ID"):
        resume_after(bad, None, 10)
