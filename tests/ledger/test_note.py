"""Tests for affidavit.ledger.note: C2SP signed notes and tlog checkpoints.

Published vectors used verbatim:
* golang.org/x/mod sumdb/note/note_test.go (PeterNeumann and EnochRoot keys,
  the signed Neumann quote, the TestOpen good and bad notes);
* golang.org/x/mod sumdb/tlog/note_test.go (the "go.sum database tree" body);
* two sum.golang.org checkpoints, signed by the real sum.golang.org key and
  cosigned by a witness, from google/trillian-examples
  witness/golang/cmd/addrwitness/README.md;
* the examples in c2sp.org/signed-note and c2sp.org/tlog-checkpoint (no keys
  are published for them, so they serve as notes signed by unknown keys).
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.errors import InputError, VerificationError
from affidavit.ledger.note import (
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    Checkpoint,
    Note,
    Signature,
    generate_key,
    sign,
    verifier_key_from_signer,
    verify,
)

DASH = "\u2014 "

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
PETER = Signature("PeterNeumann", 0xC74F20A3)
ENOCH = Signature("EnochRoot", 0xAF0CFE78)

TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    DASH + "PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    DASH + "EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
SIGNED = TEXT + "\n" + PETER_SIG

SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTES = [
    (
        "go.sum database tree\n15067302\ngJyioq6dwR9n+NjEWORfYmH+ubeYm3kH42BBQ0bTpYI=\n",
        15067302,
        DASH + "sum.golang.org Az3grp1rvWOs5NKlr/xR4GLN/CDyzzakmt1o61uSxYKpK1SerqOP2ClbX/"
        "peKUZjYnyomH5Xz7GZG3TpB7OeKn4E2ww=\n"
        + DASH
        + "test.example.com qTGhC/xIPQ0AXKHK6Y+9ypRfuvMZWPjRXM8NiOg5M1WREn07VQXyuIXM3NRNav3ieVFLU"
        "qDRK77PWDmL6w8w84UqeAw=\n",
    ),
    (
        "go.sum database tree\n15081221\nBoMMe1wd25Tco0mYGROkyqxHZWx+hcSCtMV315Lu6Lg=\n",
        15081221,
        DASH + "sum.golang.org Az3grilD7vQqTrv66jRgKM84Y80KTprrSt4bKmiOPxgmS5ZVBTeCl6dUvjYnN13R+"
        "C8j0jGY1WnUADGMkok3U0m2Zgo=\n"
        + DASH
        + "test.example.com qTGhC3917mAr6hGh+T55tNjxaej/D/GQivJZRIj7XGdAcQOTqfMWIPgp/v/904LEduN/"
        "h2sSRtHUJXUL4b9Gm7Bz4Qc=\n"
        + DASH
        + "test.example.com /Pa7Y/dUvWMAAAAAQVwkQVi81ArPV7BIaQYrMIxyzY0m8a4BdeeBhSKd3PviPK4/3Sd+"
        "NKSc5N7PDTCfAkUSVniN+R2oKIggA4iiDQ==\n",
    ),
]

C2SP_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \u00e8 subito sera.\n"
    "\n" + DASH + "quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)
C2SP_CHECKPOINT_TEXT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
C2SP_CHECKPOINT = (
    C2SP_CHECKPOINT_TEXT + "\n" + DASH + "example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)

TLOG_TREE = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"

NO_KNOWN_SIGNATURE = "no signature by any of the given verifier keys"
DOES_NOT_VERIFY = "does not verify"
MALFORMED = "malformed"

# One generated key for the property tests: generating per example adds nothing.
SKEY, VKEY = generate_key("affidavit.example/log")


def _raw_to_text(raw: bytes) -> str:
    """Bytes as Python text, with invalid UTF-8 kept as lone surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def _insert(line: str, at: int, extra: str) -> str:
    return line[:at] + extra + line[at:]


# --- published signed-note vectors --------------------------------------------------------


