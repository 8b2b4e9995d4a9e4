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
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affidavit.errors import VerificationError
from affidavit.ledger import note
from affidavit.oversight.verify_pack import PackError, UsageError, manifest_note_text, verify
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


def _rehash(files: Files, sign: Callable[[str], str] | None = None, **changes: Any) -> None:
    """What a careful forger does: make manifest.json match the altered files.

    Without the log key (``sign``) manifest.note no longer matches; with it, the
    forger signs the new manifest too.
    """
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = {
        n: hashlib.sha256(d).hexdigest()
        for n, d in files.items()
        if n not in ("manifest.json", "manifest.note")
    }
    manifest.update(changes)
    files["manifest.json"] = json.dumps(manifest).encode()
    if sign is not None:
        _sign_manifest(files, sign)


def _sign_manifest(files: Files, sign: Callable[[str], str]) -> None:
    """Sign whatever manifest.json holds, as the log key's holder could."""
    origin = note.verifier_key_name(files["verifier.key"].decode().strip())
    digest = hashlib.sha256(files["manifest.json"]).hexdigest()
    files["manifest.note"] = sign(manifest_note_text(origin, digest)).encode()


FORGERS = ["manifest kept", "manifest rehashed", "manifest re-signed with the log key"]


@pytest.mark.parametrize("forger", FORGERS)
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_tampering_fails_naming_the_file(
    sample: Sample, tmp_path: Path, mutation: str, forger: str
) -> None:
    files = read_zip(sample.case_pack)
    named = MUTATIONS[mutation](files)
    if forger != "manifest kept":
        _rehash(files, sample.sign if forger.endswith("log key") else None)
    with pytest.raises(PackError) as caught:
        verify(write_zip(tmp_path / "forged.zip", files), sample.key)
    if forger == "manifest rehashed" and named not in ("verifier.key", "notes.txt"):
        named = "manifest.json"  # the signed manifest no longer matches (those two: before)
    assert named in str(caught.value)
    assert caught.value.file in files or caught.value.file in read_zip(sample.case_pack)


def _payload_added(files: Files) -> str:
    name = f"payloads/{hashlib.sha256(b'planted').hexdigest()}"
    files[name] = b"planted"
    return name


def _policy_added(files: Files) -> str:
    text = b"permit (principal, action, resource);\n"
    name = f"policy/{hashlib.sha256(text).hexdigest()}.cedar"
    files[name] = text
    return name


def _entry_dropped_with_its_traces(files: Files) -> str:
    """Remove an entry with its proof and its timeline row: only the manifest shows it."""
    name = _entries(files)[2]
    index = name[8:-5]
    del files[name]
    proofs = json.loads(files["proofs.json"])
    del proofs[index]
    files["proofs.json"] = json.dumps(proofs, separators=(",", ":")).encode()
    page = files["timeline.html"].decode()
    start = page.index(f'<tr id="e{index}"')
    files["timeline.html"] = (page[:start] + page[page.index("</tr>", start) + 5 :]).encode()
    return name


def _entry_added(files: Files, other: Files) -> str:
    name = next(n for n in _entries(other) if n not in files)
    files[name] = other[name]
    return name


def _readme_changed(files: Files) -> str:
    files["README.txt"] += b"\nAll entries were approved by the board.\n"
    return "README.txt"


def _timeline_swapped(files: Files, other: Files) -> str:
    files["timeline.html"] = other["timeline.html"]
    return "timeline.html"


def _marker_removed(files: Files) -> str:
    [name] = [n for n in files if n.endswith(".erased.json")]
    del files[name]
    return name


# The file list itself: an addition, a removal or a change of any file, evidence or not.
FILE_LIST_ATTACKS: dict[str, Callable[[Files, Files], str]] = {
    "payload added": lambda files, _: _payload_added(files),
    "policy bundle added": lambda files, _: _policy_added(files),
    "entry of another pack added": _entry_added,
    "payload removed": lambda files, _: _remove_payload(files),
    "erasure marker removed": lambda files, _: _marker_removed(files),
    "entry, proof and timeline row removed": lambda files, _: _entry_dropped_with_its_traces(files),
    "README changed": lambda files, _: _readme_changed(files),
    "timeline swapped for another pack's": _timeline_swapped,
}


@pytest.mark.parametrize("attack", list(FILE_LIST_ATTACKS))
def test_the_pack_commits_to_its_file_list(sample: Sample, tmp_path: Path, attack: str) -> None:
    files = read_zip(sample.case_pack)
    named = FILE_LIST_ATTACKS[attack](files, read_zip(sample.period_pack))
    with pytest.raises(PackError) as caught:
        verify(write_zip(tmp_path / "a.zip", files), sample.key)
    assert caught.value.file == named
    _rehash(files)  # the forger lists the new file set, but cannot sign it
    with pytest.raises(PackError) as caught:
        verify(write_zip(tmp_path / "b.zip", files), sample.key)
    assert str(caught.value).startswith(
        "manifest.json: differs from the manifest the log key signed in manifest.note"
    )


def test_a_removed_entry_with_all_its_traces_is_caught(sample: Sample, tmp_path: Path) -> None:
    """Once the gap the signed manifest closed: a pack with one entry fewer verified."""
    files = read_zip(sample.case_pack)
    name = _entry_dropped_with_its_traces(files)
    manifest = json.loads(files["manifest.json"])
    del manifest["files"][name]
    files["manifest.json"] = json.dumps(manifest).encode()
    with pytest.raises(PackError, match=r"^manifest\.json: differs from the manifest the log key"):
        verify(write_zip(tmp_path / "a.zip", files), sample.key)


