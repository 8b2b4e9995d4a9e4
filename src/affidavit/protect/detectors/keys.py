"""Key material: private key blocks of every common armour, and JSON Web Tokens."""

from __future__ import annotations

from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import token
from affidavit.protect.finding import DataClass
from affidavit.protect.validators import jwt_header_valid

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
        ),
        Pattern(
            kind="private_key",
            regex=r"PuTTY-User-Key-File-[23]: [\s\S]{0,16384}?Private-MAC: [0-9a-fA-F]+",
            anchor=r"PuTTY-User-Key-File-[23]: ",
        ),
    ),
)

JWT = Detector(
    name="jwt",
    kinds=(Kind("jwt", DataClass.SECRET, 78),),
    patterns=(
        # header.payload.signature, both JSON parts base64url of '{"...' (hence eyJ); the
        # signature is empty for unsigned tokens.
        token(
            "jwt",
            r"eyJ[A-Za-z0-9_-]{5,2000}\.eyJ[A-Za-z0-9_-]{5,8000}\.[A-Za-z0-9_-]{0,2000}",
            edge="A-Za-z0-9_-",
            anchor=r"eyJ[A-Za-z0-9_-]{5}",
            validator=jwt_header_valid,
        ),
    ),
)
