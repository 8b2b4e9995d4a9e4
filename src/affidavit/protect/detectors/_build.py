"""Small builders shared by the built-in detectors, so each pattern reads as what it finds."""

from __future__ import annotations

from affidavit.protect.detector import Pattern, Validator
from affidavit.protect.validators import (
    char_classes,
    entropy_at_least,
    is_placeholder,
    placeholder_token,
)

# Separator between a name and its value: `name=v`, `name: v`, `"name": "v"`, `name := v`,
# `name => v`, `<name>v`. Quotes are optional around both sides; runs of blanks are
# bounded so anchors stay bounded. Quotes may be backslash-escaped (JSON inside JSON).
SEP = r"""\\?["']?[ \t]{0,8}(?::=|=>|[:=>])[ \t]{0,8}\\?["']?"""
# Command lines set values with spaces too: `aws configure set aws_secret_access_key VALUE`.
SEP_OR_SPACE = r"""\\?["']?(?:[ \t]{0,8}(?::=|=>|[:=>])[ \t]{0,8}|[ \t]{1,8})\\?["']?"""


def token(
    kind: str,
    body: str,
    *,
    edge: str = "A-Za-z0-9",
    anchor: str | tuple[str, ...] | None = None,
    validator: Validator | None = None,
    lookback: str = "",
    templates: bool = True,
) -> Pattern:
    """A self-identifying token (a fixed prefix, a fixed shape) that must not be glued to
    other characters of class ``edge`` on either side. The anchor defaults to the body;
    give a fixed-length prefix of it instead when the body has a variable length.
    Templates of a secret's shape (`ghp_xxxx...`, `AKIAXXXXXXXXXXXXXXXX`) are skipped
    unless ``templates`` is False (numbers such as `4111111111111111` are real-looking
    personal or financial data, not templates)."""
    return Pattern(
        kind=kind,
        regex=f"(?<![{edge}])(?:{body})(?![{edge}])",
        anchor=anchor or body,
        validator=_not_template(validator) if templates else validator,
        lookback=lookback,
    )


def _not_template(validator: Validator | None) -> Validator:
    if validator is None:
        return lambda value: not placeholder_token(value)
    return lambda value: not placeholder_token(value) and validator(value)


def assigned(
    kind: str,
    names: str,
    value: str,
    *,
    first: str,
    after: str = "",
    lead: str = "",
    anchor_names: str | None = None,
    validator: Validator | None = None,
    sep: str = SEP,
) -> Pattern:
    """A value assigned to a name (matched case-insensitively): ``names`` SEP ``value``.

    ``first`` is a character class (without brackets) that every value starts with; it
    keeps the anchor from firing on the bare name. ``after``, if given, is a regex that
    may not follow the value. The finding spans the value only. ``anchor_names`` replaces
    ``names`` in the anchor when ``names`` uses look-around (Hyperscan has none).
    ``lead``, if given, replaces ``[first]`` in the anchor: what every value begins with
    (``value`` must then only match values that begin so, e.g. with a look-ahead).
    """
    return Pattern(
        kind=kind,
        regex=f"(?i:{names}){sep}(?P<value>{value})" + (f"(?!{after})" if after else ""),
        anchor=f"(?i:{anchor_names or names}){sep}" + (lead or f"[{first}]"),
        validator=validator,
    )


def secret_like(min_entropy: float, *, min_length: int = 12, max_length: int = 512) -> Validator:
    """Random-looking: 12 to 512 characters, at least two character classes (so
    `default_value` is not a secret), entropy at or above the threshold, not a
    placeholder. Cheapest and most selective checks first: this runs on every candidate."""

    def check(value: str) -> bool:
        if not min_length <= len(value) <= max_length or char_classes(value) < 2:
            return False
        distinct = len(set(value))  # counted once for the entropy bounds and the filler test
        return entropy_at_least(value, min_entropy, distinct) and not is_placeholder(
            value, distinct
        )

    return check


def password_like(value: str) -> bool:
    """A password as people choose them: 6 to 256 characters, not one character class
    only (`password`, `changeme`, `123456`), not a placeholder."""
    return 6 <= len(value) <= 256 and char_classes(value) >= 2 and not is_placeholder(value)


def not_placeholder(value: str) -> bool:
    return not is_placeholder(value)
