"""RFC 8785 canonical JSON: the RFC's own vectors, properties, and hostile input."""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import hashlib
import json
import random
import re
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.canonical import _encode_fast, _encode_slow, decode, encode, sha256_hex
from affidavit.errors import InputError

# ----------------------------------------------------------------- strategies

# Characters where JSON escaping or UTF-16 ordering is easy to get wrong.
_TRICKY = (
    "\x00\x08\x0c\x1f\x7f\"\\/'\u0080\u00f6\u20ac\u2028\ud7ff\ue000\ufb33\uffff\U0001f600\U0010ffff"
)
_chars = st.sampled_from(_TRICKY) | st.characters(codec="utf-8")  # utf-8: no surrogates
texts = st.text(_chars, max_size=12)
# Short keys from few characters collide on prefixes, so UTF-16 vs code-point order gets tested.
_ORDER_TRAPS = "a\ud7ff\ue000\uffff\U00010000\U0001f600"
keys = st.text(_chars, max_size=6) | st.text(st.sampled_from(_ORDER_TRAPS), min_size=1, max_size=3)
safe_ints = st.integers(-(2**53 - 1), 2**53 - 1)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | safe_ints | finite_floats | texts

# What ``decode`` can give back: no tuples.
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)
python_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
    ),
    max_leaves=25,
)
# Mostly valid values with the odd leaf that must be refused.
_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_surrogate_texts = st.builds(lambda a, s, b: a + s + b, keys, _surrogates, keys)
_bad_leaves = (
    st.integers(min_value=2**53)
    | st.integers(max_value=-(2**53))
    | st.floats()  # NaN and infinities among them
    | _surrogate_texts
    | st.sets(st.integers(), max_size=2)
    | st.binary(max_size=2)
)
hostile_values = st.recursive(
    scalars | _bad_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(keys | _surrogate_texts | safe_ints, inner, max_size=4)
    ),
    max_leaves=25,
)

# Values the C-encoder path must accept: BMP keys, floats printed in fixed notation.
_fixed_floats = st.floats(min_value=1e-3, max_value=1e15).filter(lambda f: not f.is_integer())
_fast_scalars = (
    st.none() | st.booleans() | safe_ints | texts | _fixed_floats | _fixed_floats.map(lambda f: -f)
)
_bmp_keys = st.text(st.characters(codec="utf-8", max_codepoint=0xFFFF), max_size=6)
fast_values = st.recursive(
    _fast_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(_bmp_keys, inner, max_size=4)
    ),
    max_leaves=25,
)


def _double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


# ------------------------------------------------------------- RFC 8785 text

# RFC 8785 §3.2.2, the input exactly as printed (JSON text, not a Python literal).
RFC_SAMPLE_INPUT = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
# RFC 8785 §3.2.3 (canonical text) and §3.2.4 (its UTF-8 bytes).
RFC_SAMPLE_OUTPUT = (
    r"""{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"""
    r""""string":"€$\u000f\nA'B\"\\\\\"/"}"""
)
RFC_SAMPLE_UTF8_HEX = """
7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
"""

# RFC 8785 §3.2.3 sorting example: property names as JSON escapes, with their values.
RFC_SORTING_INPUT = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC_SORTED_VALUES = [
    "Carriage Return",
    "One",
    "Control",
    "Latin Small Letter O With Diaeresis",
    "Euro Sign",
    "Emoji: Grinning Face",
    "Hebrew Letter Dalet With Dagesh",
]

# RFC 8785 Appendix B: IEEE-754 bit pattern -> JSON representation.
APPENDIX_B = [
    ("0000000000000000", "0"),  # Zero
    ("8000000000000000", "0"),  # Minus zero
    ("0000000000000001", "5e-324"),  # Min pos number
    ("8000000000000001", "-5e-324"),  # Min neg number
    ("7fefffffffffffff", "1.7976931348623157e+308"),  # Max pos number
    ("ffefffffffffffff", "-1.7976931348623157e+308"),  # Max neg number
    ("4340000000000000", "9007199254740992"),  # Max pos int
    ("c340000000000000", "-9007199254740992"),  # Max neg int
    ("4430000000000000", "295147905179352830000"),  # ~2**68
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),  # Round to even
]
APPENDIX_B_NOT_NUMBERS = ["7fffffffffffffff", "7ff0000000000000"]  # NaN, Infinity


