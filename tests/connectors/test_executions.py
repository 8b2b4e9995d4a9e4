"""Idempotency across connectors: one execution id, one state change, whatever happens."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from affidavit.config import Settings
from affidavit.connectors import (
    ActionRequest,
    ActionResult,
    ConnectorContext,
    SimulatedConnector,
    SimulatedEDR,
    SimulatedFirewall,
    connector_executions,
    load_connectors,
)
from affidavit.connectors._tables import sim_firewall_rules
from affidavit.errors import Conflict, StorageError
from affidavit.policy import Catalog
from affidavit.store import Database, open_database
from tests.connectors._shared import Clock, action_hash, make_request, rows


def test_concurrent_executions_of_one_id_apply_once(db: Database, settings: Settings) -> None:
    # Two Database objects are two executor processes sharing one database.
    other = open_database(settings.database_url)
    try:
        connectors = [SimulatedFirewall(db), SimulatedFirewall(other)]
        request = make_request("block_ip", "ip:203.0.113.99", {"ttl_seconds": 600})
        gate = threading.Barrier(8)
        results: list[ActionResult] = []
        errors: list[BaseException] = []

        def run(index: int) -> None:
            gate.wait()
            try:
                results.append(connectors[index % 2].execute(request))
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(results) == 8
        assert len({str(r.to_json()) for r in results}) == 1
        assert len(rows(db, sim_firewall_rules)) == 1
        assert len(rows(db, connector_executions)) == 1
    finally:
        other.close()


def test_the_execution_record_holds_the_result(db: Database, clock: Clock) -> None:
    request = make_request("isolate_host", "host:pc-1")
    result = SimulatedEDR(db, clock=clock).execute(request)
    [record] = rows(db, connector_executions)
    assert record["execution_id"] == request.execution_id
    assert (record["connector"], record["action"], record["action_hash"]) == (
        "edr",
        "isolate_host",
        request.action_hash,
    )
    assert record["created_at"] == record["finished_at"] == "2027-01-15T08:00:00.000000Z"
    assert ActionResult.from_json(json.loads(record["result"])) == result


def test_an_execution_id_is_never_reused_for_another_action(db: Database) -> None:
    SimulatedEDR(db).execute(make_request("isolate_host", "host:pc-1", execution_id="exec-r"))
    with pytest.raises(Conflict, match="already used for isolate_host"):
        SimulatedFirewall(db).execute(
            make_request("block_ip", "ip:192.0.2.1", execution_id="exec-r")
        )
    with pytest.raises(Conflict):
        SimulatedEDR(db).execute(make_request("wipe_host", "host:pc-1", execution_id="exec-r"))
    changed = ActionRequest(
        execution_id="exec-r",
        action="isolate_host",
        target_kind="host",
        target_id="pc-2",
        params={},
        case=None,
        authorization_id="auth-1",
        action_hash=action_hash("isolate_host", "host:pc-2", {}),
    )
    with pytest.raises(Conflict):  # same action, another target: another action hash
        SimulatedEDR(db).execute(changed)
    assert rows(db, sim_firewall_rules) == []


def test_a_database_without_connector_tables_is_a_storage_error(tmp_path: Path) -> None:
    bare = open_database(f"sqlite:///{tmp_path / 'bare.db'}", migrate=False)
    try:
        with pytest.raises(StorageError, match="nothing was acknowledged"):
            SimulatedEDR(bare).execute(make_request("isolate_host", "host:pc-1"))
    finally:
        bare.close()


def test_every_catalog_action_has_a_built_in_connector_that_serves_it(db: Database) -> None:
    connectors = load_connectors(ConnectorContext(db))
    for spec in Catalog.default():
        assert spec.connector in connectors, spec.id
        connector = connectors[spec.connector]
        if isinstance(connector, SimulatedConnector):
            assert spec.id in connector.actions, spec.id
            assert connector.target_kinds(spec.id) == set(spec.target_kinds), spec.id
    simulated = [c for c in connectors.values() if isinstance(c, SimulatedConnector)]
    served = {action for c in simulated for action in c.actions}
    catalog_ids = {spec.id for spec in Catalog.default()}
    assert served <= catalog_ids


def test_the_seven_stable_actions_run_without_parameters(db: Database) -> None:
    connectors = load_connectors(ConnectorContext(db))
    targets = {
        "enrich_ip_reputation": "ip:203.0.113.5",
        "add_case_note": "case:INC-1",
        "isolate_host": "host:pc-1",
        "block_ip": "ip:203.0.113.5",
        "disable_account": "user:alice",
        "revoke_sessions": "user:alice",
        "wipe_host": "host:pc-1",
    }
    catalog = Catalog.default()
    for action, target in targets.items():
        result = connectors[catalog.get(action).connector].execute(make_request(action, target))
        assert result.status == "succeeded", (action, result.detail)


# ---- resuming a claim whose process died (vendor connectors check state first) ----


def test_a_stale_claim_is_resumed_once_its_lease_has_passed(db: Database) -> None:
    from affidavit.connectors import _executions

    request = make_request("disable_account", "user:jdoe")
    assert _executions.claim(db, "okta", request, 1000.0) is None  # the process then dies
    with pytest.raises(Conflict, match="has no recorded result"):
        _executions.claim(db, "okta", request, 1059.0, resume_after_s=60.0)
    assert _executions.claim(db, "okta", request, 1061.0, resume_after_s=60.0) is None
    # The resumed claim is fresh again: a second resumer right after it is refused.
    with pytest.raises(Conflict):
        _executions.claim(db, "okta", request, 1062.0, resume_after_s=60.0)
    done = ActionResult("succeeded", {"changed": False})
    _executions.finish(db, "okta", request.execution_id, done, 1063.0)
    assert _executions.claim(db, "okta", request, 9999.0, resume_after_s=60.0) == done


def test_a_stale_claim_of_another_action_is_never_resumed(db: Database) -> None:
    from affidavit.connectors import _executions

    first = make_request("disable_account", "user:jdoe", execution_id="exec-x")
    other = make_request("revoke_sessions", "user:jdoe", execution_id="exec-x")
    _executions.claim(db, "okta", first, 1000.0)
    with pytest.raises(Conflict, match="already used for disable_account"):
        _executions.claim(db, "okta", other, 99999.0, resume_after_s=60.0)
