"""The projector is the only writer of the state tables, and the tables are the ledger's image."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.sql.dml import UpdateBase
from tests.conftest import Clock, run_sql
from tests.governance.conftest import Cast

from affidavit.governance import projection
from affidavit.governance.governor import Governor
from affidavit.governance.rebuild import replay_scratch, snapshot

GOVERNANCE = Path(projection.__file__).parent
PROJECTED = {t.name for t in projection.PROJECTED_TABLES}


def _work(gov: Governor, cast: Cast, clock: Clock, tmp_path: Path) -> None:
    inventory = tmp_path / "assets.csv"
    inventory.write_text(
        "id,kind,criticality,environment,owner,tags\nsrv-db-01,host,critical,prod,dba,pci\n"
    )
    gov.import_assets(inventory)
    gov.publish_policy(gov.active_policy()[1] + "\n// v2\n")
    step = gov.record_step(
        cast.triage, case="C-1", model="m", model_version="1", prompt=b"p", output=b"o"
    )
    isolate = gov.propose(
        cast.triage,
        case="C-1",
        action="isolate_host",
        target="host:srv-db-01",
        step=step.id,
        evidence=["alert:t-1"],
    )
    for person in (cast.alice, cast.carol):
        gov.view_evidence(person, isolate.id)
        gov.open_evidence(person, isolate.id, 0)
        gov.approve(person, isolate.id, rationale="confirmed")
    block = gov.propose(
        cast.triage, case="C-1", action="block_ip", target="ip:198.51.100.3", evidence=["alert:t-1"]
    )
    gov.view_evidence(cast.bob, block.id)
    gov.breakglass(cast.bob, block.id, justification="spreading")
    gov.review_breakglass(cast.carol, block.id, upheld=False, rationale="not justified")
    denied = gov.propose(
        cast.triage, case="C-1", action="block_ip", target="ip:198.51.100.4", evidence=["alert:t-1"]
    )
    gov.approve(cast.alice, denied.id, rationale="scanner", deny=True)
    gov.dispose(cast.alice, isolate.id, outcome="accepted", reason="true_positive")
    gov.set_identity_status("dave", "suspended")
    clock.advance(hours=1)


def _assert_tables_are_the_ledgers(gov: Governor) -> None:
    with gov.ledger.db.read() as conn:
        live = snapshot(conn)
    with replay_scratch(gov.ledger) as scratch:
        replayed = snapshot(scratch)
    assert live == replayed


def test_rebuild_in_place_restores_tampered_tables_and_keeps_credentials(
    gov: Governor, cast: Cast, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    _work(gov, cast, clock, tmp_path)
    _assert_tables_are_the_ledgers(gov)
    assert gov.rebuild_state().changed == {}  # nothing to correct
    run_sql(
        database_url,
        "UPDATE proposals SET status = 'executed'",
        "DELETE FROM approvals",
        "UPDATE identities SET status = 'active' WHERE id = 'dave'",
        "INSERT INTO cases (id, opened_seq, opened_by, opened_at) "
        "VALUES ('FORGED', 999, 'human:mallory', '2026-01-01T00:00:00.000000Z')",
    )
    report = gov.rebuild_state()
    assert set(report.changed) == {"proposals", "approvals", "identities", "cases"}
    assert report.entries == gov.ledger.size()
    _assert_tables_are_the_ledgers(gov)
    assert gov.authenticate(cast.alice).id == "alice"  # tokens are not projected: kept
    assert {p.status for p in gov.proposals(case="C-1")} == {"executed", "denied"}


@pytest.fixture
def dml_callers(gov: Governor) -> Iterator[list[tuple[str, str]]]:
    """(table, file) of every INSERT, UPDATE or DELETE on a projected table while it is active."""
    found: list[tuple[str, str]] = []

    def record(conn: Any, clause: Any, *args: Any) -> None:
        if isinstance(clause, UpdateBase) and clause.table.name in PROJECTED:  # type: ignore[attr-defined]
            callers = [f.filename for f in inspect.stack()[1:]]
            mine = next((c for c in callers if "/affidavit/" in c and "sqlalchemy" not in c), "")
            found.append((clause.table.name, mine))  # type: ignore[attr-defined]

    engine = gov.ledger.db.engine
    event.listen(engine, "before_execute", record)
    yield found
    event.remove(engine, "before_execute", record)


def test_only_the_projector_writes_state_tables_at_run_time(
    gov: Governor, cast: Cast, clock: Clock, tmp_path: Path, dml_callers: list[tuple[str, str]]
) -> None:
    _work(gov, cast, clock, tmp_path)
    gov.rebuild_state()
    tables = {table for table, _ in dml_callers}
    assert tables >= {"proposals", "approvals", "authorizations", "executions", "cases"}
    writers = {Path(caller).name for _, caller in dml_callers}
    assert writers == {"projection.py"}, dml_callers


def _table_aliases(tree: ast.AST) -> set[str]:
    """Names bound to a projected table in a module: ``a = t.approvals`` makes ``a`` one."""
    names = set()
    for node in ast.walk(tree):
        value = node.value if isinstance(node, ast.Assign) else None
        if isinstance(value, ast.Attribute) and value.attr in PROJECTED:
            assert isinstance(node, ast.Assign)
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _names_a_table(node: ast.AST, aliases: set[str]) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in PROJECTED:
        return True
    return isinstance(node, ast.Name) and (node.id in aliases or node.id in PROJECTED)


def test_no_governance_module_but_the_projector_writes_state_tables() -> None:
    offenders = []
    for path in sorted(GOVERNANCE.rglob("*.py")):
        if path.name == "projection.py":
            continue
        source = path.read_text()
        tree = ast.parse(source)
        aliases = _table_aliases(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func, dml = node.func, ("insert", "update", "delete")
            # t.proposals.insert() / a.update() / t.cases.delete()
            method = isinstance(func, ast.Attribute) and func.attr in dml
            if method and _names_a_table(func.value, aliases):  # type: ignore[attr-defined]
                offenders.append(f"{path.name}:{node.lineno}")
            # update(t.proposals) / delete(a) / insert(t.cases)
            function = isinstance(func, ast.Name) and func.id in dml
            if function and node.args and _names_a_table(node.args[0], aliases):
                offenders.append(f"{path.name}:{node.lineno}")
        for raw in re.findall(r"(?i)\b(?:insert\s+into|update|delete\s+from)\s+(\w+)", source):
            if raw in PROJECTED:
                offenders.append(f"{path.name}: SQL text on {raw}")
    assert offenders == []
