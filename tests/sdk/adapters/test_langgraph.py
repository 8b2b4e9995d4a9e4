"""A real LangGraph graph (ChatOpenAI on the scripted upstream, a tools node, an
in-memory checkpointer): model calls recorded by the callback handler, a gated tool
call pausing the graph through ``interrupt`` until a person decides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.messages import AnyMessage, HumanMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import Command

from affidavit.sdk import Client
from affidavit.sdk.adapters.langgraph import AffidavitCallbackHandler, governed_tool
from tests.api.conftest import Live
from tests.gateway.conftest import SOC_MAPPING
from tests.gateway.upstream import Reply, Upstream

RAN: list[dict[str, Any]] = []


@tool
def isolate_host(hostname: str, reason: str = "", confidence: float = 0.9) -> str:
    """Isolate a host from the network."""
    RAN.append({"tool": "isolate_host", "hostname": hostname})
    return f"host {hostname} isolated"


@tool
def lookup_ip(ip: str) -> str:
    """Reputation of an IP address."""
    RAN.append({"tool": "lookup_ip", "ip": ip})
    return f"{ip}: malicious"


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


@pytest.fixture
def agent_client(live: Live) -> Iterator[Client]:
    RAN.clear()
    with Client(live.url, live.tokens["agent"]) as client:
        yield client


def _ran_once_by_the_adapter(live: Live, proposal_id: str) -> None:
    """One execution, by the adapter, ended; Affidavit's own connectors never acted."""
    [execution] = live.gov.executions_page(after=None, limit=10, proposal=proposal_id)
    assert (execution["connector"], execution["status"]) == ("adapter:langgraph", "succeeded")
    assert live.gov.proposal(proposal_id).status == "executed"
    assert all(not c.executed for c in live.connectors.values())


def _graph(client: Client, upstream_url: str) -> Any:
    tools = {
        t.name: governed_tool(t, client, "case-lg", SOC_MAPPING) for t in (isolate_host, lookup_ip)
    }
    llm = ChatOpenAI(
        model="soc-llm", base_url=upstream_url, api_key="sk-test", max_retries=0
    ).bind_tools(list(tools.values()))

    def model(state: State) -> dict[str, Any]:
        return {"messages": [llm.invoke(state["messages"])]}

    def run_tools(state: State) -> dict[str, Any]:
        calls = state["messages"][-1].tool_calls  # type: ignore[union-attr]
        return {"messages": [tools[c["name"]].invoke({**c, "type": "tool_call"}) for c in calls]}

    def route(state: State) -> str:
        return "tools" if getattr(state["messages"][-1], "tool_calls", None) else END

    graph = StateGraph(State)
    graph.add_node("model", model)
    graph.add_node("tools", run_tools)
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", route, ["tools", END])
    graph.add_edge("tools", "model")
    return graph.compile(checkpointer=InMemorySaver())


def test_gated_call_interrupts_until_approved(
    live: Live, agent_client: Client, upstream: tuple[Upstream, str]
) -> None:
    state, url = upstream
    args = {"hostname": "pc-sales-0215", "reason": "C2 beaconing", "confidence": 0.9}
    state.script.extend([Reply(tool_calls=[("isolate_host", args)]), Reply(content="contained")])
    handler = AffidavitCallbackHandler(agent_client, "case-lg", model_version="test")
    graph = _graph(agent_client, url)
    config: Any = {"callbacks": [handler], "configurable": {"thread_id": "t1"}}

    paused = graph.invoke({"messages": [HumanMessage("contain pc-sales-0215")]}, config)
    [pause] = paused["__interrupt__"]
    proposal_id = pause.value["affidavit_proposal"]
    assert "awaiting approval" in pause.value["message"]
    assert RAN == []  # the tool did not run
    with live.client("approver") as approver:
        approver.get(f"/v1/proposals/{proposal_id}/evidence/0")
        body = {"rationale": "the call matches the alert"}
        assert approver.post(f"/v1/proposals/{proposal_id}/approve", json=body).status_code == 200

    done = graph.invoke(Command(resume=True), config)
    assert done["messages"][-1].content == "contained"
    assert RAN == [{"tool": "isolate_host", "hostname": "pc-sales-0215"}]
    # one proposal, found again when the resumed node ran a second time
    assert [p.id for p in agent_client.proposals(case="case-lg")] == [proposal_id]
    _ran_once_by_the_adapter(live, proposal_id)
    # the same tool call again (a node replayed from an older checkpoint): refused
    [ref] = agent_client.proposal(proposal_id).data["evidence"]
    call = {"type": "tool_call", "id": ref.removeprefix("tool_call:"), "args": args}
    replay = governed_tool(isolate_host, agent_client, "case-lg", SOC_MAPPING).invoke(
        {**call, "name": "isolate_host"}
    )
    assert replay.status == "error" and "did not run again" in replay.content
    assert len(RAN) == 1
    # both model calls recorded as steps, with what was sent and returned
    assert len(handler.step_ids) == 2
    first = live.gov.step(handler.step_ids[0])
    output = live.gov.ledger.payload(first["output"]).decode()
    assert "isolate_host" in output and "pc-sales-0215" in output
    assert live.gov.ledger.verify().size == live.size()


