from __future__ import annotations

import ipaddress
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.protect.validators import (
    char_classes,
    iban_valid,
    ipv4_in,
    ipv6_in,
    is_placeholder,
    jwt_header_valid,
    luhn_valid,
    shannon_entropy,
    us_ssn_valid,
)
from affidavit.samples.secrets import iban, luhn_complete


@pytest.mark.parametrize(
    "number", ["4111111111111111", "5500 0000 0000 0004", "378282246310005", "79927398713"]
)
def test_luhn_accepts_published_test_numbers(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4111111111111112", "79927398710", "", "1234"])
def test_luhn_rejects_wrong_check_digits(number: str) -> None:
    assert not luhn_valid(number)


@given(st.text(alphabet="0123456789", min_size=1, max_size=18), st.integers(1, 9))
def test_luhn_catches_every_single_digit_change(body: str, delta: int) -> None:
    import random

    number = luhn_complete("4", len(body) + 2, random.Random(body))
    changed = number[:-1] + str((int(number[-1]) + delta) % 10)
    assert luhn_valid(number) and not luhn_valid(changed)


@pytest.mark.parametrize(
    "value",
    [
        "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32",
        "NL91ABNA0417164300",
        "FR1420041010050500013M02606",
    ],
)
def test_iban_accepts_registry_examples(value: str) -> None:
    assert iban_valid(value)


@pytest.mark.parametrize(
    "value", ["DE89370400440532013001", "GB82WEST1234569876543", "DE", "DE89-3704"]
)
def test_iban_rejects_bad_checksums_and_junk(value: str) -> None:
    assert not iban_valid(value)


@given(st.integers(0, 2**32))
def test_generated_ibans_validate(seed: int) -> None:
    import random

    assert iban_valid(iban(random.Random(seed)))


@pytest.mark.parametrize(
    ("ssn", "valid"),
    [
        ("536-22-1234", True),
        ("001-01-0001", True),
        ("000-22-1234", False),
        ("666-22-1234", False),
        ("900-22-1234", False),
        ("999-22-1234", False),
        ("536-00-1234", False),
        ("536-22-0000", False),
        ("078-05-1120", False),
        ("53622123", False),
    ],
)
def test_ssn_rules(ssn: str, valid: bool) -> None:
    assert us_ssn_valid(ssn) is valid


def test_entropy_of_known_strings() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
    assert math.isclose(shannon_entropy("password"), 2.75)
    assert shannon_entropy("9f8e7d6c5b4a39281716a5b4c3d2e1f0") > 3.5


def test_char_classes_ignore_identifier_separators() -> None:
    assert char_classes("default_value") == 1
    assert char_classes("P@ssw0rd") == 4
    assert char_classes("abc123") == 2


@pytest.mark.parametrize(
    "value",
    [
        "****",
        "xxxx",
        "$DB_PASS",
        "${SECRET}",
        "%PASSWORD%",
        "<password>",
        "{{ vault }}",
        "[REDACTED]",
        "null",
        "Password",
        "changeme",
    ],
)
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["Winter2024!", "hunter22x", "S3cret$9"])
def test_real_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


def test_ipv4_ranges() -> None:
    check = ipv4_in([ipaddress.IPv4Network("10.0.0.0/8"), ipaddress.IPv4Network("172.16.0.0/12")])
    assert check("10.255.0.1") and check("172.31.255.255")
    assert not check("172.32.0.1") and not check("11.0.0.1")
    assert not check("10.0.0.256") and not check("10.00.0.1") and not check("10.0.0")


def test_ipv6_ranges() -> None:
    check = ipv6_in([ipaddress.IPv6Network("fc00::/7")])
    assert check("fd12:3456::1") and check("FC00:0:0:0:0:0:0:1")
    assert not check("fe80::1") and not check("2001:db8::1") and not check("fd12::3456::1")


def test_jwt_header() -> None:
    assert jwt_header_valid("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.x.y")
    assert not jwt_header_valid("eyJzdWIiOiIxMjM0NTY3ODkwIn0.x.y")  # no alg or typ
    assert not jwt_header_valid("eyJ!!!.x.y")


def test_every_template_word_marks_a_token_as_a_template() -> None:
    from affidavit.protect.validators import _TEMPLATE_WORDS, placeholder_token

    for word in _TEMPLATE_WORDS:
        assert placeholder_token(f"ghp_{word.upper()}tokenR8aQ2mK9vL4n")
    assert not placeholder_token("ghp_R8aQ2mK9vL4nP7sT1wX5yZ3bC6dF0gH2jK4l")


def test_entropy_is_the_same_with_either_counter() -> None:
    from affidavit.protect.validators import _counter_counts, _helper_counts

    for value in ("", "aaaa", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "ﬁ①ｘ" * 9):
        assert sorted(_counter_counts(value)) == sorted(_helper_counts(value))