def test_sign_reproduces_the_go_signature_byte_for_byte() -> None:
    assert sign(TEXT, PETER_SKEY) == SIGNED


def test_go_signed_note_verifies() -> None:
    note = verify(SIGNED, [PETER_VKEY])
    assert note == Note(TEXT, (PETER,))


def test_verifier_key_derived_from_go_signer_key_is_the_published_one() -> None:
    assert verifier_key_from_signer(PETER_SKEY) == PETER_VKEY


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([PETER_VKEY], (PETER,)),
        ([ENOCH_VKEY], (ENOCH,)),
        ([PETER_VKEY, ENOCH_VKEY], (PETER, ENOCH)),
        ([ENOCH_VKEY, PETER_VKEY], (PETER, ENOCH)),  # note order, not key order
        ([PETER_VKEY, PETER_VKEY], (PETER,)),  # the same key twice is harmless
    ],
)
def test_two_signer_note_reports_the_known_signers(
    keys: list[str], expected: tuple[Signature, ...]
) -> None:
    note = verify(TEXT + "\n" + PETER_SIG + ENOCH_SIG, keys)
    assert note.text == TEXT
    assert note.signatures == expected


@pytest.mark.parametrize("keys", [[], [SUMDB_VKEY], [generate_key("PeterNeumann")[1]]])
def test_note_signed_only_by_unknown_keys_is_rejected(keys: list[str]) -> None:
    with pytest.raises(VerificationError, match=NO_KNOWN_SIGNATURE):
        verify(TEXT + "\n" + PETER_SIG + ENOCH_SIG, keys)


def test_repeated_signatures_count_once_up_to_the_limit() -> None:
    note = verify(TEXT + "\n" + PETER_SIG * MAX_SIGNATURES, [PETER_VKEY])
    assert note.signatures == (PETER,)
    with pytest.raises(VerificationError, match=MALFORMED):
        verify(TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), [PETER_VKEY])
    with pytest.raises(VerificationError, match=MALFORMED):
        verify(TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), [])


def test_altered_signature_by_known_key_is_rejected() -> None:
    with pytest.raises(VerificationError, match=DOES_NOT_VERIFY):
        verify(TEXT + "\n" + _insert(PETER_SIG, 60, "ABCD"), [PETER_VKEY])


def test_altered_signatures_by_unknown_keys_are_ignored() -> None:
    bad_enoch = _insert(ENOCH_SIG, 60, "ABCD")
    note = verify(
        TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + bad_enoch, [PETER_VKEY]
    )
    assert note.signatures == (PETER,)


def test_bad_signature_by_known_key_rejects_even_when_another_known_key_verifies() -> None:
    bad_enoch = _insert(ENOCH_SIG, 60, "ABCD")
    with pytest.raises(VerificationError, match=DOES_NOT_VERIFY):
        verify(TEXT + "\n" + PETER_SIG + bad_enoch, [PETER_VKEY, ENOCH_VKEY])
    # Stricter than Go, which checks only the first signature of each key.
    with pytest.raises(VerificationError, match=DOES_NOT_VERIFY):
        verify(TEXT + "\n" + PETER_SIG + _insert(PETER_SIG, 60, "ABCD"), [PETER_VKEY])


@pytest.mark.parametrize(
    "raw",
    [
        TEXT.encode(),
        (TEXT + "\n").encode(),
        (TEXT + "\n" + PETER_SIG[:-1]).encode(),
        b"\x01" + (TEXT + "\n" + PETER_SIG).encode(),
        b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
        (TEXT + "\n" + DASH + "Bad Name " + PETER_SIG.split(" ")[-1][:-1]).encode(),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n").encode(),
    ],
    ids=[
        "no-signatures",
        "blank-line-only",
        "no-final-newline",
        "control-char",
        "invalid-utf8",
        "name-with-space",
        "unexpected-line",
    ],
)
def test_go_malformed_notes_are_rejected(raw: bytes) -> None:
    with pytest.raises(VerificationError, match=MALFORMED):
        verify(_raw_to_text(raw), [PETER_VKEY])


