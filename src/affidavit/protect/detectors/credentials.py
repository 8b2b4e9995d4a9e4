"""Credentials in context: URLs with user:password, HTTP auth headers, and values assigned
to password- or secret-like names in configs, env dumps, JSON and query strings."""

from __future__ import annotations

import base64
import binascii

from affidavit.protect.config import ScanConfig
from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import assigned, password_like, secret_like
from affidavit.protect.finding import DataClass
from affidavit.protect.validators import is_placeholder

__all__ = ["ASSIGNMENTS", "HTTP_AUTH", "URL_CREDENTIALS"]

_C = DataClass.CREDENTIAL


def _url_password(value: str) -> bool:
    return not is_placeholder(value.partition(":")[2])


URL_CREDENTIALS = Detector(
    name="url_credentials",
    kinds=(Kind("credential_in_url", _C, 85),),
    patterns=(
        # scheme://user:password@host: the finding is `user:password`. The password may
        # hold an unescaped '@' (people write them), so it runs to the last '@' of the
        # authority.
        Pattern(
            kind="credential_in_url",
            regex=(
                r"""(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,31}://"""
                r"""(?P<value>[^\s:/?#@"'<>\[\]]{1,256}:[^\s/?#"'<>\[\]]{1,256})@(?=[A-Za-z0-9\[])"""
            ),
            # From the `://` to the `@` (the scheme is the lookback): URLs without
            # credentials, the vast majority, never reach Python.
            anchor=r"""://[^\s/?#"'<>\[\]]{3,513}@""",
            lookback="A-Za-z0-9+.-",
            validator=_url_password,
        ),
    ),
)


def _basic_credentials(value: str) -> bool:
    """`Authorization: Basic` carries base64("user:password") in printable text."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return False
    return ":" in decoded and decoded.isprintable()


def _http_patterns(config: ScanConfig) -> tuple[Pattern, ...]:
    return (
        Pattern(
            kind="bearer_token",
            regex=(
                r"(?i:bearer)[ \t]{1,8}(?P<value>[A-Za-z0-9._~+/-]{16,4096}=*)"
                r"(?![A-Za-z0-9._~+/=-])"
            ),
            anchor=r"(?i:bearer)[ \t]{1,8}[A-Za-z0-9._~+/-]",
            validator=secret_like(config.min_secret_entropy, min_length=16),
        ),
    )


HTTP_AUTH = Detector(
    name="http_auth",
    kinds=(Kind("basic_auth_header", _C, 70), Kind("bearer_token", _C, 65)),
    patterns=(
        Pattern(
            kind="basic_auth_header",
            regex=(
                r"""(?i:authorization)["']?[ \t]{0,8}[:=][ \t]{0,8}["']?(?i:basic)[ \t]{1,8}"""
                r"(?P<value>[A-Za-z0-9+/]{4,1024}={0,2})(?![A-Za-z0-9+/=])"
            ),
            anchor=r"""(?i:authorization)["']?[ \t]{0,8}[:=][ \t]{0,8}["']?(?i:basic)[ \t]""",
            validator=_basic_credentials,
        ),
    ),
    configure=_http_patterns,
)

# Values run to whitespace, a quote, or a delimiter of the surrounding format; a
# backslash belongs to the value unless it escapes the closing quote (JSON in JSON).
# Runs are matched possessively (fast); the validators bound the length.
_VALUE = r"""(?:[^\s"'<>,;&\\]++|\\(?!["']))++"""
_FIRST = r"""^\s"'<>,;&"""


def _assignment_patterns(config: ScanConfig) -> tuple[Pattern, ...]:
    return (
        # The pattern starts at the keyword, so `db_password` and `DB_PASSWORD` match at
        # `password`; `password_policy=` does not (the keyword must meet the separator).
        assigned(
            "password_assignment",
            r"password|passwd|passphrase|(?<=[_.-])pwd",
            _VALUE,
            first=_FIRST,
            anchor_names="password|passwd|passphrase|pwd",
            validator=password_like,
        ),
        assigned(
            "generic_secret_assignment",
            r"secret|token|api[_-]?key|apikey|(?:signing|encryption|access|private|master)[_-]?key"
            r"|credentials?",
            _VALUE,
            first=_FIRST,
            validator=secret_like(config.min_secret_entropy),
        ),
    )


ASSIGNMENTS = Detector(
    name="assignments",
    kinds=(
        Kind("password_assignment", _C, 60),
        Kind("generic_secret_assignment", DataClass.SECRET, 60),
    ),
    configure=_assignment_patterns,
)
