"""Which fields name a host of the estate, and what of their value is the host name."""

from __future__ import annotations

import pytest

from affidavit.protect import Scanner
from affidavit.protect.fields import host_entity, hostname_field, hostname_value


@pytest.mark.parametrize(
    ("key", "parent"),
    [
        ("computerDnsName", None),
        ("ComputerName", None),
        ("hostName", None),
        ("host.name", None),
        ("host_name", None),
        ("deviceName", None),
        ("DeviceName", None),
        ("WorkstationName", None),
        ("shost", None),
        ("src_host", None),
        ("name", "host"),
        ("hostname", "device"),
        ("name", "observer"),
    ],
)
def test_host_fields(key: str, parent: str | None) -> None:
    assert hostname_field(key, parent)


@pytest.mark.parametrize(
    ("key", "parent"),
    [
        ("host", None),
        ("Host", None),
        ("name", None),
        ("name", "user"),
        ("url", "host"),
        ("os", None),
    ],
)
def test_not_host_fields(key: str, parent: str | None) -> None:
    # `Host` is an HTTP header (a public site), `name` alone could name anything.
    assert not hostname_field(key, parent)


def test_entities_that_say_they_are_hosts() -> None:
    assert host_entity({"kind": "host", "value": "x"})
    assert host_entity({"entityType": "Machine", "name": "x"})
    assert not host_entity({"kind": "user", "value": "x"})
    assert not host_entity({"type": 3})


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("WS-FIN-0231", (0, 11)),
        (" ws01.contoso.com ", (1, 17)),
        ("dc01.corp.ad.", (0, 13)),
        ("", None),
        ("-", None),
        ("localhost", None),
        ("10.1.2.3", None),  # an address: found by its own detector
        ("fd00::1", None),
        ("not a host", None),
        ("[INTERNAL_IDENTIFIER:hostname_internal:tok_0123456789abcdef]", None),
    ],
)
def test_host_name_values(text: str, span: tuple[int, int] | None) -> None:
    assert hostname_value(text) == span


def test_peer_fields_take_bare_names_only(scanner: Scanner) -> None:
    text = "dhost=FILESRV01 dest_host=www.example.com destinationHostName=db1.corp.local"
    found = [(f.kind, f.value(text)) for f in scanner.scan(text)]
    assert found == [("hostname_internal", "FILESRV01"), ("hostname_internal", "db1.corp.local")]
    assert hostname_value("www.example.com", bare=True) is None
    assert hostname_value("FILESRV01", bare=True) == (0, 9)