@pytest.mark.parametrize(
    "line",
    [
        PETER_SIG.replace("PeterNeumann", "CarmenSandiego"),  # known key id, other name
        PETER_SIG.replace("x08g", "xxxx"),  # known name, other key id
    ],
)
def test_signature_matching_known_key_by_name_or_id_only_is_ignored(line: str) -> None:
    with pytest.raises(VerificationError, match=NO_KNOWN_SIGNATURE):
        verify(TEXT + "\n" + line, [PETER_VKEY])
    assert verify(TEXT + "\n" + line + PETER_SIG, [PETER_VKEY]).signatures == (PETER,)


PETER_B64 = PETER_SIG.split(" ")[-1][:-1]


@pytest.mark.parametrize(
    "block",
    [
        "\u2013 PeterNeumann " + PETER_B64 + "\n",  # en dash
        "-- PeterNeumann " + PETER_B64 + "\n",
        DASH + "PeterNeumann\n",
        DASH + "PeterNeumann \n",
        DASH + " " + PETER_B64 + "\n",
        DASH + "Peter+Neumann " + PETER_B64 + "\n",
        DASH + "PeterNeumann " + PETER_B64.rstrip("=") + "\n",  # padding missing
        DASH + "PeterNeumann " + PETER_B64 + "  \n",
        DASH + "PeterNeumann " + PETER_B64[:-2] + "N=\n",  # non-zero pad bits
        DASH + "PeterNeumann x08gow==\n",  # a key id and no signature
        DASH + "PeterNeumann x08g\n",
    ],
)
def test_malformed_signature_lines_are_rejected(block: str) -> None:
    with pytest.raises(VerificationError, match=MALFORMED):
        verify(TEXT + "\n" + PETER_SIG + block, [PETER_VKEY])


def test_real_sum_golang_org_checkpoints_verify_with_witness_cosignatures_ignored() -> None:
    for text, size, signatures in SUMDB_NOTES:
        note = verify(text + "\n" + signatures, [SUMDB_VKEY])
        assert note.text == text
        assert note.signatures == (Signature("sum.golang.org", 0x033DE0AE),)
        checkpoint = Checkpoint.parse(note.text)
        assert checkpoint.origin == "go.sum database tree"
        assert checkpoint.size == size
        assert checkpoint.root == base64.b64decode(text.split("\n")[2])
        assert checkpoint.extensions == ()
        assert checkpoint.format() == note.text


def test_real_checkpoint_with_changed_tree_size_is_rejected() -> None:
    text, size, signatures = SUMDB_NOTES[0]
    forged = text.replace(str(size), str(size + 1))
    with pytest.raises(VerificationError, match=DOES_NOT_VERIFY):
        verify(forged + "\n" + signatures, [SUMDB_VKEY])


def test_c2sp_spec_examples_parse_but_have_no_known_signer() -> None:
    for note in (C2SP_NOTE, C2SP_CHECKPOINT):
        with pytest.raises(VerificationError, match=NO_KNOWN_SIGNATURE):
            verify(note, [PETER_VKEY, SUMDB_VKEY])
    checkpoint = Checkpoint.parse(C2SP_CHECKPOINT_TEXT)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.format() == C2SP_CHECKPOINT_TEXT


def test_c2sp_example_text_with_empty_line_is_signed_and_verified_whole() -> None:
    text = C2SP_NOTE[: C2SP_NOTE.rindex("\n\n") + 1]
    assert "\n\n" in text
    assert verify(sign(text, SKEY), [VKEY]).text == text


# --- keys ---------------------------------------------------------------------------------


def _key_text(name: str, algorithm: int, key: bytes, *, key_id: int | None = None) -> str:
    """A key text with a correctly computed key id unless one is given."""
    material = bytes([algorithm]) + key
    if key_id is None:
        digest = hashlib.sha256(name.encode() + b"\n" + material).digest()
        key_id = int.from_bytes(digest[:4], "big")
    return f"{name}+{key_id:08x}+{base64.b64encode(material).decode()}"


