"""Personal data: e-mail addresses, phone numbers, US SSNs, user names and UPNs."""

from __future__ import annotations

import re

from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import SEP, token
from affidavit.protect.finding import DataClass
from affidavit.protect.validators import us_ssn_valid

__all__ = ["CONTACT", "GOVERNMENT_IDS", "IDENTITIES"]

_P = DataClass.PII
_LOCAL = r"[A-Za-z0-9._%+-]{1,64}"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
# A domain ends where no further label follows: `corp.local` in `corp.local-x` or
# `corp.local.evil.com` is not the domain.
_DOMAIN_END = r"(?![A-Za-z0-9-]|\.[A-Za-z0-9-])"
_DIGITS = re.compile(r"[0-9]")


def _international_phone(value: str) -> bool:
    """E.164 allows at most 15 digits; fewer than 8 is a short code, not a phone."""
    return 8 <= len(_DIGITS.findall(value)) <= 15


def _nanp_phone(value: str) -> bool:
    """North American numbers: neither area code nor exchange may be N11 (service codes)."""
    digits = "".join(_DIGITS.findall(value))[-10:]
    return digits[1:3] != "11" and digits[4:6] != "11"


CONTACT = Detector(
    name="contact",
    kinds=(Kind("email", _P, 40), Kind("phone", _P, 35)),
    patterns=(
        Pattern(
            kind="email",
            regex=f"(?<![A-Za-z0-9._%+-]){_LOCAL}@{_DOMAIN}{_DOMAIN_END}",
            anchor=r"@[A-Za-z0-9]",
            lookback="A-Za-z0-9._%+-",
        ),
        # +CC then 7-17 more digits, each optionally after one space, dot or dash, with
        # optional (area) groups: +1 (202) 555-0143, +44 20 7946 0958, +4930123456.
        Pattern(
            kind="phone",
            regex=r"(?<![A-Za-z0-9+])\+[1-9](?:[ .-]?(?:\([0-9]{1,4}\)|[0-9])){7,17}(?![0-9])",
            anchor=r"\+[1-9][0-9 .()-]{7}",
            validator=_international_phone,
        ),
        token(
            "phone",
            r"(?:1[.-])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[.-])[2-9][0-9]{2}[.-][0-9]{4}",
            edge="A-Za-z0-9.+-",
            validator=_nanp_phone,
            templates=False,
        ),
    ),
)

GOVERNMENT_IDS = Detector(
    name="government_ids",
    kinds=(Kind("us_ssn", _P, 50),),
    patterns=(
        Pattern(
            kind="us_ssn",
            regex=r"(?<![A-Za-z0-9.-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![A-Za-z0-9-]|\.[0-9])",
            anchor=r"[0-9]{3}-[0-9]{2}-[0-9]{4}",
            validator=us_ssn_valid,
        ),
        # Grouped with spaces (3-2-4, unlike any phone grouping) needs no context either.
        Pattern(
            kind="us_ssn",
            regex=r"(?<![A-Za-z0-9.-])[0-9]{3} [0-9]{2} [0-9]{4}(?![A-Za-z0-9-]|[ .][0-9])",
            anchor=r"[0-9]{3} [0-9]{2} [0-9]{4}",
            validator=us_ssn_valid,
        ),
        # Undashed or dotted numbers only where the text says they are SSNs.
        Pattern(
            kind="us_ssn",
            regex=(
                r"""(?<![A-Za-z])(?i:ssn|ss\#|social[ _-]?security(?:[ _-]?(?:number|no\.?|\#))?)"""
                r"""["']?[ \t]{0,8}(?:\#|(?i:no)\.?)?[ \t]{0,8}[:=]?[ \t]{0,8}["']?"""
                r"(?P<value>[0-9]{9}|[0-9]{3}(?P<sep>[ .])[0-9]{2}(?P=sep)[0-9]{4})(?![0-9])"
            ),
            # The character before the keyword keeps `processName` (proce-ssN-ame) out.
            anchor=r"(?:^|[^A-Za-z])(?i:ssn|ss\#|social[ _-]?security)",
            validator=us_ssn_valid,
        ),
    ),
)