def test_rfc_sample_object() -> None:
    assert encode(decode(RFC_SAMPLE_INPUT)) == RFC_SAMPLE_OUTPUT.encode("utf-8")
    assert encode(decode(RFC_SAMPLE_INPUT)) == bytes.fromhex(RFC_SAMPLE_UTF8_HEX)


def test_rfc_sample_object_from_python_values() -> None:
    sample = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": '\u20ac$\x0f\nA\'B"\\\\"/',
        "literals": [None, True, False],
    }
    assert encode(sample) == bytes.fromhex(RFC_SAMPLE_UTF8_HEX)
    assert sha256_hex(sample) == hashlib.sha256(bytes.fromhex(RFC_SAMPLE_UTF8_HEX)).hexdigest()


def test_rfc_sorting_example() -> None:
    canonical = encode(decode(RFC_SORTING_INPUT))
    assert list(decode(canonical).values()) == RFC_SORTED_VALUES  # type: ignore[union-attr]
    # Only the carriage return is escaped; the rest is raw UTF-8.
    assert canonical.startswith(b'{"\\r":"Carriage Return","1":"One","\xc2\x80":"Control"')


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_rfc_appendix_b_numbers(bits: str, expected: str) -> None:
    value = _double(bits)
    assert encode(value) == expected.encode()
    assert encode({"n": [value]}) == f'{{"n":[{expected}]}}'.encode()
    assert _encode_slow(value) == expected.encode()
    assert float(expected) == value or (value == 0 and expected == "0")