def test_go_verifier_key_manglings_are_rejected() -> None:
    for start in range(len(PETER_VKEY)):
        for end in range(start + 1, len(PETER_VKEY) + 1):
            if (start, end) != (0, len(PETER_VKEY)):
                with pytest.raises(InputError):
                    verify(SIGNED, [PETER_VKEY[start:end]])
    for i in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        with pytest.raises(InputError):
            verify(SIGNED, [mangled])


def test_go_signer_key_manglings_are_rejected() -> None:
    for start in range(len(PETER_SKEY)):
        for end in range(start + 1, len(PETER_SKEY) + 1):
            if (start, end) != (0, len(PETER_SKEY)):
                with pytest.raises(InputError):
                    sign(TEXT, PETER_SKEY[start:end])
    for i in range(len(PETER_SKEY)):
        mangled = PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :]
        with pytest.raises(InputError):
            sign(TEXT, mangled)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        # Go's own: wrong length and unknown algorithm, each with a matching key id.
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "base64",  # its last quantum has non-zero pad bits, so it fails before the length
        ),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "algorithm"),
        (_key_text("PeterNeumann", 2, bytes(32)), "algorithm"),
        (_key_text("PeterNeumann", 1, bytes(31)), "32-byte"),
        (_key_text("PeterNeumann", 1, bytes(33)), "32-byte"),
        (PETER_VKEY.replace("c74f20a3", "c74f20a4"), "key id"),
        (PETER_VKEY.replace("c74f20a3", "c74f20a"), "8 hex digits"),
        (PETER_VKEY.replace("c74f20a3", "0xc74f20"), "8 hex digits"),
        (PETER_VKEY.replace("ARpc", "AR*c"), "base64"),
        (PETER_VKEY + "=", "base64"),
        (PETER_VKEY.replace("PeterNeumann", "Peter Neumann"), "name"),
        (PETER_VKEY.replace("PeterNeumann", "Peter\u00a0Neumann"), "name"),
        (PETER_VKEY.replace("PeterNeumann", ""), "name"),
        ("PeterNeumann", "form"),
        ("PeterNeumann+c74f20a3", "form"),
        (PETER_SKEY, "name|key id|form|hex"),  # a signer key is not a verifier key
    ],
)
def test_malformed_verifier_keys_raise_input_error(key: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        verify(SIGNED, [key])


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (PETER_VKEY, "PRIVATE"),  # a verifier key is not a signer key
        ("private+key+" + PETER_SKEY[len("PRIVATE+KEY+") :], "PRIVATE"),
        ("PRIVATE+KEY+" + _key_text("PeterNeumann", 2, bytes(32)), "algorithm"),
        ("PRIVATE+KEY+" + _key_text("PeterNeumann", 1, bytes(31)), "32-byte"),
        (PETER_SKEY.replace("c74f20a3", "c74f20a4"), "key id"),
        (PETER_SKEY.replace("AYEK", "AYE*"), "base64"),
        (PETER_SKEY.replace("PeterNeumann", "Peter+Neumann"), "key id|form|hex"),
        (PETER_SKEY.replace("PeterNeumann", "Peter Neumann"), "name"),
    ],
)
def test_malformed_signer_keys_raise_input_error(key: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        sign(TEXT, key)
    with pytest.raises(InputError, match=reason):
        verifier_key_from_signer(key)


def test_signer_key_errors_never_quote_the_secret() -> None:
    # A one-character mangling leaves at least one of these pieces of the seed intact.
    pieces = ("AYEKFALVFGyNhPJE", "Y7hfZx09iUvxdXHKDFz")
    for i in range(len(PETER_SKEY)):
        mangled = PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :]
        with pytest.raises(InputError) as raised:
            sign(TEXT, mangled)
        assert not any(piece in str(raised.value) for piece in pieces)


