"""The model gateway end to end: the official openai client -> the gateway -> a real
OpenAI-compatible upstream on loopback, with every call recorded by a live Affidavit API."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import openai
import pytest

from tests.gateway.conftest import SOC_MAPPING, ModelRig
from tests.gateway.upstream import Reply

AWS_KEY = "AKIAQ3EGRQ7HZ2XNV5PL"
EMAIL = "jane.doe@example-corp.com"
PLANTED = f"Alert on pc-sales-0215: user {EMAIL} ran aws s3 cp with key {AWS_KEY} to 203.0.113.9"


def _client(rig: ModelRig, who: str = "agent2") -> openai.OpenAI:
    return rig.openai(rig.live.tokens[who])


def _sent(rig: ModelRig) -> str:
    return json.dumps(rig.upstream.received)


def test_chat_masks_the_planted_secret_before_it_leaves(
    model_gateway: Callable[..., ModelRig],
) -> None:
    rig = model_gateway(upstream_key="sk-upstream-secret")
    raw = _client(rig).chat.completions.with_raw_response.create(
        model="soc-llm",
        messages=[
            {"role": "system", "content": "You triage SOC alerts."},
            {"role": "user", "content": PLANTED},
        ],
        user=EMAIL,
    )
    answer = raw.parse()
    step = raw.headers["x-affidavit-step"]
    sent = _sent(rig)
    assert AWS_KEY not in sent
    assert EMAIL not in sent  # responder may not see PII: tokenized, and `user` is dropped
    assert "pc-sales-0215" in sent  # what the policy allows passes unchanged
    assert rig.upstream.headers[0]["authorization"] == "Bearer sk-upstream-secret"
    assert answer.choices[0].message.content is not None
    assert answer.choices[0].message.content.startswith("echo: ")
    assert AWS_KEY not in answer.choices[0].message.content
    # the ledger holds exactly what the model received and returned
    assert rig.upstream.received[0]["messages"][1]["content"] in rig.step_prompt(step)
    assert answer.choices[0].message.content in rig.step_output(step)
    assert rig.live.gov.ledger.verify().size == rig.live.size()


def test_agent_allowed_pii_sends_it_but_never_the_key(
    model_gateway: Callable[..., ModelRig],
) -> None:
    rig = model_gateway()
    _client(rig, "agent").chat.completions.create(
        model="soc-llm", messages=[{"role": "user", "content": PLANTED}]
    )
    sent = _sent(rig)
    assert EMAIL in sent  # triage holds the pii data class
    assert AWS_KEY not in sent


def test_output_is_treated_before_the_agent_sees_it(
    model_gateway: Callable[..., ModelRig],
) -> None:
    rig = model_gateway()
    rig.upstream.script.append(Reply(content=f"Found key {AWS_KEY} owned by {EMAIL}"))
    answer = _client(rig).chat.completions.create(
        model="soc-llm", messages=[{"role": "user", "content": "summarise"}]
    )
    text = answer.choices[0].message.content or ""
    assert AWS_KEY not in text and EMAIL not in text
    assert text.startswith("Found key ")


@pytest.mark.parametrize("leaky", [False, True])
def test_chat_stream(model_gateway: Callable[..., ModelRig], leaky: bool) -> None:
    rig = model_gateway()
    content = f"Contain pc-sales-0215; the key {AWS_KEY} leaked" if leaky else "Contain it now."
    rig.upstream.script.append(Reply(content=content))
    with _client(rig).chat.completions.with_streaming_response.create(
        model="soc-llm", messages=[{"role": "user", "content": PLANTED}], stream=True
    ) as response:
        step = response.headers["x-affidavit-step"]
        text = "".join(
            chunk.choices[0].delta.content or "" for chunk in response.parse() if chunk.choices
        )
    assert AWS_KEY not in _sent(rig)
    if leaky:
        assert AWS_KEY not in text and text.startswith("Contain pc-sales-0215; the key ")
    else:
        assert text == content
    assert text in rig.step_output(step)


def test_stream_tool_calls_survive_and_become_proposals(
    model_gateway: Callable[..., ModelRig],
) -> None:
    rig = model_gateway(mapping=SOC_MAPPING)
    args = {"hostname": "pc-sales-0215", "reason": "beaconing", "confidence": 0.9}
    rig.upstream.script.append(Reply(tool_calls=[("isolate_host", args)]))
    raw = _client(rig, "agent").chat.completions.with_raw_response.create(
        model="soc-llm", messages=[{"role": "user", "content": "act"}]
    )
    call = raw.parse().choices[0].message.tool_calls[0]  # type: ignore[index]
    assert json.loads(call.function.arguments) == args  # type: ignore[union-attr]
    made = raw.headers["x-affidavit-proposals"]
    call_id, _, rest = made.partition("=")
    proposal_id, _, status = rest.partition(":")
    assert call_id == "call_0" and status == "pending_approval"
    proposal = rig.live.gov.proposal(proposal_id)
    assert proposal.step_id == raw.headers["x-affidavit-step"]
    assert (proposal.action, proposal.target) == ("isolate_host", "host:pc-sales-0215")

    rig.upstream.script.append(Reply(tool_calls=[("lookup_ip", {"ip": "203.0.113.9"})]))
    with _client(rig).chat.completions.with_streaming_response.create(
        model="soc-llm", messages=[{"role": "user", "content": "look"}], stream=True
    ) as response:
        chunks = list(response.parse())
        made = response.headers["x-affidavit-proposals"]
    assert made.startswith("call_0=prop_") and made.endswith(":executed")
    pieces = [
        c.choices[0].delta.tool_calls[0].function.arguments or ""  # type: ignore[index,union-attr]
        for c in chunks
        if c.choices and c.choices[0].delta.tool_calls
    ]
    assert json.loads("".join(pieces)) == {"ip": "203.0.113.9"}


@pytest.mark.parametrize("stream", [False, True])
def test_responses_api(model_gateway: Callable[..., ModelRig], stream: bool) -> None:
    rig = model_gateway()
    rig.upstream.script.append(Reply(content=f"Rotate {AWS_KEY} now"))
    client = _client(rig)
    if stream:
        events = list(
            client.responses.create(
                model="soc-llm", input=PLANTED, instructions="Be brief.", stream=True
            )
        )
        done = next(e for e in events if e.type == "response.completed")
        text = done.response.output_text
        deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        assert deltas == text
    else:
        text = client.responses.create(model="soc-llm", input=PLANTED).output_text
    assert AWS_KEY not in _sent(rig)
    assert text.startswith("Rotate ") and AWS_KEY not in text
    assert text.endswith(" now")


def _failed_step(rig: ModelRig, kind: str) -> str:
    steps = rig.live.gov.steps_page(after=None, limit=100, case="case-gw", agent=None)
    outputs = [rig.step_output(s["id"]) for s in steps]
    failed = [o for o in outputs if json.loads(o).get("error", {}).get("kind") == kind]
    assert failed, outputs
    return failed[-1]


@pytest.mark.parametrize("stream", [False, True])
def test_upstream_error_is_a_recorded_failure(
    model_gateway: Callable[..., ModelRig], stream: bool
) -> None:
    rig = model_gateway()
    rig.upstream.script.append(Reply(status=500))
    with pytest.raises(openai.APIStatusError) as raised:
        _client(rig).chat.completions.create(
            model="soc-llm", messages=[{"role": "user", "content": "hi"}], stream=stream
        )
    assert raised.value.status_code == 502
    assert "the upstream answered HTTP 500" in str(raised.value)
    assert "upstream broke" in _failed_step(rig, "upstream_error")


@pytest.mark.parametrize(
    "reply",
    [
        Reply(garbage=b"<html>oops</html>"),
        Reply(garbage=b'{"choices": "nope"}'),
        Reply(garbage=b"\xff\xfe\x00"),
    ],
)
def test_upstream_garbage_is_a_recorded_failure(
    model_gateway: Callable[..., ModelRig], reply: Reply
) -> None:
    rig = model_gateway()
    rig.upstream.script.append(reply)
    with pytest.raises(openai.APIStatusError) as raised:
        _client(rig).chat.completions.create(
            model="soc-llm", messages=[{"role": "user", "content": "hi"}]
        )
    assert raised.value.status_code == 502
    _failed_step(rig, "upstream_garbage")


def test_cut_stream_is_a_recorded_failure(model_gateway: Callable[..., ModelRig]) -> None:
    rig = model_gateway()
    rig.upstream.script.append(Reply(content="a long answer that is cut", cut_stream=True))
    with pytest.raises(openai.APIStatusError) as raised:
        list(
            _client(rig).chat.completions.create(
                model="soc-llm", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
    assert raised.value.status_code == 502
    _failed_step(rig, "upstream_garbage")


def test_upstream_timeout_is_a_recorded_failure(model_gateway: Callable[..., ModelRig]) -> None:
    rig = model_gateway(timeout_s=0.3)
    rig.upstream.script.append(Reply(content="late", stall_s=3.0))
    with pytest.raises(openai.APIStatusError) as raised:
        _client(rig).chat.completions.create(
            model="soc-llm", messages=[{"role": "user", "content": "hi"}]
        )
    assert raised.value.status_code == 504
    assert "did not answer within 0.3 s" in str(raised.value)
    _failed_step(rig, "upstream_timeout")


def test_unreachable_upstream_is_a_recorded_failure(
    model_gateway: Callable[..., ModelRig],
) -> None:
    rig = model_gateway()
    rig.upstream.script.clear()
    gateway = rig.url
    # a second gateway pointed at a port nothing listens on
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    sock.close()
    from affidavit.gateway import ModelGatewaySettings, create_model_gateway
    from tests.api.conftest import serve_in_thread

    settings = ModelGatewaySettings(upstream=dead, affidavit_url=rig.live.url, case="case-gw")
    url, server, thread = serve_in_thread(create_model_gateway(settings))
    try:
        rig.url = url + "/v1"
        with pytest.raises(openai.APIStatusError) as raised:
            _client(rig).chat.completions.create(
                model="soc-llm", messages=[{"role": "user", "content": "hi"}]
            )
        assert raised.value.status_code == 502
        _failed_step(rig, "upstream_unreachable")
    finally:
        rig.url = gateway
        server.should_exit = True
        thread.join(timeout=10)


def test_tokens_are_checked(model_gateway: Callable[..., ModelRig]) -> None:
    rig = model_gateway()
    for token in ("afd_not-a-real-token", rig.live.tokens["analyst"]):
        client = rig.openai(token)
        with pytest.raises((openai.AuthenticationError, openai.PermissionDeniedError)):
            client.chat.completions.create(
                model="soc-llm", messages=[{"role": "user", "content": "hi"}]
            )
    response = httpx.post(rig.url + "/chat/completions", json={"model": "m", "messages": []})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert rig.upstream.received == []  # nothing reached the model


def test_hostile_requests_are_refused_before_the_upstream(
    model_gateway: Callable[..., ModelRig],
) -> None:
    rig = model_gateway(max_body_bytes=4096)
    auth = {"Authorization": f"Bearer {rig.live.tokens['agent']}"}
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    cases = [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (json.dumps({"model": "soc-llm", "messages": "hi"}).encode(), 400),
        (json.dumps({"messages": [{"role": "user", "content": "x"}]}).encode(), 400),
        (
            json.dumps(
                {"model": "soc-llm", "messages": [{"role": "user", "content": [image]}]}
            ).encode(),
            400,
        ),
        (
            json.dumps(
                {"model": "soc-llm", "messages": [{"role": "user", "content": "x" * 5000}]}
            ).encode(),
            413,
        ),
    ]
    for body, status in cases:
        response = httpx.post(rig.url + "/chat/completions", content=body, headers=auth)
        assert response.status_code == status, body[:80]
        assert set(response.json()["error"]) >= {"message", "type"}
    bad_case = {**auth, "X-Affidavit-Case": "../../etc"}
    ok_body = {"model": "soc-llm", "messages": [{"role": "user", "content": "x"}]}
    assert (
        httpx.post(rig.url + "/chat/completions", json=ok_body, headers=bad_case).status_code == 400
    )
    assert rig.upstream.received == []
    assert rig.live.gov.ledger.verify().size == rig.live.size()


def test_blocked_model_is_refused(model_gateway: Callable[..., ModelRig]) -> None:
    """An agent limited to some models cannot reach another through the gateway."""
    from affidavit.governance.identities import Identity

    rig = model_gateway()
    _, token = rig.live.gov.add_identity(
        Identity(id="narrow", kind="agent", owner="olivia", models=("soc-llm",))
    )
    rig.live.tokens["narrow"] = token
    with pytest.raises(openai.PermissionDeniedError) as raised:
        _client(rig, "narrow").chat.completions.create(
            model="gpt-other", messages=[{"role": "user", "content": "hi"}]
        )
    assert "may not use model" in str(raised.value)
    assert rig.upstream.received == []


@pytest.mark.parametrize("stream", [False, True])
def test_responses_tool_calls_become_proposals(
    model_gateway: Callable[..., ModelRig], stream: bool
) -> None:
    rig = model_gateway(mapping=SOC_MAPPING)
    rig.upstream.script.append(Reply(tool_calls=[("wipe_host", {"hostname": "pc-sales-0215"})]))
    client = _client(rig, "agent")
    with client.responses.with_streaming_response.create(
        model="soc-llm", input="wipe it", stream=stream
    ) as response:
        made = response.headers["x-affidavit-proposals"]
        response.read()
    assert made.startswith("call_0=prop_") and made.endswith(":denied")  # tier 4, an agent
