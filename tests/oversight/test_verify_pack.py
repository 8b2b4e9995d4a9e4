"""verify-pack against tampered, hostile and cosigned packs: every failure names its file."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affidavit.ledger import note
from affidavit.oversight.verify_pack import PackError, UsageError, verify
from tests.oversight._pack_case import Sample, read_zip, write_zip

Files = dict[str, bytes]


def _entries(files: Files) -> list[str]:
    return sorted((n for n in files if n.startswith("entries/")), key=lambda n: int(n[8:-5]))


def _of_type(files: Files, kind: str) -> str:
    return next(n for n in _entries(files) if json.loads(files[n])["type"] == kind)


def _payloads(files: Files) -> list[str]:
    return sorted(n for n in files if n.startswith("payloads/") and len(n) == 73)


def _change_entry(files: Files) -> str:
    name = _entries(files)[len(_entries(files)) // 2]
    data = files[name]
    at = data.index(b'"time":"') + 11  # the year's last digit
    files[name] = data[:at] + (b"7" if data[at : at + 1] != b"7" else b"8") + data[at + 1 :]
    return name


def _remove_entry(files: Files) -> str:
    name = _entries(files)[1]
    del files[name]
    return name


def _swap_entries(files: Files) -> str:
    first, second = _entries(files)[2:4]
    files[first], files[second] = files[second], files[first]
    return first


def _remove_context_entry(files: Files) -> str:
    name = _of_type(files, "policy.published")
    del files[name]
    return name


def _flip_proof_hash(files: Files) -> str:
    proofs = json.loads(files["proofs.json"])
    index = sorted(proofs, key=int)[len(proofs) // 2]
    raw = bytearray(base64.b64decode(proofs[index][-1]))
    raw[5] ^= 0x01
    proofs[index][-1] = base64.b64encode(bytes(raw)).decode()
    files["proofs.json"] = json.dumps(proofs, separators=(",", ":")).encode()
    return "proofs.json"


def _drop_proof(files: Files) -> str:
    proofs = json.loads(files["proofs.json"])
    del proofs[sorted(proofs, key=int)[0]]
    files["proofs.json"] = json.dumps(proofs).encode()
    return "proofs.json"


def _swap_payload(files: Files) -> str:
    first, second = _payloads(files)[:2]
    files[first] = files[second]
    return first


def _remove_payload(files: Files) -> str:
    name = _payloads(files)[0]
    del files[name]
    return name


def _claim_erased(files: Files) -> str:
    name = _payloads(files)[0]
    erasure = int(_of_type(files, "payload.erased")[8:-5])
    del files[name]
    marker = f"{name}.erased.json"
    files[marker] = json.dumps({"erased_by": erasure, "sha256": name[9:]}).encode()
    return marker


def _repoint_erasure(files: Files) -> str:
    [marker] = [n for n in files if n.endswith(".erased.json")]
    files[marker] = json.dumps({"erased_by": 0, "sha256": marker[9:73]}).encode()
    return marker


def _alter_signature(files: Files) -> str:
    text = files["checkpoint.note"].decode()
    body, _, line = text.rstrip("\n").rpartition("\n")
    prefix, _, encoded = line.rpartition(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x80
    files["checkpoint.note"] = (
        f"{body}\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n".encode()
    )
    return "checkpoint.note"


def _alter_checkpoint_size(files: Files) -> str:
    lines = files["checkpoint.note"].decode().split("\n")
    lines[1] = str(int(lines[1]) + 1)
    files["checkpoint.note"] = "\n".join(lines).encode()
    return "checkpoint.note"


def _swap_verifier_key(files: Files) -> str:
    files["verifier.key"] = (note.generate_key("impostor.example/log")[1] + "\n").encode()
    return "verifier.key"


def _alter_policy(files: Files) -> str:
    [name] = [n for n in files if n.startswith("policy/")]
    files[name] += b"\npermit (principal, action, resource);\n"
    return name


def _add_file(files: Files) -> str:
    files["notes.txt"] = b"trust me"
    return "notes.txt"


MUTATIONS: dict[str, Callable[[Files], str]] = {
    "entry byte changed": _change_entry,
    "entry removed": _remove_entry,
    "entries swapped": _swap_entries,
    "context entry removed": _remove_context_entry,
    "proof hash flipped": _flip_proof_hash,
    "proof removed": _drop_proof,
    "payload swapped": _swap_payload,
    "payload removed": _remove_payload,
    "live payload claimed erased": _claim_erased,
    "erasure marker re-pointed": _repoint_erasure,
    "signature altered": _alter_signature,
    "checkpoint size altered": _alter_checkpoint_size,
    "verifier key swapped": _swap_verifier_key,
    "policy text altered": _alter_policy,
    "file added": _add_file,
}


def _rehash(files: Files) -> None:
    """What a careful forger does: make manifest.json match the altered files."""
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = {
        n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != "manifest.json"
    }
    files["manifest.json"] = json.dumps(manifest).encode()


@pytest.mark.parametrize("forger", ["manifest kept", "manifest rehashed"])
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_tampering_fails_naming_the_file(
    sample: Sample, tmp_path: Path, mutation: str, forger: str
) -> None:
    files = read_zip(sample.case_pack)
    named = MUTATIONS[mutation](files)
    if forger == "manifest rehashed":
        _rehash(files)
    with pytest.raises(PackError) as caught:
        verify(write_zip(tmp_path / "forged.zip", files), sample.key)
    assert named in str(caught.value)
    assert caught.value.file in files or caught.value.file in read_zip(sample.case_pack)


def test_untouched_packs_verify(sample: Sample, tmp_path: Path) -> None:
    for pack in (sample.case_pack, sample.period_pack):
        report = verify(pack, sample.key)
        assert report.size == sample.checkpoint_size
    # a rewritten zip with the same files is the same evidence
    assert verify(write_zip(tmp_path / "copy.zip", read_zip(sample.case_pack)), sample.key)


def test_erased_payloads_are_reported_not_failures(sample: Sample) -> None:
    report = verify(sample.case_pack, sample.key)
    assert report.erased == ((sample.built.erased_sha256, sample.built.erasure_seq),)
    assert report.entries == sample.case_entries + report.context_entries
    assert any(f"erased: {sample.built.erased_sha256}" in line for line in report.lines())


def test_presentation_files_are_checked_against_the_manifest_only(
    sample: Sample, tmp_path: Path
) -> None:
    files = read_zip(sample.case_pack)
    files["timeline.html"] = files["timeline.html"].replace(b"</table>", b"</table><p>extra</p>")
    with pytest.raises(PackError, match=r"^timeline\.html: differs from the SHA-256"):
        verify(write_zip(tmp_path / "a.zip", files), sample.key)
    _rehash(files)  # a forger who updates the manifest too: the page is not evidence
    report = verify(write_zip(tmp_path / "b.zip", files), sample.key)
    assert "timeline.html and README.txt (presentation)" in "\n".join(report.lines())


def test_manifest_scope_is_held_to_the_entries(sample: Sample, tmp_path: Path) -> None:
    files = read_zip(sample.case_pack)
    manifest = json.loads(files["manifest.json"])
    manifest["scope"] = {"case": "SOME-OTHER-CASE"}
    files["manifest.json"] = json.dumps(manifest).encode()
    with pytest.raises(PackError, match=r"^manifest\.json: its scope \(case SOME-OTHER-CASE\)"):
        verify(write_zip(tmp_path / "a.zip", files), sample.key)


def test_a_different_log_key_is_refused(sample: Sample) -> None:
    other = note.generate_key("affidavit.local/log/other")[1]
    with pytest.raises(PackError, match=r"^verifier\.key: is not the log key you gave"):
        verify(sample.case_pack, other)


# --- witnesses (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1)


def _witness(name: str) -> tuple[Ed25519PrivateKey, str]:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes_raw()
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    encoded = base64.b64encode(b"\x04" + public).decode()
    vkey = f"{name}+{key_id.hex()}+{encoded}"
    return private, vkey


def _cosign(files: Files, name: str, private: Ed25519PrivateKey, time: int) -> None:
    signed = files["checkpoint.note"].decode()
    text = signed[: signed.rindex("\n\n") + 1]
    message = f"cosignature/v1\ntime {time}\n".encode() + text.encode()
    key_id = hashlib.sha256(
        name.encode() + b"\n\x04" + private.public_key().public_bytes_raw()
    ).digest()[:4]
    blob = key_id + time.to_bytes(8, "big") + private.sign(message)
    files["checkpoint.note"] = (
        signed + f"\u2014 {name} {base64.b64encode(blob).decode()}\n"
    ).encode()
    _rehash(files)


def test_witness_cosignatures_and_quorum(sample: Sample, tmp_path: Path) -> None:
    one, one_key = _witness("witness.example/w1")
    _, two_key = _witness("witness.example/w2")
    files = read_zip(sample.case_pack)
    _cosign(files, "witness.example/w1", one, 1_764_316_800)
    pack = write_zip(tmp_path / "cosigned.zip", files)

    report = verify(pack, sample.key, [one_key])
    assert report.cosigned == (("witness.example/w1", 1_764_316_800),)
    assert "witnesses: 1 of 1 given cosigned (quorum 1)" in "\n".join(report.lines())
    with pytest.raises(PackError, match=r"^checkpoint\.note: 1 of the 2 witnesses given"):
        verify(pack, sample.key, [one_key, two_key])
    assert verify(pack, sample.key, [one_key, two_key], quorum=1).cosigned
    assert verify(pack, sample.key).witnesses_given == 0  # unknown lines are ignored
    with pytest.raises(UsageError, match="quorum"):
        verify(pack, sample.key, [one_key], quorum=2)
    with pytest.raises(UsageError, match="expected a witness key"):
        verify(pack, sample.key, [sample.key])


def test_a_bad_cosignature_fails(sample: Sample, tmp_path: Path) -> None:
    one, one_key = _witness("witness.example/w1")
    files = read_zip(sample.case_pack)
    _cosign(files, "witness.example/w1", one, 1_764_316_800)
    files["checkpoint.note"] = files["checkpoint.note"].replace(
        b"\n\xe2\x80\x94 witness.example/w1 ", b"\n\xe2\x80\x94 witness.example/w1 AAAA", 1
    )
    _rehash(files)
    with pytest.raises(PackError, match=r"^checkpoint\.note: "):
        verify(write_zip(tmp_path / "bad.zip", files), sample.key, [one_key])


# --- hostile zips


def _zip_with(tmp_path: Path, names: list[str]) -> Path:
    path = tmp_path / "hostile.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names: that is the point
        with zipfile.ZipFile(path, "w") as z:
            for name in names:
                z.writestr(name, b"{}")
    return path


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["../../etc/cron.d/evil"], "unsafe path"),
        (["/etc/passwd"], "unsafe path"),
        (["entries/../../x.json"], "unsafe path"),
        (["C:/windows/x"], "unsafe path"),
        (["..\\evil.txt"], "unsafe path"),
        (["README.txt", "README.txt"], "appears twice"),
        (["entries/007.json"], "not a file an evidence pack holds"),
        (["README.txt"], "checkpoint.note: is missing"),
    ],
)
def test_hostile_names_are_refused(
    sample: Sample, tmp_path: Path, names: list[str], message: str
) -> None:
    with pytest.raises(PackError, match=message):
        verify(_zip_with(tmp_path, names), sample.key)


def _central_record(data: bytes, name: bytes) -> int:
    at = struct.unpack_from("<L", data, data.rindex(b"PK\x05\x06") + 16)[0]
    while True:
        nlen, xlen, clen = struct.unpack_from("<3H", data, at + 28)
        if data[at + 46 : at + 46 + nlen] == name:
            return int(at)
        at += 46 + nlen + xlen + clen


def _patched(sample: Sample, tmp_path: Path, member: bytes, offset: int, value: bytes) -> Path:
    data = bytearray(sample.case_pack.read_bytes())
    at = _central_record(bytes(data), member) + offset
    data[at : at + len(value)] = value
    path = tmp_path / "patched.zip"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("offset", "value", "message"),
    [
        (8, struct.pack("<H", 1), "encrypted"),
        (10, struct.pack("<H", 12), "compression method 12"),
        (24, struct.pack("<L", 10), "does not decompress to its declared size"),
        (24, struct.pack("<L", 0xFFFF_FFF0), "would expand to more than"),
        (16, struct.pack("<L", 1234), "CRC in the zip"),
        (42, struct.pack("<L", 0), "local header does not match"),
    ],
)
def test_lying_zip_headers_are_refused(
    sample: Sample, tmp_path: Path, offset: int, value: bytes, message: str
) -> None:
    with pytest.raises(PackError, match=message):
        verify(_patched(sample, tmp_path, b"proofs.json", offset, value), sample.key)


def test_zip_bomb_is_capped(sample: Sample, tmp_path: Path) -> None:
    files = read_zip(sample.case_pack)
    files["timeline.html"] = b"\0" * (8 << 20)  # 8 MiB that compress to a few KiB
    pack = write_zip(tmp_path / "bomb.zip", files)
    assert pack.stat().st_size < 200_000
    with pytest.raises(PackError, match="would expand to more than 4000000 bytes"):
        verify(pack, sample.key, max_total=4_000_000)


def test_non_utf8_names_and_content(sample: Sample, tmp_path: Path) -> None:
    data = sample.case_pack.read_bytes().replace(b"README.txt", b"README\xff\xfetx")
    (tmp_path / "a.zip").write_bytes(data)
    with pytest.raises(PackError, match="is not valid UTF-8"):
        verify(tmp_path / "a.zip", sample.key)
    files = read_zip(sample.case_pack)
    files["manifest.json"] = b"\xff\xfe{"
    with pytest.raises(PackError, match=r"^manifest\.json: is not valid UTF-8 JSON"):
        verify(write_zip(tmp_path / "b.zip", files), sample.key)
    files["manifest.json"] = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(PackError, match=r"^manifest\.json: is not valid UTF-8 JSON"):
        verify(write_zip(tmp_path / "c.zip", files), sample.key)


@pytest.mark.parametrize(
    "content", [b"", b"not a zip at all, just text", b"PK\x05\x06" + b"\0" * 18, b"PK" * 40]
)
def test_not_a_zip(sample: Sample, tmp_path: Path, content: bytes) -> None:
    (tmp_path / "x.zip").write_bytes(content)
    with pytest.raises(PackError, match=r"^x\.zip: "):
        verify(tmp_path / "x.zip", sample.key)


def test_truncated_zip(sample: Sample, tmp_path: Path) -> None:
    data = sample.case_pack.read_bytes()
    for cut in (100, len(data) // 2, len(data) - 30):
        (tmp_path / "t.zip").write_bytes(data[:cut])
        with pytest.raises(PackError):
            verify(tmp_path / "t.zip", sample.key)


def test_bad_arguments(sample: Sample, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^missing\.zip: no such file"):
        verify(tmp_path / "missing.zip", sample.key)
    with pytest.raises(UsageError, match="log verifier key"):
        verify(sample.case_pack, "not a key")
    name, _, encoded = sample.key.split("+", 2)
    with pytest.raises(UsageError, match="claims key id"):
        verify(sample.case_pack, f"{name}+00000000+{encoded}")
    _, w = _witness("w.example/1")
    with pytest.raises(UsageError, match="given twice"):
        verify(sample.case_pack, sample.key, [w, w])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    flips=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=4
    )
)
def test_random_corruption_never_escapes_as_another_error(
    sample: Sample, tmp_path: Path, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(sample.case_pack.read_bytes())
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    path = tmp_path / "fuzzed.zip"
    path.write_bytes(bytes(data))
    try:
        outcome = verify(path, sample.key).pack
    except PackError as exc:  # any other exception fails the test
        outcome = exc.file
    assert outcome


def test_a_stored_entry_with_a_lying_size_is_refused(sample: Sample, tmp_path: Path) -> None:
    name = next(n for n in read_zip(sample.case_pack) if n.startswith("entries/"))
    pack = _patched(sample, tmp_path, name.encode(), 24, struct.pack("<L", 3))
    with pytest.raises(PackError, match=f"^{name}: does not decompress to its declared size"):
        verify(pack, sample.key)