def test_uppercase_key_id_is_accepted_as_go_does() -> None:
    assert verify(SIGNED, [PETER_VKEY.replace("c74f20a3", "C74F20A3")]).signatures == (PETER,)
    assert sign(TEXT, PETER_SKEY.replace("c74f20a3", "C74F20A3")) == SIGNED


def test_conflicting_verifier_keys_with_the_same_name_and_id_raise_input_error() -> None:
    # Only a forger would find a second key with PeterNeumann's key id; model it directly.
    other = _key_text("PeterNeumann", 1, bytes(32), key_id=0xC74F20A3)
    with pytest.raises(InputError):
        verify(SIGNED, [PETER_VKEY, other])


def test_verifier_keys_must_be_a_sequence_not_one_string() -> None:
    with pytest.raises(InputError, match="sequence"):
        verify(SIGNED, PETER_VKEY)


@pytest.mark.parametrize(
    "name", ["", "a+b", "a b", "a\tb", "a\nb", "a\u2003b", "a\u3000b", "a\x01b", "a\udcffb"]
)
def test_generate_key_rejects_invalid_names(name: str) -> None:
    with pytest.raises(InputError):
        generate_key(name)


_NAMES = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="+"),
    min_size=1,
    max_size=24,
)
_LINE_CHARS = st.characters(
    exclude_categories=["Cs"], exclude_characters=[chr(c) for c in range(0x20) if c != 0x0A]
)
_TEXTS = st.text(_LINE_CHARS, max_size=200).map(lambda s: s + "\n")


@given(name=_NAMES)
def test_generated_keys_have_the_go_formats(name: str) -> None:
    signer_key, verifier_key = generate_key(name)
    match = re.fullmatch(r"PRIVATE\+KEY\+(.+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]{44})", signer_key)
    assert match is not None
    assert match.group(1) == name
    assert base64.b64decode(match.group(3))[0] == 1
    name_part, key_id, material = verifier_key.split("+", 2)
    raw = base64.b64decode(material)
    assert (name_part, key_id) == (name, match.group(2))
    assert raw[0] == 1
    assert len(raw) == 33
    digest = hashlib.sha256(name.encode() + b"\n" + raw).digest()
    assert int(key_id, 16) == int.from_bytes(digest[:4], "big")
    assert verifier_key_from_signer(signer_key) == verifier_key


@given(name=_NAMES, text=_TEXTS)
def test_sign_then_verify_round_trips(name: str, text: str) -> None:
    signer_key, verifier_key = generate_key(name)
    note = sign(text, signer_key)
    assert note.startswith(text + "\n" + DASH + name + " ")
    result = verify(note, [verifier_key, PETER_VKEY])
    assert result.text == text
    assert [(s.name, s.key_id) for s in result.signatures] == [
        (name, int(verifier_key.split("+")[1], 16))
    ]
    assert sign(text, signer_key) == note  # Ed25519 is deterministic


def test_note_signed_by_sixteen_keys_verifies_with_any_of_them() -> None:
    keys = [generate_key(f"witness.example/{i}") for i in range(16)]
    note = TEXT + "\n" + "".join(sign(TEXT, s)[len(TEXT) + 1 :] for s, _ in keys)
    everyone = verify(note, [v for _, v in keys])
    assert [s.name for s in everyone.signatures] == [f"witness.example/{i}" for i in range(16)]
    assert verify(note, [keys[7][1]]).signatures[0].name == "witness.example/7"


def _flip_one_byte(note: str, data: st.DataObject, start: int) -> str:
    raw = note.encode()
    index = data.draw(st.integers(start, len(raw) - 1), label="index")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != raw[index]), label="byte")
    return _raw_to_text(raw[:index] + bytes([value]) + raw[index + 1 :])


@given(text=_TEXTS, data=st.data())
def test_any_changed_byte_anywhere_makes_verify_raise(text: str, data: st.DataObject) -> None:
    mutated = _flip_one_byte(sign(text, SKEY), data, 0)
    with pytest.raises(VerificationError):
        verify(mutated, [VKEY])


