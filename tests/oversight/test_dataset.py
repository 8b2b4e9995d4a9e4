"""Training data sets: the policy applied, the manifest ledgered, erasure and tampering found."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from affidavit.errors import InputError, NotFound, PolicyError
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.oversight import Window
from affidavit.oversight.dataset import export_dataset
from affidavit.oversight.dataset_check import affected_datasets, verify_dataset
from affidavit.oversight.dataset_policy import TrainingPolicy
from affidavit.samples.alerts import generate_alerts
from tests.conftest import day
from tests.governance.conftest import Cast, Clock

AWS_KEY = "AKIAQ3EGRTWZ7EXAMPL3"
EMAIL = "jane.doe@victim-corp.example"
POLICY = """purposes: [tuning]
classes:
  secret: remove
  credential: remove
  financial: remove
  pii: tokenize
  internal_identifier: keep
"""
WINDOW = Window.parse(day(-27), day(33))


@pytest.fixture
def planted(gov: Governor, cast: Cast) -> str:
    """An AWS key and an e-mail address planted in a step prompt and in the raw alert of
    the same case; returns the SHA-256 of the raw alert, kept as it came (with both)."""
    raw = generate_alerts(1, seed=7)[0]
    raw["analyst_note"] = f"{EMAIL} ran aws s3 cp with key {AWS_KEY}"
    [alert] = gov.ingest_objects([raw], case="CASE-LEAK", actor="system:test")
    evidence = gov.ledger.payload(alert.raw_sha256).decode()
    assert AWS_KEY in evidence and EMAIL in evidence  # the evidence really holds them
    gov.add_identity(Identity(id="hunter", kind="agent", owner="olivia", data_classes=("*",)))
    token = gov.rotate_token("hunter")[0]
    step = gov.record_step(
        token,
        case="CASE-LEAK",
        model="m-a",
        model_version="1",
        prompt=f"Why does {EMAIL} call AWS with {AWS_KEY} from a new host?".encode(),
        output=b"credential misuse; rotate the key",
    )
    assert EMAIL in gov.ledger.payload(step.prompt_sha256).decode()
    return alert.raw_sha256


def _exporter(gov: Governor) -> Identity:
    """pat, who holds the dataset_export role."""
    found = [i for i in gov.identities() if i.id == "pat"]
    if found:
        return found[0]
    return gov.add_identity(Identity(id="pat", kind="human", roles=("dataset_export",)))[0]


def _export(gov: Governor, clock: Clock, out: Path, policy: str = POLICY, **kw: object) -> object:
    path = out.parent / "policy.yaml"
    path.write_text(policy)
    return export_dataset(
        gov.ledger,
        kw.pop("person", None) or _exporter(gov),  # type: ignore[arg-type]
        purpose=kw.pop("purpose", "tuning"),  # type: ignore[arg-type]
        window=WINDOW,
        policy=TrainingPolicy.load(path),
        output=out,
        tokenizer=gov.minimiser.tokenizer,
        now=clock(),
    )


def test_an_export_never_holds_a_planted_secret_and_is_ledgered(
    gov: Governor, clock: Clock, planted: str, tmp_path: Path
) -> None:
    out = tmp_path / "dataset.jsonl"
    result = _export(gov, clock, out)
    text = out.read_text()
    assert AWS_KEY not in text and EMAIL not in text
    assert "[SECRET:aws_access_key_id]" in text and "[PII:email:tok_" in text
    header, *records = [json.loads(line) for line in text.splitlines()]
    assert header["purpose"] == "tuning" and len(records) == 1
    assert records[0]["case"] == "CASE-LEAK"
    entry = gov.ledger.entry(result.seq)  # type: ignore[attr-defined]
    body = entry.body
    assert entry.type == "dataset.exported" and entry.actor == "human:pat"
    assert body["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert body["policy_sha256"] == TrainingPolicy.load(tmp_path / "policy.yaml").sha256
    manifest = json.loads(gov.ledger.payload(entry.payload_refs[0]))
    [record] = manifest["records"]
    assert planted in record["payloads"]
    leaves = {seq: leaf for seq, leaf in record["entries"]}
    assert all(gov.ledger.entry(seq).leaf_hash.hex() == leaf for seq, leaf in leaves.items())
    assert verify_dataset(gov.ledger, out).ok
    assert gov.ledger.verify().size == gov.ledger.size()


def test_erasure_lists_the_dataset_as_affected(
    gov: Governor, clock: Clock, planted: str, tmp_path: Path
) -> None:
    assert affected_datasets(gov.ledger) == []
    result = _export(gov, clock, tmp_path / "dataset.jsonl")
    clock.advance(days=3)
    erasure = gov.ledger.erase([planted], actor="system:test", rule="dsr", reason="subject request")
    [affected] = affected_datasets(gov.ledger)
    assert affected["dataset"] == result.dataset  # type: ignore[attr-defined]
    assert affected["erased"] == [{"sha256": planted, "erasure": erasure.seq}]
    # A data set exported after the erasure cannot hold the erased evidence.
    later = _export(gov, clock, tmp_path / "later.jsonl")
    assert later.excluded_payloads == 1  # type: ignore[attr-defined]
    assert [a["dataset"] for a in affected_datasets(gov.ledger)] == [affected["dataset"]]


def test_a_changed_dataset_no_longer_matches_its_manifest(
    gov: Governor, clock: Clock, planted: str, tmp_path: Path
) -> None:
    out = tmp_path / "dataset.jsonl"
    _export(gov, clock, out)
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(lines[0] + lines[1].replace(b"rotate the key", b"rotate the kay"))
    check = verify_dataset(gov.ledger, out)
    assert not check.ok and check.changed_records == (2,)
    out.write_bytes(lines[0])  # a record dropped
    assert verify_dataset(gov.ledger, out).changed_records == (2,)
    out.write_text('{"format": "affidavit-dataset-v1", "dataset": "ds_00000000000000000000"}\n')
    with pytest.raises(NotFound):
        verify_dataset(gov.ledger, out)
    for junk in (b"", b"not json\n", b"[1]\n", b'{"format": "affidavit-dataset-v1"}\n'):
        out.write_bytes(junk)
        with pytest.raises(InputError):
            verify_dataset(gov.ledger, out)


def test_a_case_the_policy_excludes_is_left_out(
    gov: Governor, clock: Clock, planted: str, tmp_path: Path
) -> None:
    out = tmp_path / "dataset.jsonl"
    result = _export(gov, clock, out, POLICY.replace("secret: remove", "secret: exclude_case"))
    assert result.excluded_cases == 1 and result.records == 0  # type: ignore[attr-defined]
    assert AWS_KEY not in out.read_text() and "CASE-LEAK" not in out.read_text()


def test_exports_need_the_role_and_an_allowed_purpose(
    gov: Governor, cast: Cast, clock: Clock, planted: str, tmp_path: Path
) -> None:
    out = tmp_path / "dataset.jsonl"
    [alice] = [i for i in gov.identities() if i.id == "alice"]
    with pytest.raises(PolicyError, match="lacks the dataset_export role"):
        _export(gov, clock, out, person=alice)
    with pytest.raises(PolicyError, match="does not allow the purpose"):
        _export(gov, clock, out, purpose="marketing")
    with pytest.raises(InputError, match="--purpose"):
        _export(gov, clock, out, purpose="Tuning; rm -rf")
    assert not out.exists()
    size = gov.ledger.size()
    assert not any(e.type == "dataset.exported" for e in gov.ledger.entries())
    assert gov.ledger.verify().size == size


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("classes: {secret: remove}\n", "purposes is a list"),
        ("purposes: [tuning]\nclasses: {secrets: remove}\n", "data classes are"),
        ("purposes: [tuning]\nclasses: {secret: shred}\n", "treatments are"),
        ("purposes: [Tuning!]\n", "purposes"),
        ("purposes: [tuning]\nextra: 1\n", "mapping of purposes"),
        (": : :\n", "not a YAML file"),
    ],
)
def test_bad_training_policies_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        TrainingPolicy.load(path)
