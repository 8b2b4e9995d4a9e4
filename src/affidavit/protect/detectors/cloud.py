"""Cloud provider keys: AWS, Google Cloud, Azure."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from affidavit.protect.config import ScanConfig
from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import SEP_OR_SPACE, assigned, secret_like, token
from affidavit.protect.finding import DataClass

__all__ = ["AWS", "AZURE", "GCP"]

_S = DataClass.SECRET


def _aws_patterns(config: ScanConfig) -> tuple[Pattern, ...]:
    return (
        assigned(
            "aws_secret_access_key",
            r"(?:aws[_-]?)?secret[_-]?access[_-]?key|aws[_-]?secret[_-]?key",
            r"[A-Za-z0-9/+]{40}",
            first="A-Za-z0-9/+",
            after="[A-Za-z0-9/+=]",
            validator=secret_like(config.min_secret_entropy, min_length=40),
            sep=SEP_OR_SPACE,
        ),
    )


AWS = Detector(
    name="aws",
    kinds=(
        Kind("aws_access_key_id", _S, 80),
        Kind("aws_secret_access_key", _S, 75),
    ),
    # Key ids are a four-letter type prefix and 16 base32 characters.
    patterns=(
        token(
            "aws_access_key_id",
            r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ASCA)[A-Z2-7]{16}",
        ),
    ),
    configure=_aws_patterns,
)

# Service-account key files are JSON; inside logs they are often JSON-escaped once more,
# hence the optional backslashes before quotes and the `\n` / `\\n` line breaks.
_Q = r'\\?"'
_NL = r"(?:\\{1,2}n|\r?\n)"
_COLON = f"{_Q}[ \\t]{{0,8}}:[ \\t]{{0,8}}"
GCP = Detector(
    name="gcp",
    kinds=(
        Kind("gcp_service_account_key", _S, 100),
        Kind("gcp_api_key", _S, 80),
        Kind("gcp_oauth_client_secret", _S, 80),
    ),
    patterns=(
        Pattern(
            kind="gcp_service_account_key",
            regex=f"{_Q}private_key_id{_COLON}{_Q}(?P<value>[a-f0-9]{{40}}){_Q}",
            anchor=f"{_Q}private_key_id{_COLON}{_Q}[a-f0-9]",
        ),
        Pattern(
            kind="gcp_service_account_key",
            regex=(
                f"{_Q}private_key{_COLON}{_Q}(?P<value>-----BEGIN PRIVATE KEY-----"
                f"(?:{_NL}|[A-Za-z0-9+/=]){{64,16384}}?-----END PRIVATE KEY-----{_NL}?)"
            ),
            anchor=f"{_Q}private_key{_COLON}{_Q}-----BEGIN PRIVATE KEY-----",
        ),
        token("gcp_api_key", r"AIza[0-9A-Za-z_-]{35}", edge="A-Za-z0-9_-"),
        token("gcp_oauth_client_secret", r"GOCSPX-[0-9A-Za-z_-]{28}", edge="A-Za-z0-9_-"),
    ),
)


def _sas_signature(value: str) -> bool:
    """A SAS `sig` is a base64 HMAC-SHA256, URL-encoded: it must decode to 32 bytes."""
    try:
        return len(base64.b64decode(unquote(value), validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _azure_patterns(config: ScanConfig) -> tuple[Pattern, ...]:
    return (
        assigned(
            "azure_storage_account_key",
            r"account[_-]?key|storage[_-]?(?:account[_-]?)?key|azure[_-]?storage[_-]?key",
            r"[A-Za-z0-9+/]{86}==",
            first="A-Za-z0-9+/",
            after="[A-Za-z0-9+/=]",
            validator=secret_like(config.min_secret_entropy, min_length=88),
        ),
    )


_PAIR = r"""[A-Za-z]+=[^;"'\s]*"""
AZURE = Detector(
    name="azure",
    kinds=(
        Kind("azure_connection_string", _S, 90),
        Kind("azure_storage_account_key", _S, 75),
        Kind("azure_sas_token", _S, 75),
    ),
    patterns=(
        # The whole connection string is the secret: it names the account and holds the key.
        Pattern(
            kind="azure_connection_string",
            regex=(
                f"DefaultEndpointsProtocol=https?;(?:{_PAIR};)*?"
                f"AccountKey=[A-Za-z0-9+/]{{86}}==(?:;{_PAIR})*"
            ),
            anchor="DefaultEndpointsProtocol=http",
        ),
        Pattern(
            kind="azure_connection_string",
            regex=(
                r"""Endpoint=sb://[A-Za-z0-9.-]+/?;SharedAccessKeyName=[^;"'\s]+;"""
                r"""SharedAccessKey=[A-Za-z0-9+/]{43}=(?:;EntityPath=[^;"'\s]+)?"""
            ),
            anchor="Endpoint=sb://",
        ),
        Pattern(
            kind="azure_sas_token",
            regex=r"[?&]sig=(?P<value>[A-Za-z0-9%+/=]{40,200})(?![A-Za-z0-9%+/=])",
            anchor=r"[?&]sig=[A-Za-z0-9%+/=]",
            validator=_sas_signature,
        ),
    ),
    configure=_azure_patterns,
)
