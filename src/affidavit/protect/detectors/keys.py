"""Key material: private key blocks of every common armour, and JSON Web Tokens."""

from __future__ import annotations

from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import token
from affidavit.protect.finding import DataClass
from affidavit.protect.validators import jwt_valid, private_key_body_valid

__all__ = ["JWT", "PRIVATE_KEYS"]

# PKCS#1 (RSA/DSA/EC), PKCS#8 (plain and encrypted), OpenSSH, SSH2 and PGP armour.
_LABEL = r"(?:RSA |DSA |EC |OPENSSH |ENCRYPTED |SSH2 ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?"

PRIVATE_KEYS = Detector(
    name="private_keys",
    kinds=(Kind("private_key", DataClass.SECRET, 96),),
    patterns=(
        # The finding spans the whole block, header to footer, across real or JSON-escaped
        # line breaks. A block cut short (a truncated log line) still spans its header and
        # every base64 line after it, so what leaked is covered.
        Pattern(
            kind="private_key",
            regex=(
                f"-----BEGIN (?P<label>{_LABEL})-----"
                r"(?:[\s\S]{0,65536}?-----END (?P=label)-----"
                r"|(?:\\{1,2}[rn]|[A-Za-z0-9+/=\r\n])*[A-Za-z0-9+/=])"
            ),
            anchor=f"-----BEGIN {_LABEL}-----",
            validator=private_key_body_valid,
        ),
        Pattern(
            kind="private_key",
            regex=r"PuTTY-User-Key-File-[23]: [\s\S]{0,16384}?Private-MAC: [0-9a-fA-F]+",
            anchor=r"PuTTY-User-Key-File-[23]: ",
        ),
    ),
)

# A line break inside a wrapped token: real, or JSON-escaped once.
_BREAK = r"(?:\r?\n[ \t]{0,16}|\\r\\n|\\n)"
_B64URL = "[A-Za-z0-9_-]"
# header.payload[.signature], both JSON parts base64url of '{"...' (hence eyJ). Header and
# payload may be wrapped anywhere past their first characters, as long as a dot follows
# (a two-part token ending a line must not take in the next line). A
# break in the signature is taken only when what follows looks random (has a digit, `-`
# or `_`), so a word on the next line is not glued to a token ending a line. The
# signature is empty or missing for unsigned (`alg: none`) tokens.
_JWT = (
    f"eyJ{_B64URL}{{5,2000}}+(?:{_BREAK}{_B64URL}{{1,2000}}+){{0,20}}"
    f"{_BREAK}?\\.{_BREAK}?"
    f"eyJ(?:{_B64URL}{{0,8000}}+(?:{_BREAK}{_B64URL}{{1,8000}}+){{1,60}}(?={_BREAK}?\\.)"
    f"|{_B64URL}{{5,8000}}+)"
    f"(?:{_BREAK}?\\.(?:{_B64URL}{{8,2000}}+{_BREAK}(?={_B64URL}{{0,1999}}[0-9_-]){_B64URL}{{4,2000}}+"
    f"|{_B64URL}{{0,2000}}+))?"
)

JWT = Detector(
    name="jwt",
    kinds=(Kind("jwt", DataClass.SECRET, 78),),
    patterns=(
        token(
            "jwt",
            _JWT,
            edge="A-Za-z0-9_-",
            anchor=r"eyJ[A-Za-z0-9_-]{5}",
            validator=jwt_valid,
        ),
    ),
)