@given(text=_TEXTS, data=st.data())
def test_any_changed_byte_in_the_signature_makes_verify_raise(
    text: str, data: st.DataObject
) -> None:
    note = sign(text, SKEY)
    mutated = _flip_one_byte(note, data, len(text.encode()))
    with pytest.raises(VerificationError):
        verify(mutated, [VKEY])


# --- sign and model validation ------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "abc", TEXT[:-1], "a\x00b\n", "a\rb\n", "tab\there\n", "a\udcffb\n"]
)
def test_sign_rejects_text_that_cannot_be_a_note(text: str) -> None:
    with pytest.raises(InputError):
        sign(text, PETER_SKEY)


def test_note_size_limit() -> None:
    line = "x" * 99 + "\n"
    fits = line * ((MAX_NOTE_BYTES - 200) // len(line))
    assert verify(sign(fits, SKEY), [VKEY]).text == fits
    with pytest.raises(InputError):
        sign("x" * MAX_NOTE_BYTES + "\n", SKEY)
    with pytest.raises(InputError):  # the text fits, the signature line does not
        sign("x" * (MAX_NOTE_BYTES - 20) + "\n", SKEY)
    oversized = "\u00e9" * (MAX_NOTE_BYTES // 2) + "\n" + "\n" + PETER_SIG
    with pytest.raises(VerificationError, match="larger"):
        verify(oversized, [PETER_VKEY])


def test_non_text_arguments_raise_input_error() -> None:
    with pytest.raises(InputError):
        verify(SIGNED.encode(), [PETER_VKEY])  # type: ignore[arg-type]
    with pytest.raises(InputError):
        verify(SIGNED, [PETER_VKEY.encode()])  # type: ignore[list-item]
    with pytest.raises(InputError):
        sign(TEXT.encode(), PETER_SKEY)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        Checkpoint.parse(TLOG_TREE.encode())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "key_id"),
    [("", 1), ("a b", 1), ("a+b", 1), ("ok", -1), ("ok", 2**32), ("ok", True), ("ok", "1")],
)
def test_signature_validates_on_construction(name: str, key_id: object) -> None:
    with pytest.raises(InputError):
        Signature(name, key_id)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "signatures"),
    [
        ("no newline", (PETER,)),
        ("a\x00\n", (PETER,)),
        (TEXT, ()),
        (TEXT, [PETER]),
        (TEXT, (PETER, PETER)),
        (TEXT, (("PeterNeumann", 0xC74F20A3),)),
    ],
)
def test_note_validates_on_construction(text: str, signatures: object) -> None:
    with pytest.raises(InputError):
        Note(text, signatures)  # type: ignore[arg-type]


def test_models_are_frozen() -> None:
    note = verify(SIGNED, [PETER_VKEY])
    with pytest.raises(AttributeError):
        note.text = "x\n"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        note.signatures[0].key_id = 1  # type: ignore[misc]


# --- checkpoints --------------------------------------------------------------------------

HELLO_ROOT = hashlib.sha256(b"\x00hello world").digest()  # tlog.RecordHash("hello world")


def test_go_tlog_tree_vector_formats_and_parses() -> None:
    checkpoint = Checkpoint("go.sum database tree", 123456789012, HELLO_ROOT)
    assert checkpoint.format() == TLOG_TREE
    assert Checkpoint.parse(TLOG_TREE) == checkpoint


def test_extension_lines_round_trip() -> None:
    text = TLOG_TREE + "JOE\n" * 3
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.extensions == ("JOE", "JOE", "JOE")
    assert checkpoint.format() == text


def test_signed_checkpoint_round_trip() -> None:
    checkpoint = Checkpoint("affidavit.example/log", 0, hashlib.sha256(b"").digest(), ("x y",))
    note = verify(sign(checkpoint.format(), SKEY), [VKEY])
    assert Checkpoint.parse(note.text) == checkpoint


