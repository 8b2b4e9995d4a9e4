from __future__ import annotations

import pytest

from affidavit.errors import ConfigError
from affidavit.protect import MAX_INPUT_CHARS, ScanConfig, Scanner


def test_defaults() -> None:
    config = ScanConfig()
    assert "10.0.0.0/8" in config.internal_ipv4_networks
    assert config.internal_ipv6_networks == ("fc00::/7",)
    assert "local" in config.internal_domains
    assert config.max_input_chars == MAX_INPUT_CHARS == 64 * 1024 * 1024


@pytest.mark.parametrize(
    "kwargs",
    [
        {"internal_ipv4_networks": ("10.0.0.1/8",)},
        {"internal_ipv4_networks": ("fc00::/7",)},
        {"internal_ipv6_networks": ("10.0.0.0/8",)},
        {"internal_ipv4_networks": "10.0.0.0/8"},
        {"internal_domains": ("bad domain",)},
        {"min_secret_entropy": 9},
        {"min_secret_entropy": float("nan")},
        {"max_input_chars": 0},
        {"undo_evasions": "yes"},
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ScanConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ["re", "hyperscan"])
def test_internal_ranges_and_domains_are_configurable(engine: str) -> None:
    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    config = ScanConfig(
        internal_ipv4_networks=("127.0.0.0/8", "203.0.113.0/24"),
        internal_ipv6_networks=("2001:db8::/32",),
        internal_domains=("Example.Org",),
    )
    scanner = Scanner(config, engine=engine)  # type: ignore[arg-type]
    text = "a 127.0.0.1 b 10.0.0.1 c 203.0.113.9 d 2001:db8::5 e fd00::1 f db.example.org g x.local"
    found = [(f.kind, f.value(text)) for f in scanner.scan(text)]
    assert found == [
        ("ipv4_internal", "127.0.0.1"),
        ("ipv4_internal", "203.0.113.9"),
        ("ipv6_internal", "2001:db8::5"),
        ("hostname_internal", "db.example.org"),
    ]


def test_ipv6_ranges_starting_low_fall_back_to_a_generic_pattern() -> None:
    config = ScanConfig(internal_ipv6_networks=("::ffff:0:0/96",))
    for engine in ("re", "hyperscan"):
        scanner = Scanner(config, engine=engine)  # type: ignore[arg-type]
        text = "mapped ::ffff:a00:1 and fd00::1"
        assert [f.value(text) for f in scanner.scan(text)] == ["::ffff:a00:1"]


def test_no_internal_ranges_means_no_address_findings() -> None:
    config = ScanConfig(internal_ipv4_networks=(), internal_ipv6_networks=(), internal_domains=())
    scanner = Scanner(config, engine="re")
    assert scanner.scan("10.0.0.1 fd00::1 ws01.corp.local") == []


def test_entropy_threshold_is_configurable() -> None:
    text = "api_key=abcdefabcdef0123"
    assert Scanner(engine="re").scan(text)
    assert not Scanner(ScanConfig(min_secret_entropy=4.5), engine="re").scan(text)


def test_evasions_are_undone_unless_turned_off() -> None:
    text = "key AKIAIOSF\u200bODNN7EXAMPLE and echo Z2hwX1I4YVEybUs5dkw0blA3c1Qxd1g1eVozYkM2ZEYwZ0gyaks0bA== | base64 -d"
    undone = Scanner(engine="re").scan(text)
    assert [f.kind for f in undone] == ["aws_access_key_id", "github_token"]
    assert Scanner(ScanConfig(undo_evasions=False), engine="re").scan(text) == []
