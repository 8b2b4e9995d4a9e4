"""Tests for affidavit.policy.targets: KIND:ID parsing, including hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.errors import InputError
from affidavit.policy.targets import (
    MAX_TARGET_ID_LENGTH,
    Target,
    canonical_id,
    canonical_target,
    parse_target,
)

KINDS = st.from_regex(r"[a-z][a-z0-9_]{0,31}", fullmatch=True)
IDS = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")),
    min_size=1,
    max_size=80,
) | st.builds(lambda a, b: f"{a} {b}", st.text("ab:", min_size=1), st.text("xy/", min_size=1))


@pytest.mark.parametrize(
    ("text", "kind", "ident"),
    [
        ("host:pc-sales-0215", "host", "pc-sales-0215"),
        ("ip:203.0.113.7", "ip", "203.0.113.7"),
        ("ip:2001:db8::1", "ip", "2001:db8::1"),
        ("user:alice@corp.example", "user", "alice@corp.example"),
        ("url:https://example.test/a?b=c", "url", "https://example.test/a?b=c"),
        ("file:C:\\Program Files\\x.exe", "file", "C:\\Program Files\\x.exe"),
        ("case:INC-1042", "case", "INC-1042"),
        ("user:Zoë", "user", "Zoë"),
    ],
)
def test_parses_kind_and_id(text: str, kind: str, ident: str) -> None:
    target = parse_target(text)
    assert (target.kind, target.id) == (kind, ident)
    assert str(target) == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "KIND:ID"),
        ("pc-sales-0215", "KIND:ID"),
        (":pc-1", "not valid"),
        ("host:", "must not be empty"),
        ("Host:pc-1", "not valid"),
        ("host name:pc-1", "not valid"),
        ("1host:pc-1", "not valid"),
        ("h" * 33 + ":pc-1", "not valid"),
        ("host:pc-1\n", "control"),
        ("host:pc\x00-1", "control"),
        ("host:pc-\u202e1", "control"),  # right-to-left override
        ("host:pc\u200b-1", "control"),  # zero-width space
        ("host:\u2028pc", "control"),
        ("host: pc-1", "space"),
        ("host:pc-1 ", "space"),
        ("host:" + "x" * (MAX_TARGET_ID_LENGTH + 1), "characters long"),
        ("host:" + "x" * 100_000, "characters long"),
    ],
)
def test_refuses_malformed_targets(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_target(text)


@pytest.mark.parametrize("value", [None, 42, b"host:pc-1", ["host", "pc-1"]])
def test_refuses_non_strings(value: object) -> None:
    with pytest.raises(InputError, match="must be a string"):
        parse_target(value)


def test_target_validates_on_construction() -> None:
    with pytest.raises(InputError):
        Target("HOST", "pc-1")
    with pytest.raises(InputError):
        Target("host", "")


@given(KINDS, IDS)
def test_format_then_parse_round_trips(kind: str, ident: str) -> None:
    ident = ident.strip() or "x"
    target = Target(kind, ident)
    assert parse_target(str(target)) == target


@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_raises_input_error(text: str) -> None:
    try:
        target = parse_target(text)
    except InputError:
        return
    assert str(target) == text
    assert target.id.isprintable()


# -- the canonical spelling (issue 9, item 10) ------------------------------------

_LABEL = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
    min_size=1,
    max_size=12,
)
_DNS = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)
_ANY_ID = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
)
_KINDS = st.sampled_from(
    ["host", "domain", "user", "mailbox", "email", "ip", "file", "url", "case"]
)


@given(kind=_KINDS, ident=_ANY_ID)
def test_canonical_spelling_is_idempotent_and_a_valid_target(kind: str, ident: str) -> None:
    once = canonical_id(kind, ident)
    assert canonical_id(kind, once) == once
    Target(kind, once)  # still a valid target id


@given(kind=st.sampled_from(["host", "domain"]), name=_DNS, dot=st.booleans())
def test_dns_names_ignore_case_and_a_trailing_dot(kind: str, name: str, dot: bool) -> None:
    spelled = name.upper() + ("." if dot else "")
    assert canonical_id(kind, spelled) == canonical_id(kind, name.lower()) == name.lower()


@given(kind=st.sampled_from(["user", "mailbox", "email"]), local=_LABEL, domain=_DNS)
def test_accounts_ignore_case(kind: str, local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert canonical_id(kind, address.swapcase()) == canonical_id(kind, address) == address.lower()


@given(st.ip_addresses())
def test_every_spelling_of_an_address_is_one_id(address: object) -> None:
    import ipaddress

    text = str(address)
    mapped = getattr(address, "ipv4_mapped", None)
    expected = str(mapped) if mapped is not None else text
    assert canonical_id("ip", text.upper()) == canonical_id("ip", text) == expected
    if isinstance(address, ipaddress.IPv6Address):
        assert canonical_id("ip", address.exploded) == expected
    else:
        assert canonical_id("ip", f"::ffff:{text}") == text


@given(ident=_ANY_ID)
def test_case_ids_are_kept_exactly(ident: str) -> None:
    assert canonical_id("case", ident) == ident
    assert canonical_target(Target("case", ident)) == Target("case", ident)
