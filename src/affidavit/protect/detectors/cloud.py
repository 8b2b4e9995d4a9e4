"""Cloud provider keys: AWS, Google Cloud, Azure."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from affidavit.protect.config import ScanConfig
from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import SEP_OR_SPACE, assigned, secret_like, token
from affidavit.protect.finding import DataClass
from affidavit.protect.validators import placeholder_token

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


_AWS_PREFIXES = "AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ASCA"


def _lowercase_key_id(value: str) -> bool:
    """A key id lower-cased by a careless paste or a log pipeline: words that happen to
    start like one (`asiapacificregions`) have no digit, random base32 nearly always has."""
    return any(c in "234567" for c in value[4:])


AWS = Detector(
    name="aws",
    kinds=(
        Kind("aws_access_key_id", _S, 80),
        Kind("aws_secret_access_key", _S, 75),
        Kind("aws_bedrock_api_key", _S, 80),
    ),
    # Key ids are a four-letter type prefix and 16 base32 characters.
    patterns=(
        token("aws_access_key_id", f"(?:{_AWS_PREFIXES})[A-Z2-7]{{16}}"),
        token(
            "aws_access_key_id",
            f"(?:{_AWS_PREFIXES.lower()})[a-z2-7]{{16}}",
            validator=_lowercase_key_id,
        ),
        # Bedrock API keys: long-term ones are `ABSK` and base64 of
        # `BedrockAPIKey-...`; short-term ones a presigned URL in base64 after a label.
        token(
            "aws_bedrock_api_key",
            r"ABSK[A-Za-z0-9+/]{32,2000}={0,2}",
            edge="A-Za-z0-9+/",
            anchor=r"ABSK[A-Za-z0-9+/]{32}",
        ),
        # Every short-term key's URL starts `bedrock.amazonaws.com` (base64 below), so
        # with that start a short one is taken too (detect-secrets' test key is).
        token(
            "aws_bedrock_api_key",
            r"bedrock-api-key-(?:YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/]{0,4000}"
            r"|[A-Za-z0-9+/]{40,4000})={0,2}",
            edge="A-Za-z0-9+/",
            anchor=(
                r"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t",
                r"bedrock-api-key-[A-Za-z0-9+/]{40}",
            ),
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
    random_88 = secret_like(config.min_secret_entropy, min_length=88)
    return (
        assigned(
            "azure_storage_account_key",
            r"account[_-]?key|storage[_-]?(?:account[_-]?)?key|azure[_-]?storage[_-]?key",
            r"[A-Za-z0-9+/]{86}==",
            first="A-Za-z0-9+/",
            after="[A-Za-z0-9+/=]",
            validator=random_88,
        ),
        # A 64-byte key in base64 (88 characters ending `==`) is what storage accounts
        # (and Cosmos DB, Batch...) hand out; code assigns it to any name. An SRI digest
        # (`sha512-...`) has the same shape, hence `-` on the left edge.
        Pattern(
            kind="azure_storage_account_key",
            # ... and an OpenSSH public key (`ssh-rsa AAAA...`) may too: not a secret.
            regex=(
                r"(?<![A-Za-z0-9+/-])(?<!ssh-rsa )(?<!ssh-dss )"
                r"[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"
            ),
            anchor=r"[A-Za-z0-9+/]{86}==",
            validator=random_88,
        ),
    )


def _devops_pat(value: str) -> bool:
    """Legacy Azure DevOps PATs are 52 lower-case base32 characters: random ones mix in
    digits; a long lower-case word or identifier does not."""
    return sum(c in "234567" for c in value) >= 3 and len(set(value)) >= 16


_PAIR = r"""[A-Za-z]+=[^;"'\s]*"""
_PARAM = r"""[A-Za-z]{1,12}=[^&\s"'<>#]{0,256}"""
_SIG = "[A-Za-z0-9%+/=]{20,200}"
AZURE = Detector(
    name="azure",
    kinds=(
        Kind("azure_connection_string", _S, 90),
        Kind("azure_storage_account_key", _S, 75),
        Kind("azure_sas_token", _S, 75),
        Kind("azure_entra_client_secret", _S, 80),
        Kind("azure_devops_pat", _S, 78),
        Kind("azure_container_registry_key", _S, 80),
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
        # The signature is the secret part of a SAS token, wherever it stands among the
        # other parameters (sv, se, sp, sip, spr... in any order, or first): a `sig`
        # that is an HMAC-SHA256, or any `sig` in the same query as `sv`, `se` or `sp`.
        Pattern(
            kind="azure_sas_token",
            regex=r"(?<![A-Za-z0-9_.-])sig=(?P<value>[A-Za-z0-9%+/=]{40,200})(?![A-Za-z0-9%+/=])",
            anchor=r"sig=[A-Za-z0-9%+/=]",
            validator=_sas_signature,
        ),
        Pattern(
            kind="azure_sas_token",
            regex=(
                rf"(?<![A-Za-z0-9_.-])sig=(?P<value>{_SIG})(?![A-Za-z0-9%+/=])"
                rf"(?=(?:&{_PARAM}){{0,24}}&(?:sv|se|sp)=)"
            ),
            anchor=r"sig=[A-Za-z0-9%+/=]",
            validator=lambda value: not placeholder_token(value),
        ),
        Pattern(
            kind="azure_sas_token",
            regex=(
                rf"(?<![A-Za-z0-9_.-])(?:sv|se|sp)=[^&\s\"'<>#]{{0,64}}(?:&{_PARAM}){{0,24}}?"
                rf"&sig=(?P<value>{_SIG})(?![A-Za-z0-9%+/=])"
            ),
            anchor=r"(?:sv|se|sp)=",
            validator=lambda value: not placeholder_token(value),
        ),
        # Entra ID (Azure AD) client secrets: 3 characters, a version digit, `Q~`, 31-34 more.
        token(
            "azure_entra_client_secret",
            r"[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}",
            edge="A-Za-z0-9_~.-",
            anchor=r"[A-Za-z0-9_~.-]{3}[0-9]Q~",
        ),
        token("azure_devops_pat", r"[a-z2-7]{52}", edge="A-Za-z0-9_-", validator=_devops_pat),
        # The 84-character format carries the `AZDO` signature at offset 76.
        Pattern(
            kind="azure_devops_pat",
            regex=r"(?<![A-Za-z0-9])[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}(?![A-Za-z0-9])",
            anchor="AZDO[A-Za-z0-9]{4}",
            lookback="A-Za-z0-9",
            validator=lambda value: not placeholder_token(value),
        ),
        # Container-registry passwords: 52 base64 characters with the `+ACR` signature
        # (42 characters, +ACR, a version letter, 5 more; older ones end in +ACR).
        Pattern(
            kind="azure_container_registry_key",
            regex=(
                r"(?<![A-Za-z0-9+/])(?:[A-Za-z0-9+/]{42}\+ACR[A-D][A-Za-z0-9+/]{5}"
                r"|[A-Za-z0-9+/]{48}\+ACR)(?![A-Za-z0-9+/=])"
            ),
            anchor=r"\+ACR",
            lookback="A-Za-z0-9+/",
            validator=lambda value: not placeholder_token(value),
        ),
    ),
    configure=_azure_patterns,
)
