"""notify.yaml: checked completely on load, errors that say where, and no secret ever shown."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from affidavit.errors import ConfigError
from affidavit.notify import (
    EmailChannel,
    HttpChannel,
    NotifyConfig,
    load_notify_config,
    parse_notify_config,
)

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
SECRET = "webhook-secret-for-notify-0123"
GOOD: dict[str, Any] = {
    "console_url": "https://console.example.org/",
    "channels": {
        "ir-slack": {"type": "slack", "url_env": "SLACK_URL"},
        "mail": {
            "type": "email",
            "host": "smtp.example.org",
            "from": "affidavit@example.org",
            "to": "ir@example.org",
            "username": "affidavit",
            "password_env": "SMTP_PASSWORD",
        },
        "teams": {"type": "teams", "url": "https://example.webhook.office.com/wf/1"},
        "soar": {"type": "webhook", "url": "https://soar.example.org/n", "secret_env": "HOOK"},
    },
    "roles": {
        "approver:ir_lead": {
            "channels": ["ir-slack", "mail"],
            "escalation": {"to": "approver:soc_manager", "lead_time": "30m"},
        },
        "approver:soc_manager": {"channels": "teams"},
    },
    "fallback": {"channels": ["soar"]},
    "digest": {"threshold": 3, "window": "5m"},
    "retry": {"max_attempts": 4, "backoff": 10, "max_backoff": "2h"},
}
ENV = {"SLACK_URL": SLACK_URL, "SMTP_PASSWORD": "correct horse battery", "HOOK": SECRET}


def _with(path: str, value: Any) -> dict[str, Any]:
    """GOOD with the key at dotted ``path`` set to ``value`` (``...`` deletes it)."""
    document = copy.deepcopy(GOOD)
    *parents, last = path.split("/")
    node = document
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return document


def test_a_complete_file_loads_with_secrets_from_the_environment() -> None:
    config = parse_notify_config(GOOD, ENV)
    assert config.console_url == "https://console.example.org"
    assert config.proposal_link("prop_1") == "https://console.example.org/proposals/prop_1"
    slack = config.channels["ir-slack"]
    assert isinstance(slack, HttpChannel) and slack.url == SLACK_URL
    mail = config.channels["mail"]
    assert isinstance(mail, EmailChannel)
    assert (mail.security, mail.port, mail.recipients) == ("starttls", 587, ("ir@example.org",))
    assert mail.password == "correct horse battery"
    soar = config.channels["soar"]
    assert isinstance(soar, HttpChannel) and soar.secret == SECRET.encode()
    lead = config.roles["approver:ir_lead"]
    assert lead.escalation is not None and lead.escalation.lead_time_s == 1800
    assert config.roles["approver:soc_manager"].channels == ("teams",)
    assert (config.digest.threshold, config.digest.window_s) == (3, 300)
    assert (config.retry.max_attempts, config.retry.max_backoff_s) == (4, 7200)
    # secrets stay out of repr, so out of logs and tracebacks
    shown = repr(config)
    for secret in (SLACK_URL, SECRET, "correct horse battery"):
        assert secret not in shown


def test_routes_fall_back_when_no_role_of_a_request_is_configured() -> None:
    config = parse_notify_config(GOOD, ENV)
    assert [r.role for r in config.routes(("approver:ir_lead", "unknown"))] == ["approver:ir_lead"]
    assert [r.role for r in config.routes(())] == ["fallback"]
    assert [r.role for r in config.routes(("approver:other",))] == ["fallback"]
    without = parse_notify_config(_with("fallback", ...), ENV)
    assert without.routes(()) == []


def test_retry_backoff_doubles_up_to_the_cap() -> None:
    retry = parse_notify_config(GOOD, ENV).retry
    assert [retry.delay_s(n) for n in range(1, 6)] == [10, 20, 40, 80, 160]
    assert retry.delay_s(500) == 7200


def test_the_file_is_read_from_affidavit_home(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no notify\.yaml in .*docs/notifications\.md"):
        load_notify_config(tmp_path, ENV)
    (tmp_path / "notify.yaml").write_text(
        "console_url: https://c.example.org\n"
        "channels:\n  hook: {type: webhook, url: 'https://r.example.org/', secret_env: HOOK}\n"
        "roles:\n  approver:ir_lead: {channels: [hook]}\n"
    )
    config = load_notify_config(tmp_path, ENV)
    assert isinstance(config, NotifyConfig) and list(config.channels) == ["hook"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("console_url: [1\n", r"not valid YAML at line 2"),
        ("roles: {}\nroles: {}\n", r"key 'roles' is given twice"),
        ("- a list\n", r"the file: must be a mapping"),
    ],
)
def test_unreadable_files_are_refused_with_the_place(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "notify.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_notify_config(tmp_path, ENV)


def test_a_file_that_is_not_utf8_or_too_big_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notify.yaml"
    path.write_bytes(b"console_url: \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_notify_config(tmp_path, ENV)
    path.write_bytes(b"#" * (2 << 20))
    with pytest.raises(ConfigError, match="the limit is"):
        load_notify_config(tmp_path, ENV)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("console_url", ..., r"console_url: is required"),
        ("console_url", "ftp://console.example.org", r"console_url: must be an http"),
        ("colour", "blue", r"unknown key 'colour'"),
        ("channels/ir-slack/type", "pager", r"channels\.ir-slack\.type: must be one of"),
        ("channels/ir-slack/urll", "x", r"unknown key 'urll'"),
        ("channels/ir-slack/url", SLACK_URL, r"give url or url_env, not both"),
        ("channels/ir-slack/url_env", "NOT_SET_ANYWHERE", r"NOT_SET_ANYWHERE is not set"),
        ("channels/ir-slack/url_env", "1-bad", r"url_env: must be the name of an environment"),
        ("channels/teams/url", "javascript:alert(1)", r"channels\.teams\.url: must be an http"),
        ("channels/soar/secret_env", ..., r"channels\.soar: needs secret or secret_env"),
        ("channels/mail/to", ["not-an-address"], r"channels\.mail\.to\[0\]: must be one e-mail"),
        ("channels/mail/to", [], r"channels\.mail\.to: needs 1 to 100"),
        ("channels/mail/from", "a@b.org\r\nBcc: x@y.org", r"channels\.mail\.from: must be one"),
        ("channels/mail/host", ..., r"channels\.mail: an email channel needs host"),
        ("channels/mail/security", "ssl", r"channels\.mail\.security: must be starttls, tls"),
        ("channels/mail/port", 70000, r"channels\.mail\.port: must be a whole number"),
        ("channels/mail/username", ..., r"username and password .* go together"),
        ("channels/mail/ca_file", "/nonexistent/ca.pem", r"ca_file: is not a readable file"),
        ("channels/mail/timeout_s", "forever", r"timeout_s: must be a duration"),
        ("channels/bad name!", {"type": "slack"}, r"a channel name is 1-64"),
        ("roles/approver:ir_lead/channels", ["ir-slak"], r"channels\[0\]: names no configured"),
        ("roles/approver:ir_lead/channels", [], r"must list at least one channel"),
        ("roles/approver:ir_lead/channels", ["mail", "mail"], r"lists a channel twice"),
        (
            "roles/approver:ir_lead/escalation",
            {"to": "approver:nobody", "lead_time": "1h"},
            r"escalation\.to: names no role configured",
        ),
        (
            "roles/approver:ir_lead/escalation",
            {"to": "approver:soc_manager"},
            r"needs to \(a role\) and lead_time",
        ),
        (
            "roles/approver:ir_lead/escalation",
            {"to": "approver:soc_manager", "lead_time": "3w"},
            r"lead_time: must be a duration",
        ),
        ("roles/fallback", {"channels": ["mail"]}, r"roles\.fallback: is reserved"),
        ("roles", [], r"roles: must map approver role names"),
        ("digest/threshold", 0, r"digest\.threshold: must be a whole number from 1"),
        ("digest/window", "0s", r"digest\.window: must be from 1"),
        ("retry/max_attempts", True, r"retry\.max_attempts: must be a whole number"),
        ("retry/max_backoff", "1s", r"retry\.max_backoff: must be from 10"),
    ],
)
def test_mistakes_are_refused_naming_their_place(path: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_notify_config(_with(path, value), ENV)
    assert caught.value.message.startswith("notify.yaml: ")


def test_no_roles_and_no_fallback_is_refused() -> None:
    document = _with("roles", {})
    del document["fallback"]
    with pytest.raises(ConfigError, match="configure at least one role"):
        parse_notify_config(document, ENV)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("channels/ir-slack/url_env", ...),  # then url is the literal below
        ("channels/soar/secret", "Sh0rtS3cret"),
        ("channels/teams/url", "https://exa mple.org/\x00" + SECRET),
        ("channels/mail/to", [SECRET]),
        ("console_url", "gopher://" + SECRET),
    ],
)
def test_errors_never_show_the_rejected_value(path: str, value: Any) -> None:
    document = _with(path, value)
    if path == "channels/ir-slack/url_env":
        document["channels"]["ir-slack"]["url"] = "not a url " + SECRET
    if path == "channels/soar/secret":
        del document["channels"]["soar"]["secret_env"]
    with pytest.raises(ConfigError) as caught:
        parse_notify_config(document, ENV)
    assert SECRET not in caught.value.message
    assert "Sh0rtS3cret" not in caught.value.message


def test_a_password_is_never_sent_without_tls() -> None:
    with pytest.raises(ConfigError, match="never sent without TLS"):
        parse_notify_config(_with("channels/mail/security", "none"), ENV)


def test_an_unknown_role_for_a_test_message_names_the_configured_ones() -> None:
    config = parse_notify_config(GOOD, ENV)
    with pytest.raises(ConfigError, match=r"configures no such role .*approver:ir_lead"):
        config.route("approver:x")
    assert config.route("fallback").channels == ("soar",)
