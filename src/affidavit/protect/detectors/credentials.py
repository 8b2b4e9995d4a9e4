"""Credentials in context: URLs with user:password, HTTP auth headers, and values assigned
to password- or secret-like names in configs, env dumps, JSON and query strings."""

from __future__ import annotations

import base64
import binascii
import re

from affidavit.protect.config import ScanConfig
from affidavit.protect.detector import Detector, Kind, Pattern, Validator
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
        # authority, and people paste `?` and `#` unescaped in it too. The user may be empty
        # (`redis://:password@host`).
        Pattern(
            kind="credential_in_url",
            regex=(
                r"""(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,31}://"""
                r"""(?P<value>[^\s:/?#@"'<>\[\]]{0,256}:[^\s/"'<>\[\]]{1,256})@(?=[A-Za-z0-9\[])"""
            ),
            # From the `://` to the `@` (the scheme is the lookback): URLs without
            # credentials, the vast majority, never reach Python.
            anchor=r"""://[^\s/"'<>\[\]]{2,513}@""",
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
# How every _VALUE of 12 characters or more begins (a backslash is a character too).
_LONG_VALUE = r"""[^\s"'<>,;&]{12}"""
# A password between quotes runs to the closing quote, spaces included (passphrases),
# but not across `;` or `<>`: a quote left open must not take in the rest of the line.
_QUOTED = (
    r"""(?<=")[^\s"'<>,;&\\](?:[^"\\\r\n;<>]|\\(?!")){0,255}(?=\\?")"""
    r"""|(?<=')[^\s"'<>,;&\\](?:[^'\\\r\n;<>]|\\(?!')){0,255}(?=\\?')"""
)
# How code and config files assign a value to a name, beyond `=` and `:`: Go `:=` and
# `var name string = `, typed declarations (`name: str =`, `let name: &str =`, `name[] =`),
# PHP `.=`, Makefile `::=`, `:::=`, `?=`, `+=`, and `"name", "value"` argument pairs
# (`System.setProperty("...password", "...")`, `config.put("apiKey", "...")`).
_TYPE = (
    r"""(?:[ \t]{1,8}|[ \t]{0,8}:[ \t]{0,8})&?(?:'static[ \t])?"""
    r"(?i:string|str|char|bytes|secretstr|\[\]byte)\??"
)
_OPERATOR = r"(?::::=|::=|:=|\?\?=|\?=|\.=|\+=|\|\|=|=>|[:=>])"
_ASSIGN = (
    r"""(?:\\?["'][ \t]{0,8},[ \t]{0,8}\\?["']"""
    rf"""|\\?["']?\]?(?:\[\])?(?:{_TYPE})?[ \t]{{0,8}}{_OPERATOR}[ \t]{{0,8}}\\?["']?)"""
)
_PASSWORD_NAMES = "password|passwd|passphrase|pwd|pass"  # noqa: S105 - names, not a password
_SECRET_NAMES = "|".join(  # names, not a secret
    (
        r"secret(?:[_-]?key(?:[_-]?base)?)?|token|api[_-]?key|apikey",
        r"(?:signing|encryption|access|private|master|auth|client)[_-]?key",
        r"credentials?",
    )
)
# Instructions people put where a password goes (`"Enter your password"`, `"must be
# 8 characters"`) are no passphrase; other words are (`"the quick brown fox"`).
_PROSE = re.compile(
    r"(?i)\b(?:your|enter|please|here|must|should|required|characters|invalid|incorrect"
    r"|wrong|forgot|confirm)\b"
)


def _password_value(value: str) -> bool:
    return password_like(value) and (" " not in value or _PROSE.search(value) is None)


def _xml_element(kind: str, names: str, value: str, validator: Validator) -> Pattern:
    """`<name>value</name>` (a namespace or a prefix word before the name, attributes,
    and the value on its own line allowed)."""
    opening = rf"<[A-Za-z0-9_.:-]{{0,40}}(?i:{names})(?:[ \t\r\n][^<>]{{0,200}})?>"
    return Pattern(
        kind=kind,
        regex=rf"{opening}\s{{0,64}}(?P<value>{value})\s{{0,64}}</",
        anchor=rf"<[A-Za-z0-9_.:-]{{0,40}}(?i:{names})[ \t\r\n>]",
        validator=validator,
    )


def _add_key(kind: str, names: str, validator: Validator) -> Pattern:
    """.NET config: `<add key="DbPassword" value="..."/>`."""
    head = rf"""(?i:{names})["'][ \t\r\n]{{1,8}}(?i:value)[ \t]{{0,8}}=[ \t]{{0,8}}["']"""
    return Pattern(
        kind=kind,
        regex=head + r"""(?P<value>[^\s"'<>][^"'<>\r\n]{0,255})["']""",
        anchor=head + r"""[^\s"'<>]""",
        validator=validator,
    )


def _assignment_patterns(config: ScanConfig) -> tuple[Pattern, ...]:
    random_enough = secret_like(config.min_secret_entropy)
    return (
        # The pattern starts at the keyword, so `db_password` and `DB_PASSWORD` match at
        # `password`; `password_policy=` does not (the keyword must meet the separator).
        assigned(
            "password_assignment",
            r"password|passwd|passphrase|(?<=[_.-])pwd|(?<![A-Za-z0-9])pass",
            f"{_QUOTED}|{_VALUE}",
            first=_FIRST,
            anchor_names=_PASSWORD_NAMES,
            validator=_password_value,
            sep=_ASSIGN,
        ),
        # A secret is 12 characters or more (secret_like): shorter values (`token=No`,
        # `"AccessKey", "awsRegion"` are everywhere in Windows and cloud logs) are not
        # matched at all, so that hyperscan skips them without a Python call.
        assigned(
            "generic_secret_assignment",
            _SECRET_NAMES,
            f"(?={_LONG_VALUE}){_VALUE}",
            first=_FIRST,
            lead=_LONG_VALUE,
            validator=random_enough,
            sep=_ASSIGN,
        ),
        _xml_element(
            "password_assignment",
            _PASSWORD_NAMES,
            r"[^<>\s](?:[^<>\r\n]{0,254}[^<>\s])?",
            _password_value,
        ),
        _xml_element("generic_secret_assignment", _SECRET_NAMES, r"[^<>\s]{1,512}", random_enough),
        _add_key("password_assignment", _PASSWORD_NAMES, _password_value),
        # SQL: `CREATE USER ... IDENTIFIED BY 'x'`, `SET PASSWORD FOR u = 'x'` (audit logs).
        Pattern(
            kind="password_assignment",
            regex=(
                r"(?i:identified[ \t]+by(?:[ \t]+password)?|set[ \t]+password"
                r"(?:[ \t]+for[ \t]+[^\s=]{1,128})?[ \t]*=[ \t]*(?i:password\()?)"
                r"[ \t]*'(?P<value>[^'\r\n]{1,256})'"
            ),
            anchor=r"(?i:identified[ \t]+by|set[ \t]+password)",
            validator=_password_value,
        ),
        _add_key("generic_secret_assignment", _SECRET_NAMES, random_enough),
    )


ASSIGNMENTS = Detector(
    name="assignments",
    kinds=(
        Kind("password_assignment", _C, 60),
        Kind("generic_secret_assignment", DataClass.SECRET, 60),
    ),
    configure=_assignment_patterns,
)
