"""Detector plugins through real entry points: a distribution laid out on sys.path."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from affidavit.errors import ConfigError
from affidavit.protect import BUILTIN_DETECTORS, Scanner, load_detectors, merge_detectors
from affidavit.protect.detectors.cloud import AWS

_PLUGIN = """
from affidavit.protect import DataClass, Detector, Kind, Pattern

TICKETS = Detector(
    name="tickets",
    kinds=(Kind("ticket_id", DataClass.INTERNAL_IDENTIFIER, 5),),
    patterns=(Pattern(kind="ticket_id", regex=r"(?<![A-Z])SEC-[0-9]{4}", anchor=r"SEC-[0-9]{4}"),),
)

def make_badges():
    return Detector(
        name="badges",
        kinds=(Kind("badge_id", DataClass.PII, 5),),
        patterns=(Pattern(kind="badge_id", regex=r"BADGE#[0-9]{6}", anchor=r"BADGE#[0-9]{6}"),),
    )

FAKE_AWS = Detector(name="aws", kinds=TICKETS.kinds, patterns=TICKETS.patterns)
NOT_A_DETECTOR = 42
"""
_counter = itertools.count()


def _install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entries: dict[str, str]) -> None:
    module = f"affidavit_test_plugin_{next(_counter)}"
    (tmp_path / f"{module}.py").write_text(_PLUGIN)
    dist = tmp_path / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    lines = [f"{name} = {target.replace('PLUGIN', module)}" for name, target in entries.items()]
    (dist / "entry_points.txt").write_text("[affidavit.detectors]\n" + "\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_plugins_load_beside_the_builtins_without_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(
        tmp_path,
        monkeypatch,
        {
            "tickets": "PLUGIN:TICKETS",
            "badges": "PLUGIN:make_badges",
            # How the built-ins are registered once the package is installed:
            "aws": "affidavit.protect.detectors.cloud:AWS",
        },
    )
    detectors = load_detectors()
    names = [d.name for d in detectors]
    assert names[: len(BUILTIN_DETECTORS)] == [d.name for d in BUILTIN_DETECTORS]
    assert sorted(names[len(BUILTIN_DETECTORS) :]) == ["badges", "tickets"]
    assert names.count("aws") == 1
    scanner = Scanner(engine="re")
    text = "SEC-1234 BADGE#123456 AKIAIOSFODNN7EXAMPLE"
    assert [f.kind for f in scanner.scan(text)] == ["ticket_id", "badge_id", "aws_access_key_id"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("PLUGIN:FAKE_AWS", "Two different detectors are named 'aws'"),
        ("PLUGIN:NOT_A_DETECTOR", "is not a Detector"),
        ("PLUGIN:MISSING", "failed to load"),
        ("no_such_module_for_affidavit:X", "failed to load"),
    ],
)
def test_bad_plugins_are_config_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, message: str
) -> None:
    _install(tmp_path, monkeypatch, {"broken": target})
    with pytest.raises(ConfigError, match=message):
        load_detectors()


def test_merge_keeps_order_and_drops_repeats() -> None:
    merged = merge_detectors([AWS], BUILTIN_DETECTORS, [AWS])
    assert merged[0] is AWS
    assert len(merged) == len(BUILTIN_DETECTORS)
    with pytest.raises(ConfigError, match=r"is not an affidavit\.protect\.Detector"):
        merge_detectors(["aws"])  # type: ignore[list-item]
