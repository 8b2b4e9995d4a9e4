"""Syslog over TLS (RFC 5425) on loopback, with certificates made here by `cryptography`:
a test CA, the receiver's certificate for 127.0.0.1, and a client certificate."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from affidavit.errors import ConfigError
from affidavit.export import DeliveryError, ExportConfig
from affidavit.ledger.log import Ledger
from tests.export._receivers import SyslogReceiver
from tests.export.conftest import Activity
from tests.export.test_syslog_sink import _check, _wait, sink


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
    path: Path,
    *,
    ca: bool = False,
    san: list[x509.GeneralName] | None = None,
) -> Path:
    # TLS checks the real clock: valid over any date a test (or its clock shift) may run at
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    issuer_name, signer = issuer if issuer is not None else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    path.write_bytes(builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    where = tmp_path_factory.mktemp("pki")
    ca_key, other_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    server_key, client_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = ("Affidavit test CA", ca_key)
    return Pki(
        ca=_certificate(ca[0], ca_key, None, where / "ca.pem", ca=True),
        server_cert=_certificate(
            "syslog receiver",
            server_key,
            ca,
            where / "server.pem",
            san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
        ),
        server_key=_write_key(server_key, where / "server.key"),
        client_cert=_certificate("affidavit exporter", client_key, ca, where / "client.pem"),
        client_key=_write_key(client_key, where / "client.key"),
        other_ca=_certificate("Some other CA", other_key, None, where / "other-ca.pem", ca=True),
    )


def _server_context(pki: Pki, *, require_client: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    if require_client:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    return context


@pytest.fixture
def syslog_tls(pki: Pki) -> Iterator[SyslogReceiver]:
    receiver = SyslogReceiver("tcp", tls=_server_context(pki, require_client=True))
    receiver.start()
    yield receiver
    receiver.stop()


def _tls(port: int, pki: Pki, **extra: Any) -> Any:
    return sink(port, transport="tls", ca_file=str(pki.ca), **extra)


def test_tls_delivers_octet_counted_messages_with_a_client_certificate(
    activity: Activity, ledger: Ledger, syslog_tls: SyslogReceiver, pki: Pki
) -> None:
    entries = list(ledger.entries())
    target = _tls(
        syslog_tls.port, pki, client_cert=str(pki.client_cert), client_key=str(pki.client_key)
    )
    assert target.deliver(entries[:5]) == 5
    assert target.deliver(entries[5:]) == len(entries) - 5  # the connection is kept
    target.close()
    _check(_wait(syslog_tls, len(entries)), entries)
    assert len(syslog_tls.peers) == 1  # one TLS connection, the client authenticated
    [subject] = syslog_tls.peers[0]["subject"]
    assert subject == (("commonName", "affidavit exporter"),)


def test_a_receiver_the_ca_file_does_not_vouch_for_is_refused(
    activity: Activity, ledger: Ledger, pki: Pki
) -> None:
    receiver = SyslogReceiver("tcp", tls=_server_context(pki, require_client=False))
    receiver.start()
    try:
        for options in (
            {"ca_file": str(pki.other_ca)},  # another CA: the certificate is not trusted
            {"ca_file": str(pki.ca), "server_name": "siem.example"},  # not its name
        ):
            target = sink(receiver.port, transport="tls", timeout_s=2, **options)
            with pytest.raises(DeliveryError, match=r"syslog tls 127\.0\.0\.1.*failed TLS"):
                target.deliver(list(ledger.entries())[:1])
            target.close()
        assert receiver.messages == []
        # the right CA and name: delivered, without a client certificate
        target = sink(receiver.port, transport="tls", ca_file=str(pki.ca), server_name="localhost")
        assert target.deliver(list(ledger.entries())[:2]) == 2
        target.close()
        assert len(_wait(receiver, 2)) == 2
    finally:
        receiver.stop()


def test_plain_tcp_to_a_tls_receiver_delivers_nothing_readable(
    activity: Activity, ledger: Ledger, syslog_tls: SyslogReceiver
) -> None:
    target = sink(syslog_tls.port, timeout_s=1)
    with contextlib.suppress(DeliveryError):
        target.deliver(list(ledger.entries())[:1])
    target.close()
    assert syslog_tls.messages == []


def _parse(**section: Any) -> Any:
    base = {"type": "syslog", "host": "127.0.0.1", **section}
    return ExportConfig.parse({"sinks": {"siem": base}}).sinks[0]


def test_tls_settings_are_checked(pki: Pki, tmp_path: Path) -> None:
    assert _parse(transport="tls").options["port"] == 6514  # RFC 5425
    assert _parse(transport="tcp").options["port"] == 514
    with pytest.raises(ConfigError, match="apply to transport tls only"):
        _parse(transport="tcp", ca_file=str(pki.ca))
    with pytest.raises(ConfigError, match="is not a readable file"):
        _parse(transport="tls", ca_file=str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="client_key needs client_cert"):
        _parse(transport="tls", client_key=str(pki.client_key))
    with pytest.raises(ConfigError, match="server_name must be a host name"):
        _parse(transport="tls", server_name="not a name")
    with pytest.raises(ConfigError, match="transport must be tcp, tls or udp"):
        _parse(transport="dtls")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    config = _parse(transport="tls", ca_file=str(garbage))
    from affidavit.export.syslog_sink import tls_context

    with pytest.raises(ConfigError, match="the TLS files cannot be used"):
        tls_context(config.options, "export sink siem")
