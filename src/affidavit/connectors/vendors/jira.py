"""Jira Cloud (REST API v3): create an issue, comment on an issue.

API (``site_url``, e.g. ``https://acme.atlassian.net``), authenticated with an
Atlassian account e-mail and API token (HTTP basic):

* ``POST /rest/api/3/issue`` ``{"fields": {"project": {"key"}, "summary",
  "issuetype": {"name"}, "labels", "description": <ADF>, "priority": {"name"}}}``
  -> 201 ``{"id", "key", "self"}``.
* ``POST /rest/api/3/issue/{key}/comment`` ``{"body": <ADF>, "properties": [...]}``
  -> 201 the comment ``{"id", ...}``.
* ``GET /rest/api/3/search/jql?jql=...`` -> ``{"issues": [{"id", "key"}]}``;
  ``GET /rest/api/3/issue/{key}/comment?expand=properties`` -> ``{"comments": [...]}``.
* Errors: ``{"errorMessages": [...], "errors": {"field": "message"}}``; 429 with
  ``Retry-After``.

Jira has no idempotency key. A created issue carries the label
``affidavit-<execution id>`` and is searched for by it before creating; a
comment carries the entity property ``affidavit`` = ``{"execution": id}`` and the
issue's comments are read before commenting. (Jira's search index lags a few
seconds behind a create, so the label check protects retries and resumed
executions, not two creates in the same second — the execution claim does.)
``create_ticket`` takes any target (the ticket names it); ``update_ticket``
takes ``ticket:<issue key>``.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from affidavit.connectors._checks import optional_text
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.vendors._base import (
    Plan,
    VendorConnector,
    garbage,
    path_id,
    succeeded,
    vendor_text,
)
from affidavit.connectors.vendors._reply import StaticAuth
from affidavit.connectors.vendors._settings import Field, VendorSettings, VendorSpec
from affidavit.errors import InputError

__all__ = ["NAME", "SPEC", "JiraConnector", "adf", "create"]

NAME = "jira"
SPEC = VendorSpec(
    connector=NAME,
    title="Jira",
    fields=(
        Field("site_url", kind="url", required=True),
        Field("email", required=True),
        Field(
            "project_key",
            required=True,
            pattern=re.compile(r"[A-Z][A-Z0-9_]{1,9}"),
            rule="a Jira project key such as SOC",
        ),
        Field("issue_type", default="Task"),
    ),
    credentials=("api_token",),
)
_ISSUE = re.compile(r"[A-Z][A-Z0-9_]{1,9}-[0-9]{1,12}")
_ISSUE_RULE = "a Jira issue key such as SOC-123"
_PRIORITIES = {"low": "Low", "medium": "Medium", "high": "High", "urgent": "Highest"}
_PROPERTY = "affidavit"
_QUEUE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def adf(text: str) -> dict[str, Any]:
    """Text as an Atlassian Document Format document: one paragraph per line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        if line
        else {"type": "paragraph", "content": []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


class JiraConnector(VendorConnector):
    name = NAME
    spec = SPEC
    title = SPEC.title

    def _declare(self) -> None:
        self._register(
            "create_ticket",
            ["case", "host", "user", "ip", "domain", "file", "mailbox", "email"],
            self._create,
        )
        self._register("update_ticket", ["ticket"], self._comment)

    def _setup(self, settings: VendorSettings) -> None:
        self._site = settings.require("site_url")
        pair = f"{settings.require('email')}:{self._credentials['api_token']}"
        encoded = base64.b64encode(pair.encode()).decode()
        self.http.add_secret(encoded)  # what the basic header carries is as secret as the token
        self._auth = StaticAuth(f"Basic {encoded}")

    @staticmethod
    def read_error(body: Any) -> tuple[str | None, str | None]:
        if not isinstance(body, dict):
            return None, None
        messages = [m for m in body.get("errorMessages") or [] if isinstance(m, str)]
        errors = body.get("errors")
        if isinstance(errors, dict):
            messages += [f"{k}: {v}" for k, v in errors.items() if isinstance(v, str)]
        return None, "; ".join(messages) or None

    def _create(self, request: ActionRequest) -> Plan:
        summary = optional_text(request.params, "summary", max_len=200)
        if not summary:
            raise InputError("create_ticket needs the parameter summary.")
        priority = optional_text(request.params, "priority", max_len=16)
        if priority is not None and priority not in _PRIORITIES:
            raise InputError(f"priority must be one of {', '.join(_PRIORITIES)}.")
        queue = optional_text(request.params, "queue", max_len=64)
        if queue is not None and _QUEUE.fullmatch(queue) is None:
            raise InputError("queue must be 1-64 letters, digits, '_', '.' or '-'.")
        label = f"affidavit-{request.execution_id}"
        labels = ["affidavit", label] + ([f"affidavit-queue-{queue}"] if queue else [])
        lines = [
            f"Opened by Affidavit for {request.target}"
            + (f" in case {request.case}." if request.case else "."),
            f"Execution {request.execution_id}, authorization {request.authorization_id}.",
        ]
        fields: dict[str, Any] = {
            "project": {"key": self.settings.require("project_key")},
            "summary": summary,
            "issuetype": {"name": self.settings.require("issue_type")},
            "labels": labels,
            "description": adf("\n".join(lines)),
        }
        if priority is not None:
            fields["priority"] = {"name": _PRIORITIES[priority]}

        def check() -> ActionResult | None:
            reply = self.http.request(
                "GET",
                f"{self._site}/rest/api/3/search/jql",
                params={"jql": f'labels = "{label}"', "fields": "key", "maxResults": "1"},
                auth=self._auth,
                replay_safe=True,
            )
            issues = reply.obj(self.title).get("issues")
            if not isinstance(issues, list):
                raise garbage(self.title, "a search without an issues list")
            for issue in issues:
                if isinstance(issue, dict):
                    return self._issue(issue, changed=True)
            return None

        def act() -> ActionResult:
            reply = self.http.request(
                "POST",
                f"{self._site}/rest/api/3/issue",
                json_body={"fields": fields},
                ok=(201,),
                auth=self._auth,
                replay_safe=False,
            )
            return self._issue(reply.obj(self.title), changed=True)

        return lambda: self.once(check, act)

    def _issue(self, issue: dict[str, Any], *, changed: bool) -> ActionResult:
        key = vendor_text(issue.get("key"), 32)
        if key is None or _ISSUE.fullmatch(key) is None:
            raise garbage(self.title, "an issue without a valid key")
        return succeeded(
            {"issue": key, "issue_id": vendor_text(issue.get("id"), 32), "changed": changed}, key
        )

    def _comment(self, request: ActionRequest) -> Plan:
        key = path_id(request.target_id, "issue key", _ISSUE, _ISSUE_RULE)
        text = optional_text(request.params, "comment", max_len=20000)
        if not text:
            raise InputError("update_ticket needs the parameter comment.")
        url = f"{self._site}/rest/api/3/issue/{key}/comment"
        tag = {"execution": request.execution_id}

        def check() -> ActionResult | None:
            reply = self.http.request(
                "GET",
                url,
                params={"expand": "properties", "maxResults": "100", "orderBy": "-created"},
                auth=self._auth,
                replay_safe=True,
            )
            comments = reply.obj(self.title).get("comments")
            if not isinstance(comments, list):
                raise garbage(self.title, "a comment list without comments")
            for comment in comments:
                properties = comment.get("properties") if isinstance(comment, dict) else None
                for prop in properties if isinstance(properties, list) else []:
                    if (
                        isinstance(prop, dict)
                        and prop.get("key") == _PROPERTY
                        and (prop.get("value") == tag)
                    ):
                        return self._commented(key, comment)
            return None

        def act() -> ActionResult:
            reply = self.http.request(
                "POST",
                url,
                json_body={"body": adf(text), "properties": [{"key": _PROPERTY, "value": tag}]},
                ok=(201,),
                auth=self._auth,
                replay_safe=False,
            )
            return self._commented(key, reply.obj(self.title))

        return lambda: self.once(check, act)

    def _commented(self, key: str, comment: Any) -> ActionResult:
        comment_id = vendor_text(comment.get("id"), 32) if isinstance(comment, dict) else None
        if comment_id is None:
            raise garbage(self.title, "a comment without an id")
        return succeeded({"issue": key, "comment": comment_id, "changed": True}, key)


def create(context: ConnectorContext) -> JiraConnector:
    """Entry-point factory: the Jira connector with the ``jira`` settings, if any."""
    section = context.settings(NAME)
    settings = VendorSettings.parse(SPEC, section) if section is not None else None
    return JiraConnector(settings, context.db)
