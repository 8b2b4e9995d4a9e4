"""Treatments applied to text and JSON: per agent, each treatment, no value left behind, bad input."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.errors import ConfigError, InputError, NotFound, PolicyError
from affidavit.protect import (
    MAX_INPUT_CHARS,
    DataClass,
    DataPolicy,
    DataPrincipal,
    Finding,
    MemoryTokenStore,
    ScanConfig,
    Scanner,
    Tokenizer,
    Treatment,
    apply,
    default_scanner,
    find_tokens,
    protect_json,
    protect_text,
    scan,
)
from affidavit.protect.treatments import MAX_JSON_DEPTH
from affidavit.samples.secrets import SAMPLERS

KEY = bytes(range(32))
TEXT = "login bob@corp.local from 10.1.2.3 key AKIAIOSFODNN7EXAMPLE card 4111 1111 1111 1111"
VALUES = ["bob@corp.local", "10.1.2.3", "AKIAIOSFODNN7EXAMPLE", "4111 1111 1111 1111"]
POLICY = DataPolicy.default()
NOBODY = DataPrincipal("triage", "agent", "alice")  # granted no class
PII_AGENT = DataPrincipal("ir", "agent", "bob", frozenset({"pii", "internal_identifier"}))
EVERYTHING = DataPrincipal("root", "agent", "bob", frozenset({"*"}))


@pytest.fixture
def tokenizer() -> Tokenizer:
    return Tokenizer(KEY, MemoryTokenStore())


def _all(treatment: Treatment) -> Any:
    return lambda data_class, kind: treatment


# ---- each treatment ------------------------------------------------------------


def test_mask_puts_typed_placeholders() -> None:
    treated = apply(TEXT, scan(TEXT), _all(Treatment.MASK))
    assert treated.text == (
        "login [PII:email] from [INTERNAL_IDENTIFIER:ipv4_internal] key "
        "[SECRET:aws_access_key_id] card [FINANCIAL:credit_card]"
    )
    assert treated.summary == {
        "financial": {"mask": 1},
        "internal_identifier": {"mask": 1},
        "pii": {"mask": 1},
        "secret": {"mask": 1},
    }


def test_tokenize_puts_reversible_tokens(tokenizer: Tokenizer) -> None:
    treated = apply(TEXT, scan(TEXT), _all(Treatment.TOKENIZE), tokenizer=tokenizer)
    tokens = find_tokens(treated.text)
    assert [tokenizer.detokenize(t) for t in tokens] == VALUES
    assert tokens[0] == tokenizer.token("pii", "email", "bob@corp.local")
    assert treated.text.startswith("login [PII:email:tok_")
    assert all(value not in treated.text for value in VALUES)
    assert treated.summary["secret"] == {"tokenize": 1}


def test_allow_leaves_the_text_and_counts_it() -> None:
    treated = apply(TEXT, scan(TEXT), _all(Treatment.ALLOW))
    assert treated.text == TEXT
    assert treated.summary == {
        c: {"allow": 1} for c in ("financial", "internal_identifier", "pii", "secret")
    }
    assert treated.exposed == treated.labels


def test_block_refuses_naming_classes_and_kinds_never_values(tokenizer: Tokenizer) -> None:
    def decide(data_class: DataClass, kind: str) -> Treatment:
        return Treatment.BLOCK if data_class is DataClass.SECRET else Treatment.TOKENIZE

    with pytest.raises(PolicyError) as caught:
        apply(
            TEXT + " again AKIAIOSFODNN7EXAMPLE",
            scan(TEXT + " again AKIAIOSFODNN7EXAMPLE"),
            decide,
            tokenizer=tokenizer,
        )
    message = str(caught.value)
    assert "2 secret/aws_access_key_id" in message
    assert "nothing was passed on" in message
    assert not any(value in message for value in VALUES)
    with pytest.raises(NotFound):  # no token of the refused text was stored
        tokenizer.detokenize(tokenizer.token("pii", "email", "bob@corp.local"))


def test_labels_summary_and_record_hold_no_value() -> None:
    def decide(data_class: DataClass, kind: str) -> Treatment:
        return Treatment.ALLOW if data_class is DataClass.PII else Treatment.MASK

    treated = apply(TEXT, scan(TEXT), decide)
    assert treated.labels == {
        DataClass.PII,
        DataClass.INTERNAL_IDENTIFIER,
        DataClass.SECRET,
        DataClass.FINANCIAL,
    }
    assert treated.exposed == {DataClass.PII}
    record = treated.record()
    assert record == {
        "labels": ["financial", "internal_identifier", "pii", "secret"],
        "treatments": {
            "financial": {"mask": 1},
            "internal_identifier": {"mask": 1},
            "pii": {"allow": 1},
            "secret": {"mask": 1},
        },
    }
    assert not any(value in json.dumps(record) for value in VALUES)


def test_text_without_findings_is_returned_as_is() -> None:
    treated = protect_text("nothing to see", policy=POLICY, principal=NOBODY, model="m")
    assert (treated.text, dict(treated.summary), treated.labels) == (
        "nothing to see",
        {},
        frozenset(),
    )


# ---- per agent and model ---------------------------------------------------------


def test_the_same_text_is_treated_per_agent(tokenizer: Tokenizer) -> None:
    seen_by = {
        who.id: protect_text(
            TEXT, policy=POLICY, principal=who, model="gpt-4o", tokenizer=tokenizer
        ).text
        for who in (NOBODY, PII_AGENT, EVERYTHING)
    }
    assert len(set(seen_by.values())) == 3
    email_token = tokenizer.token("pii", "email", "bob@corp.local")
    assert seen_by["triage"] == (
        f"login {email_token} from {tokenizer.token('internal_identifier', 'ipv4_internal', '10.1.2.3')}"
        " key [SECRET:aws_access_key_id] card [FINANCIAL:credit_card]"
    )
    assert seen_by["ir"] == (
        "login bob@corp.local from 10.1.2.3 key [SECRET:aws_access_key_id] card [FINANCIAL:credit_card]"
    )
    assert seen_by["root"] == (
        "login bob@corp.local from 10.1.2.3 key [SECRET:aws_access_key_id] card 4111 1111 1111 1111"
    )


def test_tokens_let_a_model_correlate_across_alerts(tokenizer: Tokenizer) -> None:
    first = protect_text(
        "alert 1: bob@corp.local failed MFA",
        policy=POLICY,
        principal=NOBODY,
        model="m",
        tokenizer=tokenizer,
    )
    second = protect_text(
        "alert 2: login by bob@corp.local",
        policy=POLICY,
        principal=NOBODY,
        model="m",
        tokenizer=tokenizer,
    )
    assert find_tokens(first.text) == find_tokens(second.text)


def test_an_unapproved_model_gets_nothing_sensitive(tokenizer: Tokenizer) -> None:
    limited = DataPrincipal("triage", "agent", "alice", frozenset({"*"}), frozenset({"gpt-4o"}))
    assert protect_text(TEXT, policy=POLICY, principal=limited, model="gpt-4o", tokenizer=tokenizer)
    with pytest.raises(PolicyError, match="approved-models-only") as caught:
        protect_text(
            TEXT, policy=POLICY, principal=limited, model="free-chatbot", tokenizer=tokenizer
        )
    assert "1 pii/email" in str(caught.value)
    assert not any(value in str(caught.value) for value in VALUES)
    assert (
        protect_text("no findings", policy=POLICY, principal=limited, model="free-chatbot").text
        == "no findings"
    )


def test_model_output_is_treated_before_it_is_stored(tokenizer: Tokenizer) -> None:
    prompt = protect_text(TEXT, policy=POLICY, principal=NOBODY, model="m", tokenizer=tokenizer)
    email_token = find_tokens(prompt.text)[0]
    # The model echoes a token it was given and a key it should never have produced.
    output = (
        f"Disable {email_token}; the leaked key is AKIAIOSFODNN7EXAMPLE, call +44 20 7640 0302."
    )
    treated = protect_text(output, policy=POLICY, principal=NOBODY, model="m", tokenizer=tokenizer)
    assert treated.text.startswith(
        f"Disable {email_token}; the leaked key is [SECRET:aws_access_key_id]"
    )
    assert "7640 0302" not in treated.text
    assert treated.labels == {DataClass.SECRET, DataClass.PII}


@pytest.mark.parametrize(
    "echo",
    [
        '"accessKeyId": "[SECRET:aws_access_key_id]"',
        "password: [CREDENTIAL:password_assignment]",
        "user [PII:email:tok_0123456789abcdef] and [INTERNAL_IDENTIFIER:hostname_internal:tok_fedcba9876543210]",
    ],
)
def test_placeholders_and_tokens_a_model_repeats_are_not_findings(echo: str) -> None:
    treated = protect_text(echo, policy=POLICY, principal=NOBODY, model="m")
    assert (treated.text, treated.labels) == (echo, frozenset())


def test_a_look_alike_placeholder_hides_nothing() -> None:
    # Shaped like a placeholder, but "sk_live_..." is no kind the scanner knows.
    text = "[SECRET:sk_live_4ec39hqlyjwdarjtt1zdp7dc]"
    treated = protect_text(text, policy=POLICY, principal=NOBODY, model="m")
    assert treated.text == "[SECRET:[SECRET:stripe_key]]"
    # A real placeholder next to a value does not shelter the value either.
    text = "[SECRET:stripe_key]sk_live_4ec39hqlyjwdarjtt1zdp7dc"
    treated = protect_text(text, policy=POLICY, principal=NOBODY, model="m")
    assert treated.text == "[SECRET:stripe_key][SECRET:stripe_key]"


# ---- no value survives ---------------------------------------------------------------

_FILLER = st.text(alphabet=" abcdefghijklmnopqrstuvwxyz.,", max_size=40)


@settings(max_examples=120, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(sorted(SAMPLERS)), min_size=1, max_size=8),
    fillers=st.lists(_FILLER, min_size=9, max_size=9),
    seed=st.integers(0, 2**32),
    granted=st.sets(st.sampled_from(["pii", "internal_identifier", "financial"])),
)
def test_no_planted_value_of_a_class_not_allowed_survives(
    kinds: list[str], fillers: list[str], seed: int, granted: set[str]
) -> None:
    scanner = default_scanner()
    rng = random.Random(seed)  # realistic values (a shrunk hypothesis random gives "aaaa...")
    samples = [SAMPLERS[kind](rng) for kind in kinds]
    text = (
        "\n".join(f"{fill}\n{s.text}" for fill, s in zip(fillers, samples, strict=False))
        + "\n"
        + fillers[-1]
    )
    principal = DataPrincipal("triage", "agent", "alice", frozenset(granted))
    tokenizer = Tokenizer(KEY, MemoryTokenStore())
    treated = protect_text(
        text, policy=POLICY, principal=principal, model="m", tokenizer=tokenizer, scanner=scanner
    )
    classes = scanner.kinds
    planted = {(s.text[s.start : s.end], classes[s.kind].value) for s in samples}
    allowed_values = {value for value, data_class in planted if data_class in granted}
    for value, data_class in planted:
        if data_class in granted:
            assert value in treated.text
        elif value not in allowed_values:  # the same value may also be planted as an allowed kind
            assert value not in treated.text
        assert value not in json.dumps(treated.record())
    assert sum(n for counts in treated.summary.values() for n in counts.values()) >= len(samples)
    assert {classes[s.kind] for s in samples} <= treated.labels
    for token in find_tokens(treated.text):
        assert tokenizer.detokenize(token) in text


@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    text=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=200),
)
def test_replacements_keep_every_other_character_in_order(data: st.DataObject, text: str) -> None:
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=10)))
    spans = list(zip(cuts[::2], cuts[1::2], strict=False))
    masked = data.draw(st.lists(st.booleans(), min_size=len(spans), max_size=len(spans)))
    # decide sees only (class, kind): each span gets a kind of its own, so a treatment of its own.
    findings = [Finding(DataClass.PII, f"k{i}", a, b, "test") for i, (a, b) in enumerate(spans)]
    treatment = {f"k{i}": Treatment.MASK if m else Treatment.ALLOW for i, m in enumerate(masked)}
    expected, cursor = [], 0
    for i, ((a, b), mask) in enumerate(zip(spans, masked, strict=True)):
        expected += [text[cursor:a], f"[PII:k{i}]" if mask else text[a:b]]
        cursor = b
    expected.append(text[cursor:])
    treated = apply(text, list(reversed(findings)), lambda c, k: treatment[k])
    assert treated.text == "".join(expected)
    assert sum(sum(c.values()) for c in treated.summary.values()) == len(spans)


def test_overlapping_findings_are_treated_as_one_span_under_the_strictest() -> None:
    text = "0123456789abcdefghijklmnopqrstuvwxyz"
    findings = [
        Finding(DataClass.PII, "email", 5, 20, "test"),
        Finding(DataClass.SECRET, "jwt", 10, 30, "test"),
        Finding(DataClass.PII, "phone", 28, 33, "test"),
    ]

    def decide(data_class: DataClass, kind: str) -> Treatment:
        return Treatment.MASK if data_class is DataClass.SECRET else Treatment.ALLOW

    treated = apply(text, findings, decide)
    assert treated.text == "01234[SECRET:jwt]xyz"
    assert treated.summary == {"pii": {"mask": 2}, "secret": {"mask": 1}}


def test_an_overlapping_tokenized_span_is_one_token(tokenizer: Tokenizer) -> None:
    text = "0123456789abcdefghij"
    findings = [
        Finding(DataClass.PII, "email", 2, 8, "test"),
        Finding(DataClass.PII, "upn", 6, 12, "test"),
    ]
    treated = apply(text, findings, _all(Treatment.TOKENIZE), tokenizer=tokenizer)
    token = tokenizer.token("pii", "email", text[2:12])
    assert treated.text == f"01{token}cdefghij"
    assert tokenizer.detokenize(token) == text[2:12]


# ---- JSON ------------------------------------------------------------------------


def test_json_keeps_structure_and_treats_strings_keys_and_numbers(tokenizer: Tokenizer) -> None:
    alert = {
        "user": {
            "upn": "bob@corp.local",
            "admin": False,
            "score": 7.5,
            "nested": [None, 3, ["10.1.2.3"]],
        },
        "bob@corp.local": "seen",
        "card": 4111111111111111,
        "note": "key AKIAIOSFODNN7EXAMPLE",
    }
    treated = protect_json(alert, policy=POLICY, principal=NOBODY, model="m", tokenizer=tokenizer)
    email = tokenizer.token("pii", "email", "bob@corp.local")
    ip = tokenizer.token("internal_identifier", "ipv4_internal", "10.1.2.3")
    assert treated.value == {
        "user": {"upn": email, "admin": False, "score": 7.5, "nested": [None, 3, [ip]]},
        email: "seen",
        "card": "[FINANCIAL:credit_card]",
        "note": "key [SECRET:aws_access_key_id]",
    }
    assert treated.summary == {
        "financial": {"mask": 1},
        "internal_identifier": {"tokenize": 1},
        "pii": {"tokenize": 2},
        "secret": {"mask": 1},
    }
    assert alert["card"] == 4111111111111111  # the input is not changed
    granted = protect_json(
        alert, policy=POLICY, principal=EVERYTHING, model="m", tokenizer=tokenizer
    )
    assert granted.value["card"] == 4111111111111111
    assert granted.value["user"]["upn"] == "bob@corp.local"


def test_json_keys_that_become_equal_are_told_apart() -> None:
    treated = protect_json(
        {"a@corp.local": 1, "b@corp.local": 2, "c@corp.local": 3, "[PII:email]#2": 4},
        policy=DataPolicy('@id("m") @treatment("mask") permit (principal, action, resource);'),
        principal=NOBODY,
        model="m",
    )
    assert treated.value == {
        "[PII:email]": 1,
        "[PII:email]#2": 2,
        "[PII:email]#3": 3,
        "[PII:email]#2#2": 4,
    }


def test_json_blocks_as_a_whole() -> None:
    with pytest.raises(PolicyError, match="1 secret/aws_access_key_id"):
        protect_json(
            {"ok": "nothing", "bad": ["AKIAIOSFODNN7EXAMPLE"]},
            policy=POLICY,
            principal=DataPrincipal("t", "agent", "a", models=frozenset({"x"})),
            model="m",
        )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1: "x"}, "keys are strings"),
        ({"a": {1, 2}}, "set is not a JSON value"),
        (b"bytes", "bytes is not a JSON value"),
        ({"a": object()}, "object is not a JSON value"),
        (["ok", "bad\ud800"], "unpaired surrogates"),
        ({"bad\udfff": 1}, "unpaired surrogates"),
    ],
)
def test_json_refuses_what_is_not_json(value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        protect_json(value, policy=POLICY, principal=NOBODY, model="m")


def test_json_depth_and_size_are_limited() -> None:
    deep: Any = "x"
    for _ in range(MAX_JSON_DEPTH + 1):
        deep = [deep]
    with pytest.raises(InputError, match="nested deeper"):
        protect_json(deep, policy=POLICY, principal=NOBODY, model="m")
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(InputError, match="nested deeper"):
        protect_json(cyclic, policy=POLICY, principal=NOBODY, model="m")
    small = Scanner(ScanConfig(max_input_chars=50), engine="re")
    with pytest.raises(InputError, match="more text than the scan limit"):
        protect_json(
            ["x" * 30, "y" * 30], policy=POLICY, principal=NOBODY, model="m", scanner=small
        )
    with pytest.raises(InputError, match="too long"):
        protect_json(10**5000, policy=POLICY, principal=NOBODY, model="m")


# ---- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [b"AKIAIOSFODNN7EXAMPLE", None, 42, ["text"]])
def test_only_text_is_treated(text: object) -> None:
    with pytest.raises(InputError, match="only text"):
        protect_text(text, policy=POLICY, principal=NOBODY, model="m")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="only text"):
        apply(text, [], _all(Treatment.MASK))  # type: ignore[arg-type]


def test_huge_text_is_refused() -> None:
    small = Scanner(ScanConfig(max_input_chars=100), engine="re")
    assert (
        protect_text("x" * 100, policy=POLICY, principal=NOBODY, model="m", scanner=small).text
        == "x" * 100
    )
    with pytest.raises(InputError, match="over the limit of 100"):
        protect_text("x" * 101, policy=POLICY, principal=NOBODY, model="m", scanner=small)
    with pytest.raises(InputError, match="over the limit"):
        apply(" " * (MAX_INPUT_CHARS + 1), [], _all(Treatment.MASK))


@pytest.mark.parametrize("text", ["bob@corp.local \ud800", "\udc00", "ok \ud83d"])
def test_invalid_surrogates_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="unpaired surrogates"):
        protect_text(text, policy=POLICY, principal=NOBODY, model="m")
    with pytest.raises(InputError, match="unpaired surrogates"):
        apply(text, [], _all(Treatment.MASK))
    assert (
        protect_text("emoji \U0001f511 ok", policy=POLICY, principal=NOBODY, model="m").text
        == "emoji \U0001f511 ok"
    )


def test_findings_must_belong_to_the_text() -> None:
    with pytest.raises(InputError, match="findings of another text"):
        apply("short", scan(TEXT), _all(Treatment.MASK))
    with pytest.raises(InputError, match="Finding objects"):
        apply(TEXT, [(6, 20)], _all(Treatment.MASK))  # type: ignore[list-item]
    with pytest.raises(InputError, match="list of Finding"):
        apply(TEXT, "findings", _all(Treatment.MASK))  # type: ignore[arg-type]


def test_misconfiguration_is_refused_before_anything_is_treated() -> None:
    with pytest.raises(ConfigError, match="not one of allow"):
        apply(TEXT, scan(TEXT), lambda c, k: "redact")  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigError, match="no tokenizer"):
        apply(TEXT, scan(TEXT), _all(Treatment.TOKENIZE))
    with pytest.raises(ConfigError, match="no tokenizer"):
        protect_text(TEXT, policy=POLICY, principal=NOBODY, model="m")
    with pytest.raises(InputError, match="must be a DataPolicy"):
        protect_text(TEXT, policy="permit", principal=NOBODY, model="m")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="needs a DataPrincipal"):
        protect_text("no findings", policy=POLICY, principal="triage", model="m")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="decide must be a function"):
        apply(TEXT, scan(TEXT), "mask")  # type: ignore[arg-type]


# ---- host names by field (issue 14) ----------------------------------------------


def test_a_host_name_field_is_never_plaintext_beside_a_tokenized_address(
    tokenizer: Tokenizer,
) -> None:
    alert = {
        "computerDnsName": "ws-fin-0231.contoso.com",  # Defender: a public domain
        "machine": {"ipAddress": "10.1.2.3", "deviceName": "WS-FIN-0231"},
        "host": {"name": "db-07", "hostname": "db-07.prod.example.org", "os": "linux"},
        "host.name": "web-3",
        "entities": [
            {"kind": "host", "value": "ws-hr-0042"},
            {"kind": "url", "value": "https://www.example.com/"},
        ],
        "ComputerName": ["dc01", "dc02"],
        "hostName": "10.9.8.7",
        "deviceName": "-",
        "network": {"dest_host": "www.example.com", "destinationHost": "FILESRV01"},
    }
    treated = protect_json(alert, policy=POLICY, principal=NOBODY, model="m", tokenizer=tokenizer)

    def host(name: str) -> str:
        return tokenizer.token("internal_identifier", "hostname_internal", name)

    value = treated.value
    assert value["computerDnsName"] == host("ws-fin-0231.contoso.com")
    assert value["machine"] == {
        "ipAddress": tokenizer.token("internal_identifier", "ipv4_internal", "10.1.2.3"),
        "deviceName": host("WS-FIN-0231"),
    }
    assert value["host"] == {
        "name": host("db-07"),
        "hostname": host("db-07.prod.example.org"),
        "os": "linux",
    }
    assert value["host.name"] == host("web-3")
    assert value["entities"] == [
        {"kind": "host", "value": host("ws-hr-0042")},
        {"kind": "url", "value": "https://www.example.com/"},
    ]
    assert value["ComputerName"] == [host("dc01"), host("dc02")]
    assert value["hostName"] == tokenizer.token("internal_identifier", "ipv4_internal", "10.9.8.7")
    assert value["deviceName"] == "-"
    # The other end of a connection: a public site stays, a bare estate name does not.
    assert value["network"] == {
        "dest_host": "www.example.com",
        "destinationHost": host("FILESRV01"),
    }
    again = protect_json(value, policy=POLICY, principal=NOBODY, model="m", tokenizer=tokenizer)
    assert again.value == value  # treating treated JSON changes nothing


def test_host_names_in_log_text_are_found_by_field_and_by_domain() -> None:
    text = (
        'computerDnsName="ws-fin-0231.contoso.com" src=10.1.2.3 '
        "host.name=web-3 dhost=db-07 url=https://www.example.com/ dc01.corp.ad"
    )
    treated = protect_text(text, policy=POLICY, principal=NOBODY, model="m",
                           tokenizer=Tokenizer(KEY, MemoryTokenStore()))  # fmt: skip
    for name in ("ws-fin-0231.contoso.com", "10.1.2.3", "web-3", "db-07", "dc01.corp.ad"):
        assert name not in treated.text
    assert "https://www.example.com/" in treated.text