@pytest.mark.parametrize("bits", APPENDIX_B_NOT_NUMBERS)
def test_rfc_appendix_b_nan_and_infinity_are_refused(bits: str) -> None:
    with pytest.raises(InputError, match="NaN or Infinity"):
        encode({"n": _double(bits)})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (100.0, "100"),
        (-0.0, "0"),
        (0.000001, "0.000001"),
        (123456789012345680000.0, "123456789012345680000"),
        (5e-324, "5e-324"),
        (4.5, "4.5"),
        (-1.5e-300, "-1.5e-300"),
        (2.0**53, "9007199254740992"),
    ],
)
def test_ecmascript_number_layout(value: float, expected: str) -> None:
    assert encode(value) == expected.encode()


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is the pair D83D DE00, which sorts before U+E000 in UTF-16.
    assert encode({"\ue000": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ue000":1}'.encode()
    locale_trap = {"sin": 4, "pêche": 3, "péché": 2, "peach": 1}
    assert list(decode(encode(locale_trap))) == ["peach", "péché", "pêche", "sin"]  # type: ignore[arg-type]


def test_string_escaping() -> None:
    short = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
    for code in range(0x20):
        expected = short.get(code, f"\\u{code:04x}")
        assert encode(chr(code)) == f'"{expected}"'.encode()
    assert encode('"\\') == b'"\\"\\\\"'
    # DEL, solidus, line separator and non-ASCII text go out as plain UTF-8.
    assert encode("\x7f/\u2028é\U0001f600") == '"\x7f/\u2028é\U0001f600"'.encode()


def test_tuples_are_arrays_and_bool_is_not_int() -> None:
    assert encode((1, "a", (True,))) == encode([1, "a", [True]]) == b'[1,"a",[true]]'
    assert encode({"t": True, "f": False, "one": 1, "zero": 0}) == (
        b'{"f":false,"one":1,"t":true,"zero":0}'
    )


def test_subclasses_encode_as_their_base_value() -> None:
    class Verdict(enum.StrEnum):
        ALLOW = "allow"

    class Level(enum.IntEnum):
        HIGH = 3

    class Loud(str):
        def __str__(self) -> str:
            return "LOUD"

    value = {Verdict.ALLOW: [Verdict.ALLOW, Level.HIGH, Loud("quiet")]}
    assert encode(value) == b'{"allow":["allow",3,"quiet"]}'
    assert encode(collections.OrderedDict(b=1, a=2)) == b'{"a":2,"b":1}'


def test_typical_ledger_entry_takes_the_fast_path() -> None:
    entry = {
        "seq": 184467,
        "kind": "proposal.created",
        "ts": "2025-11-28T04:25:13.482911Z",
        "actor": "agent:triage-1",
        "case_id": "case-7f3a9c2e",
        "payload_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    }
    assert _encode_fast(entry) is not None
    assert encode(entry) == _encode_slow(entry)


# ----------------------------------------------------------------- properties


def _reshuffled(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {key: _reshuffled(item, rnd) for key, item in items}
    if isinstance(value, list):
        return [_reshuffled(item, rnd) for item in value]
    return value


@given(python_values)
def test_idempotent(value: Any) -> None:
    canonical = encode(value)
    assert encode(decode(canonical)) == canonical


@given(json_values, st.randoms(use_true_random=False))
def test_key_insertion_order_does_not_matter(value: Any, rnd: random.Random) -> None:
    shuffled = _reshuffled(value, rnd)
    assert shuffled == value
    assert encode(shuffled) == encode(value)
    assert sha256_hex(shuffled) == sha256_hex(value)


@given(json_values)
def test_round_trip(value: Any) -> None:
    assert decode(encode(value)) == value


_ES_NUMBER = re.compile(
    r"-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?|[1-9](?:\.[0-9]*[1-9])?e[+-][1-9][0-9]*)"
)


@given(finite_floats)
def test_float_text_is_ecmascript_and_round_trips(value: float) -> None:
    text = encode(value).decode()
    assert float(text) == value
    assert _ES_NUMBER.fullmatch(text)
    # Number::toString switches to exponent form exactly outside [1e-6, 1e21).
    assert ("e" in text) == (value != 0 and not 1e-6 <= abs(value) < 1e21)


@settings(max_examples=300)
@given(fast_values)
def test_fast_path_takes_and_matches_slow_path(value: Any) -> None:
    fast = _encode_fast(value)
    assert fast is not None
    assert fast == _encode_slow(value)


@settings(max_examples=300)
@given(hostile_values)
def test_fast_path_matches_slow_path_whenever_it_answers(value: Any) -> None:
    fast = _encode_fast(value)
    try:
        slow = _encode_slow(value)
    except InputError:
        assert fast is None
        with pytest.raises(InputError):
            encode(value)
        return
    assert fast is None or fast == slow
    assert encode(value) == slow


_BAD_LEAVES = [float("nan"), float("inf"), float("-inf"), 2**53, -(2**53), b"x", {1}, 1j]
_path_steps = st.lists(
    st.integers(0, 3) | st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), max_size=6
)


@given(st.sampled_from(_BAD_LEAVES), _path_steps)
def test_refusals_name_the_json_path(bad: object, steps: list[int | str]) -> None:
    value: object = bad
    for step in reversed(steps):
        value = [None] * step + [value] if isinstance(step, int) else {"~": 0, step: value}
    path = "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in steps)
    with pytest.raises(InputError) as caught:
        encode(value)
    assert f" at {path} " in str(caught.value)


@given(texts, st.integers(0xD800, 0xDFFF), texts, st.booleans())
def test_lone_surrogates_are_refused(before: str, code: int, after: str, as_key: bool) -> None:
    text = before + chr(code) + after
    value = {text: 1} if as_key else {"k": [text]}
    with pytest.raises(InputError, match=f"lone surrogate U\\+{code:04X}"):
        encode(value)
    with pytest.raises(InputError, match="lone surrogate"):
        decode(f'{{"k": {json.dumps(before)[:-1]}\\u{code:04x}"}}')


@given(st.sampled_from([float("nan"), float("inf"), float("-inf")]), json_values)
def test_nan_and_infinity_are_refused_anywhere(bad: float, other: Any) -> None:
    with pytest.raises(InputError, match="NaN or Infinity"):
        encode({"other": other, "z": [other, bad]})


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [
        (b"bytes", "bytes"),
        (bytearray(b"x"), "bytearray"),
        ({1, 2}, "set"),
        (frozenset(), "frozenset"),
        (datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC), "datetime.datetime"),
        (decimal.Decimal("1.5"), "decimal.Decimal"),
        (object(), "object"),
    ],
)
def test_non_json_types_are_refused(bad: object, type_name: str) -> None:
    with pytest.raises(InputError) as caught:
        encode({"body": {"items": [0, 1, 2, bad]}})
    assert "$.body.items[3]" in str(caught.value)
    assert f"'{type_name}'" in str(caught.value)


@pytest.mark.parametrize("key", [1, None, True, 1.5, (1, 2), b"k"])
def test_non_string_keys_are_refused(key: object) -> None:
    with pytest.raises(
        InputError, match=r"The object at \$\.outer has the key .* JSON object keys"
    ):
        encode({"outer": {key: 1}})


def test_odd_key_names_are_quoted_in_paths() -> None:
    with pytest.raises(InputError, match=re.escape('$["a b"][0]')):
        encode({"a b": [set()]})


def _nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_limit() -> None:
    assert encode(_nested(256)) == b"[" * 256 + b"0" + b"]" * 256
    with pytest.raises(InputError, match="deeper than 256"):
        encode(_nested(257))
    with pytest.raises(InputError, match="deeper than 256"):
        encode({"a": {"b": _nested(255)}})
    objects: object = 0
    for _ in range(257):
        objects = {"k": objects}
    with pytest.raises(InputError, match=re.escape("at $.k.k.k.k.k.k....k.k.k.k nests deeper")):
        encode(objects)
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(InputError, match="contains itself"):
        encode(cycle)


def test_integer_range() -> None:
    assert encode([2**53 - 1, -(2**53 - 1)]) == b"[9007199254740991,-9007199254740991]"
    for number in (2**53, -(2**53), 10**30):
        with pytest.raises(InputError, match=r"outside ±\(2\*\*53 - 1\)"):
            encode({"n": number})


# ---------------------------------------------------------------------- decode


def test_decode_gives_plain_values() -> None:
    assert decode(b' {"a": [1, 2.5, "x", null, true]} ') == {"a": [1, 2.5, "x", None, True]}
    assert decode("9007199254740991") == 2**53 - 1
    # Beyond 2**53 - 1 an integer literal only means its binary64 value.
    beyond = decode("9007199254740993")
    assert isinstance(beyond, float)
    assert beyond == 2.0**53
    assert decode(encode(2.0**68)) == 2.0**68


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"a": 1, "b": {"c": 2, "c": 3}}', "repeats the object key 'c'"),
        (b'{"a": "\xff"}', "not valid UTF-8"),
        (b'"\xc0\xaf"', "not valid UTF-8"),  # overlong "/"
        (b'"\xed\xa0\x80"', "not valid UTF-8"),  # an encoded surrogate
        (b'\xef\xbb\xbf{"a": 1}', "malformed"),  # byte order mark
        ('{"n": NaN}', "NaN"),
        ("[Infinity]", "Infinity"),
        ("[-Infinity]", "-Infinity"),
        ("[1e400]", "too large"),
        ("-" + "9" * 400, "too large"),
        ('{"a": 1,}', "malformed"),
        ("[1] [2]", "malformed"),
        ("{'a': 1}", "malformed"),
        ("", "malformed"),
        ('"tab\there"', "malformed"),
        ('["\\udc00"]', "lone surrogate U\\+DC00"),
        ('{"\\ud83d": 1}', "object key .* lone surrogate U\\+D83D"),
        ("[" * 257 + "]" * 257, "deeper than 256"),
        ("[" * 100_000 + "]" * 100_000, "deeper than 256"),
    ],
)
def test_decode_refuses(data: bytes | str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        decode(data)


def test_decode_accepts_escaped_surrogate_pairs_and_refuses_other_types() -> None:
    assert decode('"\\ud83d\\ude00"') == "\U0001f600"
    assert decode("[" * 256 + "]" * 256) is not None
    with pytest.raises(InputError, match="bytes or str"):
        decode(123)  # type: ignore[arg-type]
