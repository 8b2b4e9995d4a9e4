"""Payment data: card numbers (Luhn and issuer ranges) and IBANs (ISO 13616 mod 97)."""

from __future__ import annotations

import re
from collections import defaultdict

from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import token
from affidavit.protect.finding import DataClass
from affidavit.protect.validators import iban_valid, luhn_valid

__all__ = ["IBAN_LENGTHS", "PAYMENT", "card_number_valid"]

_F = DataClass.FINANCIAL
_NON_DIGITS = re.compile(r"[^0-9]")


def _issuer_lengths(digits: str) -> tuple[int, ...]:
    """Lengths the issuer ranges (IIN prefixes) allow; () when no known network issues it."""
    two, four = int(digits[:2]), int(digits[:4])
    if two in (34, 37):
        return (15,)
    if digits[0] == "4":
        return (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return (16,)
    if four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649 or two == 62:
        return (16, 17, 18, 19)
    if 3528 <= four <= 3589:
        return (16, 17, 18, 19)
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return (14, 15, 16)
    if two in (50, 56, 57, 58) or digits[:2] in ("63", "67"):
        return tuple(range(13, 20))  # Maestro
    return ()


def card_number_valid(value: str) -> bool:
    digits = _NON_DIGITS.sub("", value)
    return len(digits) in _issuer_lengths(digits) and luhn_valid(digits)


# Total IBAN length per country (ISO 13616 registry).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def _iban_regex() -> str:
    """One branch per IBAN length, so a match is exactly as long as its country requires,
    written compact or in groups of four (`DE89 3704 0044 0532 0130 00`)."""
    by_length: dict[int, list[str]] = defaultdict(list)
    for country, length in sorted(IBAN_LENGTHS.items()):
        by_length[length].append(country)
    branches = []
    for length, countries in sorted(by_length.items()):
        groups, rest = divmod(length - 4, 4)
        tail = f"[ ]?[A-Z0-9]{{{rest}}}" if rest else ""
        branches.append(
            f"(?:{'|'.join(countries)})[0-9]{{2}}(?:[ ]?[A-Z0-9]{{4}}){{{groups}}}{tail}"
        )
    return "|".join(branches)


_COUNTRIES = "|".join(sorted(IBAN_LENGTHS))

PAYMENT = Detector(
    name="payment",
    kinds=(Kind("credit_card", _F, 50), Kind("iban", _F, 50)),
    patterns=(
        # `\b` in the anchors is exact: no match may follow a word character.
        token(
            "credit_card",
            r"[2-6][0-9]{12,18}",
            edge="A-Za-z0-9_",
            anchor=r"\b[2-6][0-9]{12}",
            validator=card_number_valid,
            templates=False,
        ),
        # Grouped the way cards are printed or pasted (space, dash or dot), one separator kind
        # throughout: 4-4-4-4
        # (most networks), 4-6-5 (Amex), 4-6-4 (Diners).
        Pattern(
            kind="credit_card",
            regex=(
                r"(?<![A-Za-z0-9_.])[2-6][0-9]{3}(?P<sep>[ .-])[0-9]{4}(?P=sep)[0-9]{4}"
                r"(?P=sep)[0-9]{4}(?![A-Za-z0-9]|\.[0-9])"
            ),
            anchor=r"\b[2-6][0-9]{3}[ .-][0-9]{4}[ .-][0-9]{4}[ .-][0-9]{4}",
            validator=card_number_valid,
        ),
        Pattern(
            kind="credit_card",
            regex=(
                r"(?<![A-Za-z0-9_.])3[0-9]{3}(?P<sep>[ .-])[0-9]{6}(?P=sep)[0-9]{4,5}"
                r"(?![A-Za-z0-9]|\.[0-9])"
            ),
            anchor=r"\b3[0-9]{3}[ .-][0-9]{6}[ .-][0-9]{4}",
            validator=card_number_valid,
        ),
        Pattern(
            kind="iban",
            regex=f"(?<![A-Za-z0-9_])(?:{_iban_regex()})(?![A-Za-z0-9])",
            anchor=f"\\b(?:{_COUNTRIES})[0-9]{{2}}[ ]?[A-Z0-9]{{4}}",
            validator=iban_valid,
        ),
    ),
)
