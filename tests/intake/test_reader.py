from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from affidavit.errors import InputError
from affidavit.intake import DEFAULT_LIMITS, ReaderLimits, located_alerts, read_alerts
from affidavit.intake._envelopes import envelope_items

from ._shared import shared_data


def _read(data: bytes, limits: ReaderLimits = DEFAULT_LIMITS) -> list[dict[str, Any]]:
    return list(read_alerts(data, limits=limits))


def test_single_object_array_and_json_lines() -> None:
    one, two = {"a": 1}, {"b": [True, None, 2.5, "x"]}
    assert _read(b'  {"a": 1}\n') == [one]
    assert _read(json.dumps([one, two], indent=2).encode()) == [one, two]
    assert _read(b'{"a": 1}\r\n\r\n{"b": [true, null, 2.5, "x"]}\n') == [one, two]
    assert _read(b"[]") == []
    assert _read(b"\xef\xbb\xbf" + b'{"a": 1}') == [one]  # UTF-8 byte-order mark
    assert _read('{"name": "Zoë ✓"}'.encode()) == [{"name": "Zoë ✓"}]


def test_pretty_printed_object_is_one_alert() -> None:
    assert _read(b'{\n  "a": {\n    "b": 1\n  }\n}\n') == [{"a": {"b": 1}}]


def test_real_json_lines_logs_are_read_line_by_line() -> None:
    path = shared_data() / "logs" / "ec2_proxy_s3_exfiltration_2020-09-14011940.json"
    records = _read(path.read_bytes())
    assert len(records) == 103
    assert all(record["eventSource"] for record in records)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b" \n\t ", "empty"),
        (b'{"a": 1}\x00', "binary, not JSON text .NUL byte on line 1"),
        (b'{"a": 1}\n{"b": "\xff"}', r"not valid UTF-8 \(line 2, byte offset 16\)"),
        (b'\xff\xfe{\x00"\x00', "UTF-16"),
        (b"42", "starts with '4'"),
        (b'"text"', "starts with"),
        (b"[1, 2]", r"item 0 \(line 1\) is a JSON int, not a JSON object"),
        (b'[{"a": 1}, [2]]', r"item 1 \(line 1\) is an array, not a JSON object"),
        (b'[{"a": 1},\n {"a": }]', r"item 1 \(line 2, column 8\): Expecting value"),
        (b'[{"a": 1}, ]', r"item 1 \(line 1, column 12\): Expecting value"),
        (b'[{"a": 1} {"b": 2}]', "expected ',' or ']' after item 0"),
        (b'[{"a": 1}', "expected ',' or ']' after item 0"),
        (b'[{"a": 1}] x', "unexpected text after the JSON array"),
        (
            b'{"a": 1}\n{"b": 2}\n  {"c": \n{"d": 4}',
            r"line 3, column 9: Expecting value .*JSON lines",
        ),
        (b'{"a": 1}\n[{"b": 2}]', r"line 2 is an array, not a JSON object"),
        (b'{"a": 1}\n7', "line 2 is a JSON int"),
        (b'{"a": 1} {"b": 2}', "line 1, column 10: more than one JSON value"),
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
        (b'[{"x": NaN}]', r"item 0 .*NaN is not valid JSON"),
        (b'{"x": -Infinity}', "-Infinity is not valid JSON"),
        (b'{"n": ' + b"9" * 5000 + b"}", "line 1, column 1: Exceeds the limit"),
        (b'{"a": "\\ud800"}', r"not valid Unicode at \$\.a"),
        (b'{"a": 1', "line 1, column 8: Expecting ',' delimiter"),
    ],
)
def test_bad_input_is_an_input_error_naming_where(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _read(data)


def test_input_wide_problems_are_raised_before_iterating() -> None:
    with pytest.raises(InputError, match="binary"):
        read_alerts(b"\x00\x01")
    with pytest.raises(InputError, match="bytes"):
        read_alerts("text")  # type: ignore[arg-type]


def _nested(depth: int) -> bytes:
    # An alert whose innermost value sits inside `depth` objects (the alert included).
    return ('{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)).encode()


def test_nesting_limit() -> None:
    assert len(_read(_nested(64))) == 1
    with pytest.raises(InputError, match=r"nested deeper than 64 levels at \$\.a\.a"):
        _read(_nested(65))
    with pytest.raises(InputError, match=r"item 0 \(line 1, column 2\): nested far too deeply"):
        _read(b"[" * 200_000)
    with pytest.raises(InputError, match=r"item 0 .*nested far too deeply"):
        _read(b"[" + b'{"a":' * 100_000)


def test_size_and_count_limits() -> None:
    limits = ReaderLimits(max_input_bytes=200, max_alert_bytes=40, max_depth=4, max_alerts=3)
    small = b'{"k": "v"}'
    assert len(_read(b"\n".join([small] * 3), limits)) == 3
    with pytest.raises(InputError, match="the input is 201 bytes; the limit is 200 bytes"):
        read_alerts(b" " * 201, limits=limits)
    with pytest.raises(InputError, match="more than 3 alerts"):
        _read(b"\n".join([small] * 4), limits)
    with pytest.raises(InputError, match="more than 3 alerts"):
        _read(b"[" + b",".join([small] * 4) + b"]", limits)
    big = json.dumps({"k": "v" * 40}).encode()
    with pytest.raises(InputError, match="line 2 is larger than 40 bytes"):
        _read(small + b"\n" + big, limits)
    with pytest.raises(InputError, match=r"item 1 \(line 1\) is larger than 40 bytes"):
        _read(b"[" + small + b"," + big + b"]", limits)
    with pytest.raises(InputError, match=r"the alert \(line 1\) is larger than 40 bytes"):
        _read(big, limits)
    # Multi-byte characters count as bytes, not characters.
    with pytest.raises(InputError, match="larger than 40 bytes"):
        _read(json.dumps({"k": "é" * 20}, ensure_ascii=False).encode(), limits)


def test_default_limits_are_documented_values() -> None:
    documented = ReaderLimits(
        max_input_bytes=64 * 1024 * 1024,
        max_alert_bytes=1024 * 1024,
        max_depth=64,
        max_alerts=100_000,
    )
    assert documented == DEFAULT_LIMITS


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_give_objects_or_an_input_error(data: bytes) -> None:
    try:
        records = _read(data)
    except InputError:
        return
    assert all(isinstance(record, dict) for record in records)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_random_json_documents_round_trip_or_are_refused(value: Any) -> None:
    # API response pages are unwrapped (tested below); these round-trip as they are.
    assume(all(envelope_items(v) is None for v in (value if isinstance(value, list) else [value])))
    data = json.dumps(value).encode()
    try:
        records = _read(data)
    except InputError:
        assert not isinstance(value, dict)
        assert not (isinstance(value, list) and all(isinstance(v, dict) for v in value))
        return
    expected = value if isinstance(value, list) else [value]
    assert records == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=6), _JSON, max_size=4), min_size=1, max_size=6))
