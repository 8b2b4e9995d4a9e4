"""The standalone verifier's re-implementations agree with the ledger's own code.

verify_pack.py duplicates RFC 6962, C2SP signed notes and RFC 8785 on purpose
(an auditor's verifier must not import Affidavit); these tests hold the two
implementations to the same answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit import canonical
from affidavit.ledger import merkle, note
from affidavit.oversight import verify_pack as vp

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@given(_json_values)
def test_jcs_equals_the_ledgers_canonical_json(value: object) -> None:
    assert vp._jcs(value) == canonical.encode(value).decode()


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (333333333.3333333, "333333333.3333333"),
        (-1.5, "-1.5"),
    ],
)
def test_ecmascript_numbers(number: float, text: str) -> None:
    assert vp._es6_number(number) == text


@given(st.dictionaries(st.text(max_size=6), _json_values, max_size=5))
def test_entry_parser_accepts_canonical_objects(value: dict[str, object]) -> None:
    data = canonical.encode(value)
    parser = vp._EntryParser()
    parsed, text, fast = parser.parse(data)
    assert text == data.decode()
    if fast:
        assert parser.all_canonical([parsed], [text]) == -1


@pytest.mark.parametrize(
    "data",
    [
        b'{"b":1,"a":2}',  # keys out of order
        b'{"a": 1}',  # whitespace
        b'{"a":1.0}',  # not the ECMAScript form
        b'{"a":1e2}',
        b'{"a":"\\/"}',  # needless escape
        b'{"a":"\\u00e9"}',  # escaped non-ASCII
        b'{"a":1,"a":1}',  # duplicate key
        b'{"a":9007199254740993}',  # beyond I-JSON integers
        b'{"a":NaN}',
        b'{"a":1}{"b":2}',  # trailing data
        b"[1]",  # not an object
        b'{"a":"\xff"}',  # not UTF-8
        b'{"a":"\\ud800"}',  # lone surrogate
        b"",
        b"{" * 5000,
    ],
)
def test_entry_parser_refuses_what_is_not_canonical(data: bytes) -> None:
    parser = vp._EntryParser()
    try:
        value, text, fast = parser.parse(data)
    except (ValueError, UnicodeDecodeError):
        return
    assert fast
    assert parser.all_canonical([value], [text]) == 0


def test_batch_check_names_the_first_non_canonical_entry() -> None:
    parser = vp._EntryParser()
    texts = ['{"a":1}', '{"b":[1,2]}', '{"c":{"d":null}}']
    values = [json.loads(t) for t in texts]
    assert parser.all_canonical(values, texts) == -1
    values[1] = {"b": [1, 2, 3]}
    assert parser.all_canonical(values, texts) == 1


@settings(deadline=None)
@given(
    size=st.integers(1, 300),
    picks=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=30),
)
def test_tree_accepts_exactly_the_ledgers_proofs(size: int, picks: list[float]) -> None:
    leaves = [hashlib.sha256(b"\0" + i.to_bytes(4, "big")).digest() for i in range(size)]
    root = merkle.root(leaves)
    tree = vp._Tree(size, root)
    for pick in picks:  # any order, repeats included
        index = int(pick * size)
        proof = [base64.b64encode(h).decode() for h in merkle.inclusion_proof(leaves, index)]
        assert tree.check(index, leaves[index], proof) == ""
        assert vp._Tree(size, root).check(index, leaves[index], proof) == ""
        assert tree.check(index, hashlib.sha256(b"x").digest(), proof) != ""
        for position in range(len(proof)):
            bad = list(proof)
            bad[position] = base64.b64encode(hashlib.sha256(b"y").digest()).decode()
            assert tree.check(index, leaves[index], bad) != ""
            assert vp._Tree(size, root).check(index, leaves[index], bad) != ""
        assert tree.check(index, leaves[index], [*proof, proof[0] if proof else "A"]) != ""
    assert (
        vp._Tree(size, hashlib.sha256(b"z").digest()).check(
            0,
            leaves[0],
            [base64.b64encode(h).decode() for h in merkle.inclusion_proof(leaves, 0)],
        )
        != ""
    )


def test_checkpoint_signature_interoperates_with_the_ledgers_notes() -> None:
    signer, verifier = note.generate_key("log.example/a")
    root = hashlib.sha256(b"root").digest()
    signed = note.sign(note.Checkpoint("log.example/a", 42, root).format(), signer)
    key = vp._parse_key(verifier, 1, "key")
    checkpoint = vp._verify_checkpoint(signed, key, [], 0)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == ("log.example/a", 42, root)
    other = vp._parse_key(note.generate_key("log.example/a")[1], 1, "key")
    with pytest.raises(vp.PackError, match="no signature by the log key"):
        vp._verify_checkpoint(signed, other, [], 0)
    wrong_origin = note.sign(note.Checkpoint("log.example/b", 1, root).format(), signer)
    with pytest.raises(vp.PackError, match="origin"):
        vp._verify_checkpoint(wrong_origin, key, [], 0)


@pytest.mark.parametrize(
    "text",
    [
        "log.example/a\n42\n",
        "no blank line\n\u2014 log.example/a AAAA\n",
        "log.example/a\n42\nAAAA\n\n\u2014 log.example/a !!!!\n",
        "log.example/a\n42\nAAAA\n\n- log.example/a AAAAAAAA\n",
        "log.example/a\n\x0042\nAAAA\n\n\u2014 log.example/a AAAAAAAA\n",
    ],
)
def test_malformed_notes_are_refused(text: str) -> None:
    key = vp._parse_key(note.generate_key("log.example/a")[1], 1, "key")
    with pytest.raises(vp.PackError, match=r"^checkpoint\.note: "):
        vp._verify_checkpoint(text, key, [], 0)


def test_non_finite_numbers_have_no_canonical_form() -> None:
    with pytest.raises(ValueError, match="finite"):
        vp._es6_number(math.inf)


def _proofs(leaves: list[bytes]) -> list[list[str]]:
    return [
        [base64.b64encode(h).decode() for h in merkle.inclusion_proof(leaves, i)]
        for i in range(len(leaves))
    ]


@settings(deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_consecutive_leaves_take_the_shortcut_and_still_check_every_hash(
    size: int, data: st.DataObject
) -> None:
    leaves = [hashlib.sha256(b"\0" + i.to_bytes(4, "big")).digest() for i in range(size)]
    root, proofs = merkle.root(leaves), _proofs(leaves)
    lo = data.draw(st.integers(0, size - 1), label="lo")
    hi = data.draw(st.integers(lo + 1, size), label="hi")
    tree = vp._Tree(size, root)
    for i in range(lo, hi):
        if i > lo:  # the shortcut itself accepts it, not the fallback
            assert tree._follows((i - 1, leaves[i - 1], proofs[i - 1]), leaves[i], proofs[i])
        assert tree.check(i, leaves[i], proofs[i]) == ""
    # a forged proof or leaf right after a proven one is refused
    target = data.draw(st.integers(lo, hi - 1), label="target")
    tree = vp._Tree(size, root)
    for i in range(lo, target):
        assert tree.check(i, leaves[i], proofs[i]) == ""
    forged_leaf = hashlib.sha256(b"forged").digest()
    assert vp._Tree(size, root).check(target, forged_leaf, proofs[target]) != ""
    if target > lo:
        assert (
            tree._follows(
                (target - 1, leaves[target - 1], proofs[target - 1]), forged_leaf, proofs[target]
            )
            is False
        )
    for position in range(len(proofs[target])):
        bad = list(proofs[target])
        bad[position] = base64.b64encode(hashlib.sha256(b"y").digest()).decode()
        check = vp._Tree(size, root)
        for i in range(lo, target):
            check.check(i, leaves[i], proofs[i])
        assert check.check(target, leaves[target], bad) != ""
    assert (
        tree.check(
            target, leaves[target], [*proofs[target], proofs[target][0] if proofs[target] else "A"]
        )
        != ""
    )


@given(
    st.dictionaries(
        st.text(max_size=5),
        st.lists(st.sampled_from(["a", "b", "AAAA"]) | st.integers() | st.none(), max_size=4)
        | st.none(),
        max_size=5,
    ),
    st.sampled_from([None, 1, 2]),
)
def test_proofs_are_read_as_json(value: dict[str, object], indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    assert vp._parse_proofs(text) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"1":[],"1":[]}',
        '{"1":[]',
        '{"1" []}',
        "[]",
        '{"1":[]} x',
        "{1:[]}",
        '{"1":[],}',
        "",
        '{"1":NaN}',
    ],
)
def test_malformed_proofs_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"not|duplicate|Expecting|Extra"):
        vp._parse_proofs(text)


def _proofs_text(proofs: dict[int, list[str]]) -> bytes:
    """proofs.json as the exporter writes it."""
    return json.dumps({str(i): p for i, p in proofs.items()}, separators=(",", ":")).encode()


@settings(deadline=None)
@given(size=st.integers(1, 200), data=st.data())
def test_proofs_read_in_place_agree_with_the_json_path(size: int, data: st.DataObject) -> None:
    """The in-place reader of the exporter's layout accepts exactly what the list path
    accepts: every proof of any set of indices, and no proof with one hash changed."""
    leaves = [hashlib.sha256(b"\0" + i.to_bytes(4, "big")).digest() for i in range(size)]
    root, proofs = merkle.root(leaves), _proofs(leaves)
    indices = sorted(data.draw(st.sets(st.integers(0, size - 1), min_size=1), label="indices"))
    text = _proofs_text({i: proofs[i] for i in indices})
    spans = vp._proof_spans(text, indices)
    assert spans is not None
    tree = vp._Tree(size, root)
    for index, (start, end) in zip(indices, spans, strict=True):
        assert tree.check_span(index, leaves[index], text, start, end) == ""
    # one hash changed anywhere: refused by the in-place path, after its proven neighbours
    target = data.draw(st.sampled_from(indices), label="target")
    if not proofs[target]:
        return
    position = data.draw(st.integers(0, len(proofs[target]) - 1), label="position")
    forged = dict(zip(indices, (proofs[i] for i in indices), strict=True))
    forged[target] = list(proofs[target])
    forged[target][position] = base64.b64encode(hashlib.sha256(b"y").digest()).decode()
    text = _proofs_text(forged)
    spans = vp._proof_spans(text, indices)
    assert spans is not None
    tree = vp._Tree(size, root)
    for index, (start, end) in zip(indices, spans, strict=True):
        problem = tree.check_span(index, leaves[index], text, start, end)
        assert (problem == "") is (index != target), (index, problem)
        if index == target:
            break


@pytest.mark.parametrize(
    "text",
    [
        b'{"0":[],"1":[]}',  # an index the pack does not hold
        b'{"1":[], "0":[]}',  # not in order
        b'{"0": []}',  # not compact
        b'{"0":[]',
        b'{"0":[]}x',
    ],
)
def test_other_layouts_go_to_the_json_parser(text: bytes) -> None:
    assert vp._proof_spans(text, [0]) is None


def test_a_non_canonical_hash_in_place_is_left_to_the_careful_path() -> None:
    leaves = [hashlib.sha256(b"\0" + i.to_bytes(4, "big")).digest() for i in range(4)]
    root, proofs = merkle.root(leaves), _proofs(leaves)
    good = _proofs_text({0: proofs[0], 1: proofs[1]})
    # the last base64 character before "=" with a non-zero low bit: the same bytes
    element = proofs[1][0]
    sibling = element[:42] + chr(ord(element[42]) + 1) + "="
    assert base64.b64decode(sibling) == base64.b64decode(element)
    bad = good.replace(element.encode(), sibling.encode())
    spans = vp._proof_spans(bad, [0, 1])
    assert spans is not None
    tree = vp._Tree(4, root)
    assert tree.check_span(0, leaves[0], bad, *spans[0]) == ""
    assert "is not base64 of 32 bytes" in str(tree.check_span(1, leaves[1], bad, *spans[1]))


def test_batch_parse_falls_back_for_anything_not_canonical() -> None:
    parser = vp._EntryParser()
    good = [b'{"a":1}', b'{"b":[1,2]}', b'{"c":{"d":null}}']
    assert parser.parse_many(good) == [json.loads(d) for d in good]
    for bad in (
        b'{"a":1},{"b":2}',  # two values in one entry
        b' {"a":1}',  # whitespace
        b'{"b":1,"a":2}',  # key order
        b'{"a":1,"a":1}',  # duplicate key
        b'{"a":1.0}',  # number form
        b'{"a":9007199254740993}',  # beyond I-JSON integers
        b"[1]",  # not an object
        b'{"a":"\xff"}',  # not UTF-8
        b'{"\xf0\x9f\x98\x80":1}',  # beyond U+FFFF: the careful path orders keys
    ):
        assert parser.parse_many([good[0], bad, good[1]]) is None, bad


def test_batch_parse_holds_each_entry_to_its_own_bytes() -> None:
    """Two broken entries whose join is valid JSON, with the boundary moved, are refused."""
    parser = vp._EntryParser()
    shifted = [b'{"a":"', b'"},{"b":1}']  # joined: [{"a":","},{"b":1}]
    assert json.loads(b"[" + b",".join(shifted) + b"]") == [{"a": ","}, {"b": 1}]
    assert parser.parse_many(shifted) is None
    with pytest.raises(ValueError, match="Unterminated string"):
        parser.parse(shifted[0])
    non_ascii = [b'{"a":"\xc3\xa9"}', b'{"b":"\xe2\x82\xac"}']
    assert parser.parse_many(non_ascii) == [{"a": "\u00e9"}, {"b": "\u20ac"}]
