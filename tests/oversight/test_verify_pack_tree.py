"""verify-pack's whole-pack proof check (``_Tree.check_all``) and the all-at-once
entry path: they accept exactly what checking each proof on its own accepts, and a
pack they refuse still fails entry by entry, naming the file."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affidavit.ledger import merkle
from affidavit.oversight import verify_pack as vp
from affidavit.oversight.verify_pack import PackError, verify
from tests.oversight._pack_case import Sample, read_zip
from tests.oversight.test_verify_pack import (
    Files,
    _change_entry,
    _entries,
    _rehash,
    _remove_entry,
    _swap_entries,
)


def _leaves(size: int) -> list[bytes]:
    return [hashlib.sha256(b"\0" + i.to_bytes(4, "big")).digest() for i in range(size)]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _text(proofs: dict[int, list[str]]) -> bytes:
    """proofs.json as the exporter writes it."""
    return json.dumps({str(i): p for i, p in proofs.items()}, separators=(",", ":")).encode()


def _one_by_one(tree: vp._Tree, indices: list[int], leaves: list[bytes], text: bytes) -> bool:
    """The straightforward check: every proof on its own (RFC 9162 section 2.1.3.2)."""
    try:
        proofs = json.loads(text)
    except ValueError:
        return False
    return list(proofs) == [str(i) for i in indices] and all(
        tree._alone(i, leaf, proofs[str(i)]) == "" for i, leaf in zip(indices, leaves, strict=True)
    )


MUTATIONS = [
    "none",
    "hash replaced",
    "hash of another node",
    "hash spelled otherwise",
    "hash dropped",
    "hash added",
    "leaf forged",
    "proofs swapped",
    "root forged",
]


@settings(deadline=None, max_examples=300)
@given(size=st.integers(1, 70), data=st.data())
def test_the_whole_pack_check_accepts_exactly_what_each_proof_alone_accepts(
    size: int, data: st.DataObject
) -> None:
    leaves = _leaves(size)
    root = merkle.root(leaves)
    every = [[_b64(h) for h in merkle.inclusion_proof(leaves, i)] for i in range(size)]
    contiguous = data.draw(st.booleans(), label="contiguous")
    if contiguous:
        lo = data.draw(st.integers(0, size - 1), label="lo")
        hi = data.draw(st.integers(lo + 1, size), label="hi")
        indices = list(range(lo, hi))
    else:
        indices = sorted(data.draw(st.sets(st.integers(0, size - 1), min_size=1), label="set"))
    proofs = {i: list(every[i]) for i in indices}
    pack_leaves = [leaves[i] for i in indices]
    mutation = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    target = data.draw(st.sampled_from(indices), label="target")
    proof = proofs[target]
    position = data.draw(st.integers(0, max(0, len(proof) - 1)), label="position")
    if mutation == "hash replaced" and proof:
        proof[position] = _b64(hashlib.sha256(b"y").digest())
    elif mutation == "hash of another node" and proof:
        other = data.draw(st.sampled_from([h for p in every for h in p]), label="other")
        proof[position] = other
    elif mutation == "hash spelled otherwise" and proof:
        text = proof[position]  # the same 32 bytes, a non-canonical spelling
        proof[position] = text[:42] + chr(ord(text[42]) + 1) + "="
    elif mutation == "hash dropped" and proof:
        del proof[position]
    elif mutation == "hash added":
        proof.append(proof[0] if proof else _b64(leaves[0]))
    elif mutation == "leaf forged":
        pack_leaves[indices.index(target)] = hashlib.sha256(b"forged").digest()
    elif mutation == "proofs swapped" and len(indices) > 1:
        other_index = data.draw(st.sampled_from(indices), label="other index")
        proofs[target], proofs[other_index] = proofs[other_index], proofs[target]
    elif mutation == "root forged":
        root = hashlib.sha256(b"z").digest()
    text = _text(proofs)
    if data.draw(st.booleans(), label="truncated"):  # cut anywhere, chunk boundaries included
        text = text[: data.draw(st.integers(0, len(text) - 1), label="cut")] + b"}"
    tree = vp._Tree(size, root)
    expected = _one_by_one(tree, indices, pack_leaves, text)
    batch = data.draw(st.sampled_from([1, 2, 3, vp._BATCH]), label="batch")
    with mock.patch.object(vp, "_BATCH", batch):  # proofs.json is compared a chunk at a time
        assert tree.check_all(indices, pack_leaves, text) is expected
    if mutation == "none" and text == _text(proofs):
        assert expected


def test_a_sibling_that_disagrees_with_the_included_leaf_is_refused() -> None:
    """Leaves 4 and 5 are both in the pack: 4's proof must name the hash of 5 as the
    pack's entry 5 gives it, even where its other hashes are right."""
    leaves = _leaves(8)
    root = merkle.root(leaves)
    indices = [4, 5, 6]
    proofs = {i: [_b64(h) for h in merkle.inclusion_proof(leaves, i)] for i in indices}
    tree = vp._Tree(8, root)
    assert tree.check_all(indices, [leaves[i] for i in indices], _text(proofs))
    proofs[4][0] = _b64(hashlib.sha256(b"not leaf 5").digest())
    assert not tree.check_all(indices, [leaves[i] for i in indices], _text(proofs))
    assert "does not lead to the signed root" in tree._alone(4, leaves[4], proofs[4])
    # and a sibling outside the pack (leaves 0-3) must be the one every proof names
    proofs = {i: [_b64(h) for h in merkle.inclusion_proof(leaves, i)] for i in indices}
    proofs[6][-1] = _b64(hashlib.sha256(b"not 0-3").digest())
    assert not tree.check_all(indices, [leaves[i] for i in indices], _text(proofs))