def _replace_note(files: Files, sample: Sample, how: str) -> None:
    signed = files["manifest.note"].decode()
    if how == "removed":
        del files["manifest.note"]
    elif how == "the checkpoint note instead":
        files["manifest.note"] = files["checkpoint.note"]
    elif how == "the other pack's":
        files["manifest.note"] = read_zip(sample.period_pack)["manifest.note"]
    elif how == "a second signature line":
        files["manifest.note"] = (signed + signed[signed.rindex("\u2014") :]).encode()
    elif how == "signed by another key":
        impostor = note.generate_key(note.verifier_key_name(sample.key))[0]
        files["manifest.note"] = note.sign(signed[: signed.index("\n\n") + 1], impostor).encode()
    elif how == "a flipped signature bit":
        _alter_signature_of(files, "manifest.note")
    elif how == "text for another log":
        digest = hashlib.sha256(files["manifest.json"]).hexdigest()
        files["manifest.note"] = sample.sign(manifest_note_text("other.log", digest)).encode()


def _alter_signature_of(files: Files, name: str) -> None:
    text = files[name].decode()
    body, _, line = text.rstrip("\n").rpartition("\n")
    prefix, _, encoded = line.rpartition(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x80
    files[name] = f"{body}\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n".encode()


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("removed", r"^manifest\.note: is missing from the pack"),
        ("the checkpoint note instead", r"^manifest\.note: is not a pack manifest"),
        ("the other pack's", r"^manifest\.json: differs from the manifest the log key signed"),
        ("a second signature line", r"^manifest\.note: is not signed by the log key"),
        ("signed by another key", r"^manifest\.note: is not signed by the log key"),
        ("a flipped signature bit", r"^manifest\.note: the log's signature does not verify"),
        ("text for another log", r"^manifest\.note: is not a pack manifest signed for this log"),
    ],
)
def test_a_forged_manifest_note_is_named(
    sample: Sample, tmp_path: Path, how: str, message: str
) -> None:
    files = read_zip(sample.case_pack)
    _replace_note(files, sample, how)
    with pytest.raises(PackError, match=message):
        verify(write_zip(tmp_path / "a.zip", files), sample.key)


def test_the_signed_manifest_names_the_packs_checkpoint(sample: Sample, tmp_path: Path) -> None:
    files = read_zip(sample.case_pack)
    _rehash(
        files, sample.sign, checkpoint={"size": 1, "root": base64.b64encode(bytes(32)).decode()}
    )
    with pytest.raises(PackError, match=r"^manifest\.json: names another checkpoint"):
        verify(write_zip(tmp_path / "a.zip", files), sample.key)


def test_a_manifest_note_is_never_a_checkpoint_and_back(sample: Sample) -> None:
    """Domain separation: the log key signs both, neither passes for the other."""
    files = read_zip(sample.case_pack)
    manifest_text = note.verify(files["manifest.note"].decode(), [sample.key]).text
    with pytest.raises(VerificationError):
        note.Checkpoint.parse(manifest_text)
    checkpoint_text = note.verify(files["checkpoint.note"].decode(), [sample.key]).text
    assert not checkpoint_text.startswith(manifest_note_text("x", "")[:20])


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


def test_presentation_files_are_held_to_the_signed_manifest(sample: Sample, tmp_path: Path) -> None:
    files = read_zip(sample.case_pack)
    files["timeline.html"] = files["timeline.html"].replace(b"</table>", b"</table><p>extra</p>")
    with pytest.raises(PackError, match=r"^timeline\.html: differs from the SHA-256"):
        verify(write_zip(tmp_path / "a.zip", files), sample.key)
    _rehash(files)
    with pytest.raises(PackError, match=r"^manifest\.json: differs from the manifest the log"):
        verify(write_zip(tmp_path / "b.zip", files), sample.key)
    # The log key's holder can re-sign a manifest over another page: the page is not
    # evidence (the report says so), the entries are.
    _rehash(files, sample.sign)
    report = verify(write_zip(tmp_path / "c.zip", files), sample.key)
    assert "timeline.html and README.txt (presentation" in "\n".join(report.lines())


def test_manifest_scope_is_held_to_the_entries(sample: Sample, tmp_path: Path) -> None:
    files = read_zip(sample.case_pack)
    manifest = json.loads(files["manifest.json"])
    manifest["scope"] = {"case": "SOME-OTHER-CASE"}
    files["manifest.json"] = json.dumps(manifest).encode()
    _sign_manifest(files, sample.sign)  # even the log key's holder
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


def test_witness_cosignatures_and_quorum(sample: Sample, tmp_path: Path) -> None:
    one, one_key = _witness("witness.example/w1")
    _, two_key = _witness("witness.example/w2")
    files = read_zip(sample.case_pack)
    _cosign(files, "witness.example/w1", one, 1_764_316_800)
    _rehash(files, sample.sign)  # as an export after the witness cosigned would be
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
    _rehash(files, sample.sign)  # as an export after the witness cosigned would be
    files["checkpoint.note"] = files["checkpoint.note"].replace(
        b"\n\xe2\x80\x94 witness.example/w1 ", b"\n\xe2\x80\x94 witness.example/w1 AAAA", 1
    )
    _rehash(files, sample.sign)
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
    with pytest.raises(PackError, match=r"^manifest\.json: differs from the manifest the log"):
        verify(write_zip(tmp_path / "b.zip", files), sample.key)
    _sign_manifest(files, sample.sign)
    with pytest.raises(PackError, match=r"^manifest\.json: is not valid UTF-8 JSON"):
        verify(write_zip(tmp_path / "b.zip", files), sample.key)
    files["manifest.json"] = b"[" * 100_000 + b"]" * 100_000
    _sign_manifest(files, sample.sign)
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