def test_json_lines_round_trip(records: list[dict[str, Any]]) -> None:
    assume(all(envelope_items(record) is None for record in records))
    data = "\n".join(json.dumps(record, ensure_ascii=False) for record in records).encode()
    assert _read(data) == records


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.text(max_size=4), st.integers(), max_size=3), min_size=2, max_size=6
    ),
    st.data(),
)
def test_one_bad_json_line_is_named(records: list[dict[str, Any]], data: st.DataObject) -> None:
    lines = [json.dumps(record) for record in records]
    bad = data.draw(st.integers(min_value=1, max_value=len(lines) - 1))
    lines[bad] = lines[bad][:-1]  # drop the closing brace
    with pytest.raises(InputError, match=f"^line {bad + 1}, column"):
        _read("\n".join(lines).encode())


def test_located_alerts_name_where_each_object_was_found() -> None:
    assert [where for where, _ in located_alerts(b'[{"a": 1},\n{"b": 2}]')] == [
        "item 0 (line 1)",
        "item 1 (line 2)",
    ]
    assert list(located_alerts(b'\n{"a": 1}\n\n{"b": 2}\n')) == [
        ("line 2", {"a": 1}),
        ("line 4", {"b": 2}),
    ]
    assert list(located_alerts(b'\n{"a": 1}')) == [("the alert (line 2)", {"a": 1})]


_FINDING = {"finding": {"name": "organizations/1/sources/2/findings/f1"}, "resource": {}}


def test_api_response_pages_are_read_as_the_alerts_they_hold() -> None:
    page = {"listFindingsResults": [_FINDING, _FINDING], "readTime": "x", "totalSize": 2}
    assert list(located_alerts(json.dumps(page, indent=1).encode())) == [
        ("listFindingsResults[0] of the response on line 1", _FINDING),
        ("listFindingsResults[1] of the response on line 1", _FINDING),
    ]
    graph = {"@odata.context": "https://graph.example/$metadata", "value": [{"id": "a"}]}
    hits = {"took": 3, "hits": {"total": {"value": 1}, "hits": [{"_id": "h", "_source": {}}]}}
    lines = "\n".join(json.dumps(page) for page in (graph, hits)).encode()
    assert list(located_alerts(lines)) == [
        ("line 1, value[0]", {"id": "a"}),
        ("line 2, hits.hits[0]", {"_id": "h", "_source": {}}),
    ]
    export = [{"preview": False, "offset": 0, "result": {"_time": "t"}}]
    assert list(located_alerts(json.dumps(export).encode())) == [
        ("item 0 (line 1), result", {"_time": "t"})
    ]
    wiz = {"data": {"issues": {"nodes": [{"id": "i1"}], "pageInfo": {"hasNextPage": False}}}}
    s1 = {"data": [{"id": "t1"}], "pagination": {"totalItems": 1, "nextCursor": None}}
    crowdstrike = {"meta": {"query_time": 0.1}, "resources": [{"composite_id": "c"}], "errors": []}
    assert [obj for _, obj in located_alerts(json.dumps([wiz, s1, crowdstrike]).encode())] == [
        {"id": "i1"},
        {"id": "t1"},
        {"composite_id": "c"},
    ]


def test_objects_with_other_keys_are_not_pages() -> None:
    alert = {"value": [{"id": "a"}], "title": "an alert with a value list"}
    assert _read(json.dumps(alert).encode()) == [alert]
    assert _read(b'{"data": {"x": 1}}') == [{"data": {"x": 1}}]
    assert _read(b'{"result": [1]}') == [{"result": [1]}]


def test_page_items_are_checked_and_named() -> None:
    with pytest.raises(InputError, match=r"^value\[1\] of the response on line 1 is a JSON int"):
        _read(b'{"value": [{"a": 1}, 2]}')
    assert _read(b'{"value": []}') == []
    limits = ReaderLimits(max_alert_bytes=40, max_alerts=2)
    small = {"k": "v"}
    page = {"value": [small, small]}
    assert _read(json.dumps({"value": [small] * 2, "nextLink": "n" * 60}).encode(), limits) == [
        small,
        small,
    ]
    with pytest.raises(InputError, match=r"^item 0 \(line 1\), value\[1\] is larger than 40"):
        _read(json.dumps([{"value": [small, {"k": "v" * 40}]}]).encode(), limits)
    with pytest.raises(InputError, match="more than 2 alerts"):
        _read(json.dumps([page, page]).encode(), limits)