@pytest.mark.parametrize(
    ("text", "indices"),
    [
        (b"{}", []),
        (b'{"0":[]}', [0]),
    ],
)
def test_trivial_trees(text: bytes, indices: list[int]) -> None:
    leaves = _leaves(1)
    assert vp._Tree(1, leaves[0]).check_all(indices, leaves[: len(indices)], text)
    assert not vp._Tree(1, leaves[0]).check_all([0], leaves, b'{"0": []}')  # not compact
    assert not vp._Tree(1, leaves[0]).check_all([1], leaves, b'{"1":[]}')  # outside the tree


# --- the all-at-once path on whole packs (entries stored, as the exporter writes them)


def _write_stored(path: Path, files: Files) -> Path:
    """A zip laid out as the exporter lays it out: entries stored, the rest deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            stored = name.startswith("entries/")
            z.writestr(name, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    path.write_bytes(buffer.getvalue())
    return path


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record what the all-at-once path answered."""
    answers: list[bool] = []
    original = vp._Verifier._entries_at_once

    def spy(self: vp._Verifier, *args: object) -> bool:
        answer = original(self, *args)  # type: ignore[arg-type]
        answers.append(answer)
        return answer

    monkeypatch.setattr(vp._Verifier, "_entries_at_once", spy)
    return answers


def _flip_proof(files: Files, position: int) -> str:
    proofs = json.loads(files["proofs.json"])
    index = sorted(proofs, key=int)[len(proofs) // 2]
    raw = bytearray(base64.b64decode(proofs[index][position]))
    raw[0] ^= 1
    proofs[index][position] = base64.b64encode(bytes(raw)).decode()
    files["proofs.json"] = json.dumps(proofs, separators=(",", ":")).encode()
    return f"entries/{index}.json"


def _not_canonical(files: Files) -> str:
    name = _entries(files)[-1]
    files[name] = files[name][:-1] + b" }"
    return name


ATTACKS = {
    "entry removed": _remove_entry,
    "sibling hash flipped": lambda files: _flip_proof(files, 0),
    "top hash flipped": lambda files: _flip_proof(files, -1),
    "entry byte changed": _change_entry,
    "entries swapped": _swap_entries,
    "entry not canonical": _not_canonical,
}


def test_an_untouched_pack_takes_the_all_at_once_path(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = _spy(monkeypatch)
    for pack in (sample.period_pack, sample.case_pack):
        files = read_zip(pack)
        report = verify(_write_stored(tmp_path / "stored.zip", files), sample.key)
        assert report.entries == len(_entries(files))
    assert answers == [True, True]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attack=st.sampled_from(list(ATTACKS)), which=st.sampled_from(["period", "case"]))
def test_what_the_all_at_once_path_refuses_still_fails_naming_the_file(
    sample: Sample, tmp_path: Path, attack: str, which: str
) -> None:
    """The forger holds the log key and re-signs the manifest: only the entry and
    proof checks stand in the way."""
    files = read_zip(sample.period_pack if which == "period" else sample.case_pack)
    named = ATTACKS[attack](files)
    _rehash(files, sample.sign)
    with pytest.raises(PackError) as caught:
        verify(_write_stored(tmp_path / f"{which}-forged.zip", files), sample.key)
    assert caught.value.file == named
    if "hash" in attack:
        assert "proofs.json" in str(caught.value)


def test_a_siblings_place_in_a_proof_is_counted_without_walking_the_levels() -> None:
    """``_position`` (constant time, so a case pack of a huge tree stays linear) agrees
    with counting the levels that have a sibling, and with the ledger's proofs."""
    for size in range(1, 140):
        leaves = _leaves(size) if size <= 40 else []
        for index in range(size):
            proof = merkle.inclusion_proof(leaves, index) if leaves else []
            for level in range((size - 1).bit_length() + 1):
                counted = sum(1 for low in range(level) if (index >> low) ^ 1 <= (size - 1) >> low)
                assert vp._position(index, level, size - 1) == counted
            if leaves:
                assert vp._position(index, (size - 1).bit_length(), size - 1) == len(proof)
