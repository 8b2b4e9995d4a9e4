"""The data policy: the shipped rules, strictest-wins, failing closed, refusing bad text, caching."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit._cedar import load_schema
from affidavit.errors import ConfigError, InputError
from affidavit.governance.identities import Identity
from affidavit.protect import (
    DataClass,
    DataPolicy,
    DataPrincipal,
    Treatment,
    default_data_policy_text,
)

CLASSES = [c.value for c in DataClass]
GRANTABLE = ("pii", "internal_identifier", "financial")


def agent(*classes: str, models: tuple[str, ...] = (), name: str = "triage") -> DataPrincipal:
    return DataPrincipal(name, "agent", "alice", frozenset(classes), frozenset(models))


@pytest.fixture(scope="module")
def policy() -> DataPolicy:
    return DataPolicy.default()


def _rules_in_words(principal: DataPrincipal, model: str, data_class: str) -> Treatment:
    """The default policy as data-protection.md states it."""
    if principal.models and model not in principal.models:
        return Treatment.BLOCK
    if data_class in ("secret", "credential"):
        return Treatment.MASK
    if data_class in GRANTABLE:
        if data_class in principal.data_classes or "*" in principal.data_classes:
            return Treatment.ALLOW
        return Treatment.MASK if data_class == "financial" else Treatment.TOKENIZE
    return Treatment.BLOCK  # a class no policy speaks of


@settings(max_examples=150, deadline=None)
@given(
    classes=st.sets(st.sampled_from([*CLASSES, "*", "biometric"])),
    models=st.sets(st.sampled_from(["gpt-4o", "claude", "local-llama"])),
    model=st.sampled_from(["gpt-4o", "claude", "local-llama", "unlisted"]),
    data_class=st.sampled_from([*CLASSES, "biometric"]),
    kind=st.sampled_from(["email", "aws_access_key_id", "iban", "ipv4_internal"]),
)
def test_default_policy_follows_its_rules_in_words(
    policy: DataPolicy,
    classes: set[str],
    models: set[str],
    model: str,
    data_class: str,
    kind: str,
) -> None:
    principal = agent(*classes, models=tuple(models))
    assert policy.decide(principal, model, data_class, kind) is _rules_in_words(
        principal, model, data_class
    )


def test_default_policy_decisions_name_their_policies(policy: DataPolicy) -> None:
    granted = agent("pii")
    assert policy.decision(granted, "m", "secret", "jwt").policies == ("secrets-masked",)
    assert policy.decision(granted, "m", "pii", "email").policies == ("granted-classes-in-clear",)
    assert policy.decision(agent(), "m", "pii", "email").policies == (
        "personal-and-internal-tokenized",
    )
    assert policy.decision(agent(), "m", "financial", "iban").policies == ("financial-masked",)
    limited = agent("*", models=("gpt-4o",))
    refused = policy.decision(limited, "other-model", "pii", "email")
    assert refused.treatment is Treatment.BLOCK
    assert refused.policies == ("approved-models-only",)
    assert "not even a masked one" in refused.reasons[0]


def test_the_default_is_the_shipped_file_versioned_by_its_hash(policy: DataPolicy) -> None:
    shipped = resources.files("affidavit.protect").joinpath("data_policy.cedar").read_bytes()
    assert policy.text == default_data_policy_text() == shipped.decode()
    assert policy.hash == hashlib.sha256(shipped).hexdigest()
    edited = DataPolicy(policy.text + "\n// reviewed\n")
    assert edited.hash != policy.hash


_PERMIT = '@id("{id}") @treatment("{treatment}") permit (principal, action, resource) when {{ {when} }};\n'


def _permit(policy_id: str, treatment: str, when: str = "true") -> str:
    return _PERMIT.format(id=policy_id, treatment=treatment, when=when)


@pytest.mark.parametrize(
    ("treatments", "wins"),
    [
        (["allow", "tokenize", "mask"], "mask"),
        (["allow", "tokenize"], "tokenize"),
        (["tokenize", "allow"], "tokenize"),
        (["allow"], "allow"),
        (["mask", "block", "allow"], "block"),
    ],
)
def test_the_strictest_matching_treatment_wins(treatments: list[str], wins: str) -> None:
    text = "".join(_permit(f"p{i}-{t}", t) for i, t in enumerate(treatments))
    decision = DataPolicy(text).decision(agent(), "m", "pii", "email")
    assert decision.treatment == wins
    assert decision.policies == tuple(f"p{i}-{t}" for i, t in enumerate(treatments) if t == wins)


def test_no_matching_permit_blocks() -> None:
    only_pii = DataPolicy(_permit("pii-ok", "allow", 'context.data_class == "pii"'))
    assert only_pii.decide(agent(), "m", "pii", "email") is Treatment.ALLOW
    blocked = only_pii.decision(agent(), "m", "secret", "jwt")
    assert blocked.treatment is Treatment.BLOCK
    assert blocked.policies == ()
    assert "no data policy gives agent 'triage' a treatment for secret/jwt" in blocked.reasons[0]


def test_a_matching_forbid_blocks_whatever_permits_say() -> None:
    text = _permit("all-clear", "allow") + (
        '@id("no-keys") @description("Never a private key.")\n'
        "forbid (principal, action, resource) "
        'when { context.kind == "private_key" };\n'
    )
    engine = DataPolicy(text)
    assert engine.decide(agent(), "m", "secret", "jwt") is Treatment.ALLOW
    blocked = engine.decision(agent(), "m", "secret", "private_key")
    assert blocked.treatment is Treatment.BLOCK
    assert blocked.policies == ("no-keys",)
    assert blocked.reasons == ("blocked by policy 'no-keys': Never a private key.",)


def test_an_evaluation_error_blocks_even_when_another_permit_allows() -> None:
    text = _permit("all-clear", "allow") + _permit(
        "overflows", "mask", 'context.kind == "email" && 9223372036854775807 + 1 > 0'
    )
    engine = DataPolicy(text)
    # && short-circuits: the policy only fails (and so blocks) for e-mail addresses.
    assert engine.decide(agent(), "m", "pii", "phone") is Treatment.ALLOW
    failed = engine.decision(agent(), "m", "pii", "email")
    assert failed.treatment is Treatment.BLOCK
    assert failed.policies == ("overflows",)
    assert "fail closed" in failed.reasons[0]
    assert "`overflows`" in failed.reasons[0]


def test_policies_can_speak_of_kinds_principals_owners_and_models() -> None:
    text = _permit("default-mask", "mask") + _permit(
        "netops-sees-internal-ips",
        "allow",
        'principal == Agent::"netops" && principal.owner == "carol" '
        '&& context.kind == "ipv4_internal" && resource.name like "local-*"',
    )
    engine = DataPolicy(text)
    netops = DataPrincipal("netops", "agent", "carol")
    # Strictest wins, so an allow only matters where no stricter permit matches:
    assert engine.decide(netops, "local-llama", "internal_identifier", "ipv4_internal") == "mask"
    loose = DataPolicy(
        text.replace(
            '@id("default-mask") @treatment("mask")', '@id("default-mask") @treatment("allow")'
        )
        + _permit("others-masked", "mask", '!(principal == Agent::"netops")')
    )
    assert loose.decide(netops, "local-llama", "internal_identifier", "ipv4_internal") == "allow"
    assert loose.decide(agent(), "local-llama", "internal_identifier", "ipv4_internal") == "mask"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_permit("p", "allow", 'context.dataclass == "pii"'), "does not match the schema"),
        (
            _permit("p", "allow", 'principal.data_class.contains("pii")'),
            "does not match the schema",
        ),
        (_permit("p", "allow", "context.kind == 3"), "does not match the schema"),
        (_permit("p", "allow").replace("@treatment", "@treatmnt"), "unknown annotation @treatmnt"),
        (_permit("p", "allow").replace("@id", "@approvals"), "needs an @id"),
        ('@id("p") permit (principal, action, resource);', "must state @treatment"),
        (_permit("p", "redact"), "is not one of allow, tokenize, mask, block"),
        (_permit("p", "Allow"), "is not one of allow, tokenize, mask, block"),
        ('@id("f") @treatment("block") forbid (principal, action, resource);', "forbid cannot"),
        (_permit("p", "allow") + _permit("p", "mask"), "ids must be unique"),
        (_permit("bad id", "allow"), "must be 1-64 letters"),
        (
            '@id("t") @treatment("allow") permit (principal == ?principal, action, resource);',
            "templates",
        ),
        ("permit (principal, action, resource", "does not parse"),
        ("// nothing\n", "contains no policy"),
        (
            '@id("p") @treatment("allow") @description("a\tb") permit (principal, action, resource);',
            "printable",
        ),
        ('@id("p") @treatment permit (principal, action, resource);', "needs a value"),
        (
            '@id("p") @treatment("allow") permit (principal, action in Action::"read", resource);',
            "schema",
        ),
    ],
)
def test_bad_policy_text_is_refused_when_loaded(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        DataPolicy(text)


@pytest.mark.parametrize("text", [None, b"permit", 42])
def test_policy_text_must_be_a_string(text: object) -> None:
    with pytest.raises(InputError, match="must be a string"):
        DataPolicy(text)  # type: ignore[arg-type]


def test_policy_text_size_and_encoding_are_checked() -> None:
    with pytest.raises(InputError, match="the limit is"):
        DataPolicy("//" + "x" * (1 << 20) + "\n" + _permit("p", "allow"))
    with pytest.raises(InputError, match="not valid Unicode"):
        DataPolicy("// \ud800\n" + _permit("p", "allow"))


def test_repeated_decisions_come_from_a_bounded_cache() -> None:
    cached = DataPolicy.default()
    first = cached.decision(agent(), "m", "pii", "email")
    assert cached.decision(agent(), "m", "pii", "email") is first
    assert cached.decision(agent(), "m", DataClass.PII, "email") is first  # same key
    uncached = DataPolicy(cached.text, cache_size=0)
    one = uncached.decision(agent(), "m", "pii", "email")
    assert uncached.decision(agent(), "m", "pii", "email") is not one
    assert uncached.decision(agent(), "m", "pii", "email") == one
    tiny = DataPolicy(cached.text, cache_size=1)
    kept = tiny.decision(agent(), "m", "pii", "email")
    assert tiny.decision(agent(), "m", "pii", "email") is kept
    tiny.decision(agent(), "m", "pii", "phone")  # evicts the e-mail decision
    assert tiny.decision(agent(), "m", "pii", "email") is not kept


def test_several_pairs_are_decided_together(policy: DataPolicy) -> None:
    pairs = [("pii", "email"), ("secret", "jwt"), ("pii", "email"), ("financial", "iban")]
    decided = policy.decisions(agent("financial"), "m", pairs)
    assert {pair: d.treatment for pair, d in decided.items()} == {
        ("pii", "email"): Treatment.TOKENIZE,
        ("secret", "jwt"): Treatment.MASK,
        ("financial", "iban"): Treatment.ALLOW,
    }


@pytest.mark.parametrize(
    ("principal", "model", "data_class", "kind", "message"),
    [
        ("triage", "m", "pii", "email", "needs a DataPrincipal"),
        (agent(), "", "pii", "email", "model name must not be empty"),
        (agent(), "gpt\n4o", "pii", "email", "control or invisible"),
        (agent(), 4, "pii", "email", "model name must be a string"),
        (agent(), "m", "PII", "email", "lower-case identifier"),
        (agent(), "m", "pii", "e-mail", "lower-case identifier"),
        (agent(), "m", "pii", None, "lower-case identifier"),
    ],
)
def test_bad_requests_are_refused(
    policy: DataPolicy,
    principal: object,
    model: object,
    data_class: object,
    kind: object,
    message: str,
) -> None:
    with pytest.raises(InputError, match=message):
        policy.decide(principal, model, data_class, kind)  # type: ignore[arg-type]


def test_pairs_must_be_tuples(policy: DataPolicy) -> None:
    with pytest.raises(InputError, match="tuples"):
        policy.decisions(agent(), "m", [["pii", "email"]])  # type: ignore[list-item]


def test_cache_size_is_checked() -> None:
    with pytest.raises(InputError, match="cache_size"):
        DataPolicy(default_data_policy_text(), cache_size=-1)


def test_a_principal_comes_from_an_identity() -> None:
    identity = Identity(
        id="triage-bot",
        kind="agent",
        owner="alice",
        scopes=("add_case_note",),
        data_classes=("pii",),
        models=("gpt-4o",),
    )
    principal = DataPrincipal.of(identity)
    assert principal == DataPrincipal(
        "triage-bot", "agent", "alice", frozenset({"pii"}), frozenset({"gpt-4o"})
    )
    person = DataPrincipal.of(Identity(id="dana", kind="human", roles=("analyst",)))
    assert person.owner == ""
    assert person.data_classes == frozenset()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "", "kind": "agent"}, "principal id must not be empty"),
        ({"id": "a", "kind": "robot"}, "is not one of"),
        ({"id": "a", "kind": "agent", "data_classes": "pii"}, "must be a list"),
        ({"id": "a", "kind": "agent", "models": [1]}, "must be a string"),
        ({"id": "a", "kind": "agent", "owner": "x\n"}, "control or invisible"),
    ],
)
def test_bad_principals_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        DataPrincipal(**fields)  # type: ignore[arg-type]


def test_treatments_are_ordered_by_strictness() -> None:
    order = sorted(Treatment, key=lambda t: t.strictness)
    assert order == [Treatment.ALLOW, Treatment.TOKENIZE, Treatment.MASK, Treatment.BLOCK]


def test_a_broken_shipped_schema_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="does not parse"):
        load_schema("affidavit.protect", "data_policy.cedar")  # a policy, not a schema
