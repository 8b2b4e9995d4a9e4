from __future__ import annotations

import dataclasses

import pytest

from affidavit.errors import InputError
from affidavit.protect import DataClass, Finding


def test_finding_is_frozen_and_coerces_the_data_class_name() -> None:
    finding = Finding("secret", "aws_access_key_id", 4, 24, "aws")  # type: ignore[arg-type]
    assert finding.data_class is DataClass.SECRET
    assert finding.data_class == "secret"
    assert finding.span == (4, 24)
    assert finding.placeholder == "[SECRET:aws_access_key_id]"
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.start = 0  # type: ignore[misc]


def test_value_recovers_the_span_and_refuses_a_shorter_text() -> None:
    finding = Finding(DataClass.PII, "email", 3, 8, "contact")
    assert finding.value("to a@b.c now") == "a@b.c"
    with pytest.raises(InputError):
        finding.value("abc")


@pytest.mark.parametrize(
    "args",
    [
        ("top_secret", "aws_access_key_id", 0, 1, "aws"),
        (DataClass.SECRET, "Bad Kind", 0, 1, "aws"),
        (DataClass.SECRET, "kind", 0, 1, ""),
        (DataClass.SECRET, "kind", 5, 5, "aws"),
        (DataClass.SECRET, "kind", -1, 3, "aws"),
        (DataClass.SECRET, "kind", 1.0, 3, "aws"),
        (DataClass.SECRET, "kind", True, 3, "aws"),
    ],
)
def test_invalid_findings_are_refused(args: tuple[object, ...]) -> None:
    with pytest.raises(InputError):
        Finding(*args)  # type: ignore[arg-type]