# Names that look like DOMAIN\user but are registry hives, well-known principals or paths.
_NOT_DOMAINS = frozenset(
    {
        "HKLM", "HKCU", "HKCR", "HKU", "HKCC", "AUTHORITY", "BUILTIN", "SERVICE", "APPPOOL",
        "SOFTWARE", "SYSTEM", "SYSTEM32", "WINDOWS", "DEVICE", "GLOBAL", "USERS", "PROGRAM",
        "DRIVERS", "CONTROLSET001", "CURRENTCONTROLSET",
    }
)  # fmt: skip
_NOT_USERS = frozenset(
    {
        "system", "local service", "network service", "anonymous logon", "-", "n/a", "na",
        "null", "none", "unknown", "true", "false", "nobody", "undefined", "pass", "password",
        "user", "username",
    }
)  # fmt: skip


# Upper-case words that precede a JSON-escaped line break (`ERROR\nStack trace`).
_LOG_WORDS = frozenset(
    {"ERROR", "WARN", "WARNING", "INFO", "DEBUG", "FATAL", "TRACE", "NOTICE", "CRITICAL"}
)


def _domain_user(value: str) -> bool:
    domain, _, user = value.replace("\\\\", "\\").partition("\\")
    if domain.upper() in _LOG_WORDS and "\\\\" not in value and user[:1] in "nrt":
        return False
    return domain.upper() not in _NOT_DOMAINS and user.lower() not in _NOT_USERS


_LETTER = re.compile("[A-Za-z]")


def _user_value(value: str) -> bool:
    if "\\" in value:
        return _domain_user(value)
    return value.lower() not in _NOT_USERS and _LETTER.search(value) is not None


# A user part ends in a name character, so a full stop after it is punctuation.
_USER = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9_-])?\$?"
_USER_KEYS = (
    r"user(?:[_-]?name)?|user[_-]?id|account[_-]?name|sam[_-]?account[_-]?name"
    r"|login(?:[_-]?name)?|logon[_-]?name"
)

IDENTITIES = Detector(
    name="identities",
    kinds=(Kind("upn", _P, 45), Kind("username", _P, 30)),
    patterns=(
        # DOMAIN\user without context needs an upper-case NetBIOS domain (as Windows logs
        # print it) with at most three digits or dashes after its last letter: lower-case
        # `text\nmore` is a JSON escape and `System32\` a path, not accounts. The anchor
        # is the domain's last letter, its tail and the backslash; the rest is lookback.
        Pattern(
            kind="username",
            regex=(
                r"(?<![A-Za-z0-9_.$\\-])(?P<value>[A-Z](?:[A-Z0-9-]{0,13}[A-Z])?[0-9-]{0,3}"
                r"\\{1,2}" + _USER + r""")(?![A-Za-z0-9_$-]|\\(?!["'])|\.[A-Za-z0-9])"""
            ),
            anchor=tuple("[A-Z]" + "[0-9-]" * n + "\\\\" for n in range(4)),
            lookback="A-Z0-9-",
            validator=_domain_user,
        ),
        Pattern(
            kind="username",
            regex=(
                f"(?i:{_USER_KEYS}){SEP}"
                r"(?P<value>(?:[A-Za-z0-9][A-Za-z0-9-]{0,14}\\{1,2})?" + _USER + ")"
                r"""(?![A-Za-z0-9_$@-]|\\(?!["'])|\.[A-Za-z0-9_-])"""
            ),
            anchor=f"(?i:{_USER_KEYS}){SEP}[A-Za-z0-9]",
            validator=_user_value,
        ),
        Pattern(
            kind="upn",
            regex=(
                r"(?i:user[_-]?principal[_-]?name|upn|alternate[_-]?id|" + _USER_KEYS + ")"
                f"{SEP}(?P<value>{_LOCAL}@{_DOMAIN}){_DOMAIN_END}"
            ),
            anchor=(
                r"(?i:user[_-]?principal[_-]?name|upn|alternate[_-]?id|" + _USER_KEYS + ")"
                f"{SEP}[A-Za-z0-9._%+-]{{1,64}}@"
            ),
        ),
    ),
)
