"""Per-kind positive cases (exact spans) and near misses, on both engines."""

from __future__ import annotations

import random
import string

import pytest

from affidavit.protect import DataClass, Scanner
from affidavit.protect.detectors import BUILTIN_DETECTORS
from tests.protect._cases import NEGATIVE, POSITIVE

_BASE64 = string.ascii_letters + string.digits + "+/"


def _ids(case: tuple[str, ...]) -> str:
    return f"{case[0]}:{case[1][:40]!r}"


@pytest.mark.parametrize("case", POSITIVE, ids=_ids)
def test_positive_case_spans_exactly_the_value(
    scanner: Scanner, case: tuple[str, str, str]
) -> None:
    kind, text, value = case
    start = text.index(value)
    found = [(f.kind, f.start, f.end) for f in scanner.scan(text)]
    assert (kind, start, start + len(value)) in found, found


@pytest.mark.parametrize("case", NEGATIVE, ids=_ids)
def test_near_miss_is_not_reported(scanner: Scanner, case: tuple[str, str]) -> None:
    kind, text = case
    found = [(f.kind, text[f.start : f.end]) for f in scanner.scan(text)]
    assert kind not in {k for k, _ in found}, found


def test_every_builtin_kind_has_positive_and_negative_cases() -> None:
    kinds = {k.name for d in BUILTIN_DETECTORS for k in d.kinds}
    assert len(kinds) >= 30
    assert kinds <= {c[0] for c in POSITIVE}
    without_negative = kinds - {c[0] for c in NEGATIVE}
    # Kinds defined by an exact prefix and length have their near misses in other kinds'
    # cases (wrong length, wrong prefix); the rest must have their own.
    assert without_negative <= {
        "aws_bedrock_api_key", "azure_container_registry_key", "azure_devops_pat",
        "azure_entra_client_secret", "huggingface_token", "groq_api_key",
        "sendgrid_api_key", "npm_token", "pypi_token", "openai_api_key", "anthropic_api_key",
        "slack_webhook_url", "gcp_oauth_client_secret", "azure_connection_string",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The URL's credentials, and the internal host after them, but no e-mail.
        (
            "https://svc:Pw0rd!x@build.corp.local/x",
            [("credential_in_url", "svc:Pw0rd!x"), ("hostname_internal", "build.corp.local")],
        ),
        # A JWT assigned to a token name is a JWT, not a generic secret.
        (
            "token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig_sig_sig",
            [("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig_sig_sig")],
        ),
        # A UPN is not also reported as an e-mail, nor its domain as a host.
        ('"upn": "bob@corp.local"', [("upn", "bob@corp.local")]),
        # --password= is a command-line password, not a password assignment.
        ("run --password=Xy12abcd", [("password_in_command_line", "Xy12abcd")]),
        # A token assigned to a secret-like name keeps its own, specific kind.
        (
            "api_key=sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            [("stripe_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc")],
        ),
    ],
)
def test_overlaps_resolve_to_the_most_specific_kind(
    scanner: Scanner, text: str, expected: list[tuple[str, str]]
) -> None:
    assert [(f.kind, f.value(text)) for f in scanner.scan(text)] == expected


def test_private_key_finding_spans_the_whole_block_not_its_header(scanner: Scanner) -> None:
    rng = random.Random(7)
    lines = ["".join(rng.choice(_BASE64) for _ in range(64)) for _ in range(20)]
    body = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *lines])
    block = body + "\n-----END RSA PRIVATE KEY-----"
    text = f"cat id_rsa\n{block}\nexit 0"
    (finding,) = scanner.scan(text)
    assert finding.value(text) == block
    assert finding.kind == "private_key"
    assert finding.data_class is DataClass.SECRET


def test_gcp_service_account_json_reports_key_id_and_key(scanner: Scanner) -> None:
    line = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
    key = f"-----BEGIN PRIVATE KEY-----\\n{line}\\n{line}\\n-----END PRIVATE KEY-----\\n"
    text = (
        '{"type": "service_account", "project_id": "p", '
        '"private_key_id": "0123456789abcdef0123456789abcdef01234567", '
        f'"private_key": "{key}"}}'
    )
    found = [(f.kind, f.value(text)) for f in scanner.scan(text)]
    assert found == [
        ("gcp_service_account_key", "0123456789abcdef0123456789abcdef01234567"),
        ("gcp_service_account_key", key),
    ]


def test_data_classes_of_representative_kinds(re_scanner: Scanner) -> None:
    kinds = re_scanner.kinds
    assert kinds["aws_access_key_id"] is DataClass.SECRET
    assert kinds["password_in_command_line"] is DataClass.CREDENTIAL
    assert kinds["email"] is DataClass.PII
    assert kinds["iban"] is DataClass.FINANCIAL
    assert kinds["ipv4_internal"] is DataClass.INTERNAL_IDENTIFIER
