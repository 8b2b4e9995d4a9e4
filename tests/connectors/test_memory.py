"""InMemoryConnector: the test double records requests, answers as told, runs an id once."""

from __future__ import annotations

import threading

import pytest

from affidavit.connectors import ActionRequest, ActionResult, Connector, InMemoryConnector
from affidavit.errors import Conflict, InputError
from tests.connectors._shared import make_request


def test_it_is_a_connector_and_succeeds_by_default() -> None:
    connector = InMemoryConnector("edr")
    assert isinstance(connector, Connector)
    request = make_request("isolate_host", "host:pc-1")
    result = connector.execute(request)
    assert result.status == "succeeded"
    assert result.detail["target"] == "host:pc-1"
    assert connector.executed == [request]


def test_outcomes_per_action_fixed_or_computed() -> None:
    failure = ActionResult("failed", {"error": "EDR API returned 503"})
    connector = InMemoryConnector(
        outcomes={
            "isolate_host": failure,
            "block_ip": lambda r: ActionResult("succeeded", {"ip": r.target_id}, "rule-7"),
        }
    )
    assert connector.execute(make_request("isolate_host", "host:pc-1")) == failure
    blocked = connector.execute(make_request("block_ip", "ip:203.0.113.9"))
    assert (blocked.detail["ip"], blocked.external_ref) == ("203.0.113.9", "rule-7")
    connector.set_outcome("block_ip", failure)
    assert connector.execute(make_request("block_ip", "ip:203.0.113.10")) == failure


def test_a_repeated_execution_id_returns_the_first_result_without_running_again() -> None:
    runs: list[str] = []

    def outcome(request: ActionRequest) -> ActionResult:
        runs.append(request.execution_id)
        return ActionResult("succeeded", {"run": len(runs)})

    connector = InMemoryConnector(outcomes={"isolate_host": outcome})
    request = make_request("isolate_host", "host:pc-1", execution_id="exec-same")
    first = connector.execute(request)
    again = connector.execute(request)
    assert first == again
    assert runs == ["exec-same"]
    assert connector.calls == 2
    assert connector.executed == [request]
    assert connector.result_for("exec-same") == first
    assert connector.result_for("exec-other") is None


def test_reusing_an_execution_id_for_another_action_is_a_conflict() -> None:
    connector = InMemoryConnector()
    connector.execute(make_request("isolate_host", "host:pc-1", execution_id="exec-x"))
    with pytest.raises(Conflict, match="exec-x"):
        connector.execute(make_request("wipe_host", "host:pc-1", execution_id="exec-x"))


def test_concurrent_calls_with_one_execution_id_run_once() -> None:
    runs: list[int] = []
    gate = threading.Barrier(8)

    def outcome(request: ActionRequest) -> ActionResult:
        runs.append(1)
        return ActionResult("succeeded", {})

    connector = InMemoryConnector(outcomes={"isolate_host": outcome})
    request = make_request("isolate_host", "host:pc-1")
    results: list[ActionResult] = []

    def call() -> None:
        gate.wait()
        results.append(connector.execute(request))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(runs) == 1
    assert len(results) == 8
    assert len(set(map(str, results))) == 1


def test_unknown_actions_are_refused_when_the_action_list_is_given() -> None:
    connector = InMemoryConnector("edr", actions={"isolate_host"})
    with pytest.raises(InputError, match="cannot run action block_ip"):
        connector.execute(make_request("block_ip", "ip:203.0.113.1"))
    assert connector.executed == []


def test_an_outcome_that_is_not_a_result_is_refused() -> None:
    connector = InMemoryConnector(outcomes={"isolate_host": lambda r: "ok"})  # type: ignore[dict-item]
    with pytest.raises(InputError, match="not an ActionResult"):
        connector.execute(make_request("isolate_host", "host:pc-1"))


def test_only_action_requests_are_accepted() -> None:
    with pytest.raises(InputError, match="ActionRequest"):
        InMemoryConnector().execute({"action": "isolate_host"})  # type: ignore[arg-type]