def test_denied_call_answers_the_reason(
    live: Live, agent_client: Client, upstream: tuple[Upstream, str]
) -> None:
    state, url = upstream
    state.script.extend(
        [Reply(tool_calls=[("isolate_host", {"hostname": "pc-sales-0215"})]), Reply(content="ok")]
    )
    graph = _graph(agent_client, url)
    config: Any = {"configurable": {"thread_id": "t2"}}
    paused = graph.invoke({"messages": [HumanMessage("contain")]}, config)
    proposal_id = paused["__interrupt__"][0].value["affidavit_proposal"]
    with live.client("approver") as approver:
        approver.get(f"/v1/proposals/{proposal_id}/evidence")
        denied = approver.post(f"/v1/proposals/{proposal_id}/deny", json={"rationale": "benign"})
        assert denied.status_code == 200
    done = graph.invoke(Command(resume=True), config)
    refusal = done["messages"][-2]
    assert refusal.status == "error" and refusal.content.startswith("denied: proposal")
    assert "denied by alice: benign" in refusal.content
    assert RAN == []


def test_allowed_call_runs_and_unmapped_is_refused(
    live: Live, agent_client: Client, upstream: tuple[Upstream, str]
) -> None:
    state, url = upstream
    state.script.extend(
        [Reply(tool_calls=[("lookup_ip", {"ip": "203.0.113.9"})]), Reply(content="malicious")]
    )
    graph = _graph(agent_client, url)
    done = graph.invoke(
        {"messages": [HumanMessage("check 203.0.113.9")]}, {"configurable": {"thread_id": "t3"}}
    )
    assert "__interrupt__" not in done
    assert RAN == [{"tool": "lookup_ip", "ip": "203.0.113.9"}]
    [proposal] = agent_client.proposals(case="case-lg")
    assert proposal.data["action"] == "enrich_ip_reputation"
    _ran_once_by_the_adapter(live, proposal.id)

    from affidavit.sdk.mapping import ToolMapping

    strict = governed_tool(lookup_ip, agent_client, "case-lg", ToolMapping())
    assert strict.invoke({"ip": "203.0.113.9"}).startswith("denied: tool lookup_ip is not mapped")
    assert len(RAN) == 1


def test_blocked_prompt_stops_the_model_call(
    live: Live, agent_client: Client, upstream: tuple[Upstream, str]
) -> None:
    """A bad token at the callback refuses the step: the model is never called."""
    state, url = upstream
    with Client(live.url, "afd_" + "x" * 40, retries=0) as forged:
        handler = AffidavitCallbackHandler(forged, "case-lg")
        llm = ChatOpenAI(model="soc-llm", base_url=url, api_key="sk-test", max_retries=0)
        from affidavit.errors import AuthError

        with pytest.raises(AuthError):
            llm.invoke("hello", config={"callbacks": [handler]})
    assert state.received == []


def test_a_tool_that_raises_is_recorded_as_a_failed_execution(
    live: Live, agent_client: Client
) -> None:
    @tool("lookup_ip")
    def broken_lookup(ip: str) -> str:
        """Reputation of an IP address."""
        raise RuntimeError("the intel feed is down")

    governed = governed_tool(broken_lookup, agent_client, "case-lg", SOC_MAPPING)
    call = {"type": "tool_call", "id": "call-broken", "name": "lookup_ip"}
    with pytest.raises(RuntimeError):
        governed.invoke({**call, "args": {"ip": "203.0.113.10"}})
    [proposal] = agent_client.proposals(case="case-lg")
    [execution] = live.gov.executions_page(after=None, limit=10, proposal=proposal.id)
    assert (execution["connector"], execution["status"]) == ("adapter:langgraph", "failed")
    assert execution["result"]["detail"] == {"error": "RuntimeError"}
    assert live.gov.proposal(proposal.id).status == "failed"
    assert live.gov.ledger.verify().size == live.size()
