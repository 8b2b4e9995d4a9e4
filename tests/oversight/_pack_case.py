"""A demo-like case in a real ledger, built through the Governor, and packs of it
(the ``sample`` fixture is re-exported by conftest.py)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from affidavit.config import load_settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger
from affidavit.oversight import PackScope, export_pack
from affidavit.policy import default_policy_text
from affidavit.samples.alerts import generate_alerts
from tests.governance.conftest import (
    CONNECTORS,
    Cast,
    Clock,
    add_cast,
    make_governor,
)

CASE = "CASE-PACK-1"


@dataclass
class Built:
    """What ``build_case`` did, for the tests to check the pack against."""

    case: str
    erased_sha256: str | None
    erasure_seq: int | None


def build_case(gov: Governor, cast: Cast, *, publish: bool = True, erase: bool = True) -> Built:
    """Alerts, agent steps with payloads, proposals decided, approved, executed, disposed."""
    if publish:  # a published bundle, so decisions cite a policy.published entry
        gov.publish_policy(default_policy_text() + "\n// evidence pack tests\n")
    gov.ingest_objects(generate_alerts(3, seed=7), case=CASE, actor="system:test")
    step = gov.record_step(
        cast.triage,
        case=CASE,
        model="soc-llm",
        model_version="2026-10",
        prompt=b'Triage <b>alert</b> & "quotes" on pc-sales-0215',
        output=b"Likely true positive; contain pc-sales-0215.",
        data_classes=["internal_identifier"],
    )
    handoff = gov.record_step(
        cast.responder,
        case=CASE,
        model="soc-llm",
        model_version="2026-10",
        prompt=b"Plan containment",
        output=b"isolate host",
        parents=[step.id],
    )
    gov.propose(
        cast.triage,
        case=CASE,
        action="enrich_ip_reputation",
        target="ip:203.0.113.7",
        step=step.id,
        evidence=["alert:t-1"],
    )
    isolate = gov.propose(
        cast.responder,
        case=CASE,
        action="isolate_host",
        target="host:pc-sales-0215",
        confidence=0.91,
        rationale="beaconing to <script>alert(1)</script>",
        step=handoff.id,
        evidence=["alert:t-1"],
    )
    for approver in (cast.alice, cast.carol)[: isolate.approvals_required]:
        gov.view_evidence(approver, isolate.id)
        gov.open_evidence(approver, isolate.id, 0)
        gov.approve(approver, isolate.id, rationale="confirmed in EDR telemetry")
    assert gov.proposal(isolate.id).status == "executed"
    gov.dispose(cast.alice, isolate.id, outcome="accepted", reason="true_positive")
    wipe = gov.propose(
        cast.triage,
        case=CASE,
        action="wipe_host",
        target="host:pc-sales-0215",
        evidence=["alert:t-1"],
    )
    gov.dispose(
        cast.alice,
        wipe.id,
        outcome="overridden",
        reason="better_alternative",
        rationale="isolation contains it",
        override_with=isolate.id,
    )
    if not erase:
        return Built(CASE, None, None)
    erasure = gov.ledger.erase(
        [handoff.prompt_sha256], actor="system:test", rule="test", reason="erasure request"
    )
    return Built(CASE, handoff.prompt_sha256, erasure.seq)


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


class _TickingClock(Clock):
    """The test clock, one second later at every reading."""

    def __call__(self) -> datetime:
        self.advance(seconds=1)
        return self.now


@dataclass
class Sample:
    """One case pack and one period pack of a built ledger (SQLite), shared by a module."""

    key: str
    case_pack: Path
    period_pack: Path
    built: Built
    case_entries: int
    checkpoint_size: int
    sign: Callable[[str], str]
    """Signs a note with the log key: what a forger holding ``log.key`` can do."""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    """SQLite only: the tests using it check the verifier on zip bytes, not the database."""
    home = tmp_path_factory.mktemp("home")
    settings = load_settings(
        {
            "AFFIDAVIT_HOME": str(home),
            "AFFIDAVIT_DATABASE_URL": f"sqlite:///{home / 'affidavit.db'}",
            "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
        }
    )
    connectors = {name: InMemoryConnector(name) for name in CONNECTORS}
    clock = _TickingClock()  # distinct entry times, so the period pack has a real period
    with Ledger.open(settings, clock=clock) as ledger:
        gov = make_governor(ledger, settings, clock, connectors)
        cast = add_cast(gov)
        built = build_case(gov, cast)
        # the period pack also holds entries of another case, which the case pack does
        # not (two: the period's end is exclusive)
        for n in range(2):
            gov.record_step(
                cast.triage,
                case="CASE-OTHER",
                model="soc-llm",
                model_version="2026-10",
                prompt=b"another case %d" % n,
                output=b"noted",
            )
        case_entries = sum(1 for _ in ledger.entries(case=CASE))
        times = sorted(e.time for e in ledger.entries())
        out = tmp_path_factory.mktemp("packs")
        case_pack = export_pack(ledger, PackScope(case=CASE), out / "case.zip")
        period = PackScope(start=times[len(times) // 3], end=times[-1])
        period_pack = export_pack(ledger, period, out / "period.zip")
        yield Sample(
            ledger.verifier_key,
            case_pack.path,
            period_pack.path,
            built,
            case_entries,
            case_pack.size,
            ledger.key.sign,
        )