def _with_line(index: int, value: str) -> str:
    lines = TLOG_TREE.split("\n")
    lines[index] = value
    return "\n".join(lines)


@pytest.mark.parametrize(
    "size", ["0123", "00", "-1", "+1", "1.0", "1e3", "0xabcdef", "", " 1", "1 ", "1_000",
             "\u0661\u0662", "\uff11", "18446744073709551616", "1" * 400]
)  # fmt: skip
def test_checkpoint_rejects_bad_tree_sizes(size: str) -> None:
    with pytest.raises(VerificationError, match="tree size"):
        Checkpoint.parse(_with_line(1, size))


def test_checkpoint_accepts_the_largest_and_smallest_tree_sizes() -> None:
    assert Checkpoint.parse(_with_line(1, "0")).size == 0
    assert Checkpoint.parse(_with_line(1, "18446744073709551615")).size == 2**64 - 1


@pytest.mark.parametrize(
    "root",
    [
        "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=",  # Go's: too long
        "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0",  # no padding
        "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb1=",  # non-zero pad bits
        "TszzRgjTG6xce-z2AG31kAXYKBgQVtCSCE40HmuwBb0=",  # URL alphabet
        " TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=",
        base64.b64encode(bytes(31)).decode(),
        base64.b64encode(bytes(33)).decode(),
        "",
    ],
)
def test_checkpoint_rejects_bad_roots(root: str) -> None:
    with pytest.raises(VerificationError, match="root hash"):
        Checkpoint.parse(_with_line(2, root))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "go.sum database tree\n",
        "go.sum database tree\n123456789012\n",
        TLOG_TREE[:-1],  # no final newline
        TLOG_TREE + "JOE",  # Go's ParseTree ignores this junk; a note text cannot end so
        "\n" + TLOG_TREE.split("\n", 1)[1],  # empty origin
        TLOG_TREE + "\n",  # empty extension line
        TLOG_TREE + "ext\n\nmore\n",
        TLOG_TREE + "bell\x07\n",
        "orig\x00in\n" + TLOG_TREE.split("\n", 1)[1],
    ],
)
def test_checkpoint_rejects_missing_or_empty_lines(text: str) -> None:
    with pytest.raises(VerificationError, match="checkpoint"):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, HELLO_ROOT, ()),
        ("a\nb", 1, HELLO_ROOT, ()),
        ("a\x00b", 1, HELLO_ROOT, ()),
        ("log", -1, HELLO_ROOT, ()),
        ("log", 2**64, HELLO_ROOT, ()),
        ("log", True, HELLO_ROOT, ()),
        ("log", "1", HELLO_ROOT, ()),
        ("log", 1, HELLO_ROOT[:31], ()),
        ("log", 1, HELLO_ROOT + b"\x00", ()),
        ("log", 1, bytearray(HELLO_ROOT), ()),
        ("log", 1, HELLO_ROOT.hex(), ()),
        ("log", 1, HELLO_ROOT, ("",)),
        ("log", 1, HELLO_ROOT, ("a\nb",)),
        ("log", 1, HELLO_ROOT, ["ext"]),
        ("log", 1, HELLO_ROOT, (1,)),
    ],
)
def test_checkpoint_validates_on_construction(
    origin: object, size: object, root: object, extensions: object
) -> None:
    with pytest.raises(InputError, match="checkpoint"):
        Checkpoint(origin, size, root, extensions)  # type: ignore[arg-type]


_LINES = st.text(_LINE_CHARS.filter(lambda c: c != "\n"), min_size=1, max_size=40)


@given(
    origin=_LINES,
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_LINES, max_size=4).map(tuple),
)
def test_checkpoint_format_parse_round_trip(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    checkpoint = Checkpoint(origin, size, root, extensions)
    text = checkpoint.format()
    assert text.endswith("\n")
    assert text.count("\n") == 3 + len(extensions)
    parsed = Checkpoint.parse(text)
    assert parsed == checkpoint
    assert parsed.format() == text
