from __future__ import annotations

import sys
import threading

import pytest

from affidavit.errors import ConfigError, InputError
from affidavit.protect import (
    MAX_INPUT_CHARS,
    DataClass,
    Detector,
    Kind,
    Pattern,
    ScanConfig,
    Scanner,
    default_scanner,
    scan,
)


@pytest.mark.parametrize("value", [b"AKIAIOSFODNN7EXAMPLE", bytearray(b"x"), None, 42, ["a"]])
def test_scan_refuses_anything_but_text(value: object) -> None:
    with pytest.raises(InputError, match="needs text"):
        scan(value)  # type: ignore[arg-type]


def test_scan_refuses_text_over_the_default_limit() -> None:
    with pytest.raises(InputError, match="over the scan limit"):
        scan("x" * (MAX_INPUT_CHARS + 1))


@pytest.mark.parametrize("engine", ["re", "hyperscan"])
def test_limit_is_configurable_and_inclusive(engine: str) -> None:
    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    scanner = Scanner(ScanConfig(max_input_chars=30), engine=engine)  # type: ignore[arg-type]
    assert [f.kind for f in scanner.scan("key AKIAIOSFODNN7EXAMPLE xxxxx")] == ["aws_access_key_id"]
    with pytest.raises(InputError):
        scanner.scan("key AKIAIOSFODNN7EXAMPLE xxxxxx")


def test_empty_text_and_lone_surrogates(scanner: Scanner) -> None:
    assert scanner.scan("") == []
    text = "\ud800\udc00\udfff 192.168.0.7 \ud83d"
    assert [f.value(text) for f in scanner.scan(text)] == ["192.168.0.7"]


def test_default_scanner_is_shared_and_prefers_hyperscan() -> None:
    assert default_scanner() is default_scanner()
    expected = "hyperscan" if "hyperscan" in sys.modules or _importable("hyperscan") else "re"
    assert default_scanner().engine == expected


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Unknown scan engine"):
        Scanner(engine="pcre")  # type: ignore[arg-type]


def test_hyperscan_engine_without_hyperscan_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # makes `import hyperscan` fail
    with pytest.raises(ConfigError, match="hyperscan is not installed"):
        Scanner(engine="hyperscan")
    assert Scanner(engine="auto").engine == "re"


_TICKET = Kind("ticket_id", DataClass.INTERNAL_IDENTIFIER, 5)


def _ticket_detector(**overrides: object) -> Detector:
    fields: dict[str, object] = {
        "name": "tickets",
        "kinds": (_TICKET,),
        "patterns": (
            Pattern(
                kind="ticket_id",
                regex=r"(?<![A-Z0-9-])SEC-(?P<value>[0-9]{4,6})(?![0-9])",
                anchor=r"SEC-[0-9]{4}",
            ),
        ),
    }
    fields.update(overrides)
    return Detector(**fields)  # type: ignore[arg-type]


def test_custom_pattern_detector_runs_on_both_engines(scanner: Scanner) -> None:
    custom = Scanner(detectors=[_ticket_detector()], engine=scanner.engine)  # type: ignore[arg-type]
    text = "see SEC-1234 and XSEC-9999 and SEC-123"
    assert [(f.kind, f.value(text), f.detector) for f in custom.scan(text)] == [
        ("ticket_id", "1234", "tickets")
    ]
    assert custom.kinds == {"ticket_id": DataClass.INTERNAL_IDENTIFIER}


def test_custom_finder_detector_and_its_mistakes() -> None:
    def build(config: ScanConfig):  # type: ignore[no-untyped-def]
        return lambda text: [("ticket_id", 0, 3)] if text.startswith("T-1") else []

    finder = _ticket_detector(patterns=(), find=build)
    assert [f.span for f in Scanner(detectors=[finder], engine="re").scan("T-1 x")] == [(0, 3)]

    def wrong_kind(config: ScanConfig):  # type: ignore[no-untyped-def]
        return lambda text: [("password", 0, 1)]

    with pytest.raises(ConfigError, match="does not declare"):
        Scanner(detectors=[_ticket_detector(find=wrong_kind)], engine="re").scan("abc")

    def out_of_bounds(config: ScanConfig):  # type: ignore[no-untyped-def]
        return lambda text: [("ticket_id", 0, 99)]

    with pytest.raises(ConfigError, match="outside the text"):
        Scanner(detectors=[_ticket_detector(find=out_of_bounds)], engine="re").scan("abc")


def test_kind_declared_differently_by_two_detectors_is_refused() -> None:
    other = _ticket_detector(name="tickets_two", kinds=(Kind("ticket_id", DataClass.PII, 5),))
    with pytest.raises(ConfigError, match="declares kind ticket_id differently"):
        Scanner(detectors=[_ticket_detector(), other], engine="re")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Bad Name"}, "lower-case identifier"),
        ({"kinds": ()}, "declares no kinds"),
        ({"patterns": ()}, "no patterns"),
        ({"kinds": (_TICKET, _TICKET)}, "declares a kind twice"),
        ({"kinds": (Kind("other", DataClass.PII, 1),)}, "undeclared kind ticket_id"),
    ],
)
def test_invalid_detectors_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _ticket_detector(**fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"regex": "(unclosed"}, "not a valid regex"),
        ({"regex": "a*"}, "empty string"),
        ({"anchor": ""}, "non-empty ASCII anchors"),
        ({"regex": "caf\u00e9"}, "ASCII regex"),
        ({"lookback": "A-Z"}, "look-behind excluding"),
        ({"regex": "(?<![a-z])SEC-[0-9]{4}", "lookback": "A-Z"}, "look-behind excluding"),
    ],
)
def test_invalid_patterns_are_refused(fields: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"kind": "ticket_id", "regex": "SEC-[0-9]{4}", "anchor": "SEC-"}
    arguments.update(fields)
    with pytest.raises(ConfigError, match=message):
        Pattern(**arguments)  # type: ignore[arg-type]


def test_hyperscan_rejecting_an_anchor_names_it() -> None:
    pytest.importorskip("hyperscan")
    bad = _ticket_detector(
        patterns=(Pattern(kind="ticket_id", regex="SEC-([0-9])", anchor=r"SEC-([0-9])\1"),)
    )
    with pytest.raises(ConfigError, match="rejects the anchor"):
        Scanner(detectors=[bad], engine="hyperscan")


def test_a_scanner_is_safe_to_share_between_threads(scanner: Scanner) -> None:
    text = "user CORP\\alice from 10.1.2.3 key AKIAIOSFODNN7EXAMPLE\n" * 200
    expected = scanner.scan(text)
    results: list[bool] = []

    def work() -> None:
        results.extend(scanner.scan(text) == expected for _ in range(5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 20
