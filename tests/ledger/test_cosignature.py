"""Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from affidavit.errors import InputError, VerificationError
from affidavit.ledger import note
from affidavit.ledger.cosignature import (
    Cosigner,
    cosigned_message,
    generate_witness_key,
    require_cosignatures,
    verify_cosignatures,
    witness_key_name,
)

LOG_SIGNER, LOG_KEY = note.generate_key("example.com/behind-the-sofa")
W1_SIGNER, W1 = generate_witness_key("witness.example/w1")
W2_SIGNER, W2 = generate_witness_key("witness.example/w2")
TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def _cosigned(*signers: str, timestamp: int = 1679315147) -> str:
    signed = note.sign(TEXT, LOG_SIGNER)
    return signed + "".join(Cosigner(s).cosign(TEXT, timestamp) for s in signers)


def test_signed_message_is_the_spec_layout() -> None:
    # c2sp.org/tlog-cosignature, "Ed25519 signed message", byte for byte.
    assert cosigned_message(TEXT, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_key_ids_use_signature_type_4() -> None:
    # A real witness's vkey (transparency-dev/formats note/note_cosigv1_test.go,
    # Apache-2.0): its key id is SHA-256(name || 0x0A || 0x04 || key)[:4].
    vkey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    assert witness_key_name(vkey) == "remora.n621.de"
    with pytest.raises(InputError, match="claims key id 00000000"):
        witness_key_name(vkey.replace("da77ade7", "00000000"))
    with pytest.raises(InputError, match=r"only Ed25519 cosignature/v1 \(4\)"):
        witness_key_name(LOG_KEY)  # a log key (type 1) is not a witness key
    with pytest.raises(InputError, match=r"only Ed25519 \(1\)"):
        note.verify(note.sign(TEXT, LOG_SIGNER), [W1])


def test_spec_example_line_decodes_to_key_id_timestamp_signature() -> None:
    line = "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    raw = base64.b64decode(line)
    assert len(raw) == 4 + 8 + 64
    assert int.from_bytes(raw[4:12], "big") == 1679315147


def test_cosignatures_verify_and_unknown_keys_are_ignored() -> None:
    cosigned = _cosigned(W1_SIGNER, W2_SIGNER)
    found = verify_cosignatures(cosigned, [W1, W2])
    assert [(c.name, c.timestamp) for c in found] == [
        ("witness.example/w1", 1679315147),
        ("witness.example/w2", 1679315147),
    ]
    assert verify_cosignatures(cosigned, [W2])[0].name == "witness.example/w2"
    assert verify_cosignatures(note.sign(TEXT, LOG_SIGNER), [W1]) == ()
    # The log's own signature check ignores cosignatures: note.verify is unchanged.
    assert note.verify(cosigned, [LOG_KEY]).text == TEXT
    assert Cosigner(W1_SIGNER).verifier_key == W1


def test_quorum() -> None:
    cosigned = _cosigned(W1_SIGNER)
    assert len(require_cosignatures(cosigned, [W1, W2], quorum=1)) == 1
    with pytest.raises(VerificationError, match="by 1 of the given witnesses; 2 are required"):
        require_cosignatures(cosigned, [W1, W2])
    with pytest.raises(InputError, match="between 1 and 2"):
        require_cosignatures(cosigned, [W1, W2], quorum=3)
    with pytest.raises(InputError, match="between 1 and 1"):
        require_cosignatures(cosigned, [W1, W1], quorum=2)  # one witness listed twice


def test_altered_checkpoint_fails() -> None:
    cosigned = _cosigned(W1_SIGNER)
    altered = cosigned.replace("\n20852163\n", "\n20852164\n")
    with pytest.raises(VerificationError, match=r"witness.example/w1.*does not verify"):
        verify_cosignatures(altered, [W1])


def _replace_signature(cosigned: str, name: str, raw: bytes) -> str:
    lines = cosigned.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"\u2014 {name} "):
            lines[i] = f"\u2014 {name} {base64.b64encode(raw).decode()}"
    return "\n".join(lines)


def _raw(cosigned: str, name: str) -> bytes:
    line = next(x for x in cosigned.split("\n") if x.startswith(f"\u2014 {name} "))
    return base64.b64decode(line.split(" ")[2])


def test_altered_timestamp_or_length_fails() -> None:
    cosigned = _cosigned(W1_SIGNER, timestamp=1000)
    raw = _raw(cosigned, "witness.example/w1")
    later = raw[:4] + (1001).to_bytes(8, "big") + raw[12:]
    with pytest.raises(VerificationError, match="does not verify"):
        verify_cosignatures(_replace_signature(cosigned, "witness.example/w1", later), [W1])
    with pytest.raises(VerificationError, match="malformed"):
        verify_cosignatures(_replace_signature(cosigned, "witness.example/w1", raw[:-1]), [W1])
    huge = raw[:4] + (2**63).to_bytes(8, "big") + raw[12:]
    with pytest.raises(VerificationError, match="malformed"):
        verify_cosignatures(_replace_signature(cosigned, "witness.example/w1", huge), [W1])


def test_bad_timestamps_are_refused_when_cosigning() -> None:
    for bad in (-1, 2**63, True):
        with pytest.raises(InputError, match="timestamp"):
            Cosigner(W1_SIGNER).cosign(TEXT, bad)  # type: ignore[arg-type]
    assert "PRIVATE" not in repr(Cosigner(W1_SIGNER))


@given(
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    timestamp=st.integers(0, 2**63 - 1),
    flip=st.integers(0, 71),
)
@hsettings(max_examples=50)
def test_round_trip_and_any_flipped_signature_byte_fails(
    size: int, root: bytes, timestamp: int, flip: int
) -> None:
    text = note.Checkpoint("example.com/behind-the-sofa", size, root).format()
    cosigned = note.sign(text, LOG_SIGNER) + Cosigner(W1_SIGNER).cosign(text, timestamp)
    assert verify_cosignatures(cosigned, [W1])[0].timestamp == timestamp
    raw = bytearray(_raw(cosigned, "witness.example/w1"))
    raw[4 + flip] ^= 0x01
    with pytest.raises(VerificationError):
        verify_cosignatures(_replace_signature(cosigned, "witness.example/w1", bytes(raw)), [W1])
