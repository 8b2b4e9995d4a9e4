"""Okta: suspend a user, clear a user's sessions.

API (``org_url``, e.g. ``https://acme.okta.com``), authenticated with an API
token (``Authorization: SSWS <token>``):

* ``GET /api/v1/users/{id}`` -> ``{"id", "status": "ACTIVE" | "SUSPENDED" | ...}``.
* ``POST /api/v1/users/{id}/lifecycle/suspend`` -> 200 ``{}``; only an ``ACTIVE``
  user can be suspended.
* ``DELETE /api/v1/users/{id}/sessions?oauthTokens=true`` -> 204: every session
  ends and the OAuth tokens issued to the user are revoked.
* Errors: ``{"errorCode", "errorSummary", "errorId", "errorCauses"}``; 429 with
  ``X-Rate-Limit-Reset`` (a Unix time).

Suspension reads the user's status first: a user already ``SUSPENDED`` is
left alone (``changed: false``); a user in another state (deprovisioned,
staged) is a failed result that says so, because Okta suspends only active
users. Clearing sessions is idempotent at Okta and is simply repeated. The
target is ``user:<Okta user id or login>``; results name the Okta user id.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

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

__all__ = ["NAME", "SPEC", "OktaConnector", "create"]

NAME = "okta"
SPEC = VendorSpec(
    connector=NAME,
    title="Okta",
    fields=(Field("org_url", kind="url", required=True),),
    credentials=("api_token",),
)
_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}")
_USER_RULE = "an Okta user id or login: letters, digits and . _ @ + -"


class OktaConnector(VendorConnector):
    name = NAME
    spec = SPEC
    title = SPEC.title
    reset_headers = ("X-Rate-Limit-Reset",)

    def _declare(self) -> None:
        self._register("disable_account", ["user"], self._suspend)
        self._register("revoke_sessions", ["user"], self._clear_sessions)

    def _setup(self, settings: VendorSettings) -> None:
        self._org = settings.require("org_url")
        self._auth = StaticAuth(f"SSWS {self._credentials['api_token']}")

    @staticmethod
    def read_error(body: Any) -> tuple[str | None, str | None]:
        if isinstance(body, dict):
            return body.get("errorCode"), body.get("errorSummary")
        return None, None

    def _users(self, user: str) -> str:
        return f"{self._org}/api/v1/users/{quote(user, safe='')}"

    def _user(self, user: str) -> tuple[str, str]:
        """(Okta id, status) of the user."""
        body = self.http.request("GET", self._users(user), auth=self._auth, replay_safe=True).obj(
            self.title
        )
        okta_id = vendor_text(body.get("id"), 64)
        status = vendor_text(body.get("status"), 32)
        if okta_id is None or status is None:
            raise garbage(self.title, "a user without an id or status")
        return okta_id, status

    def _suspend(self, request: ActionRequest) -> Plan:
        user = path_id(request.target_id, "user", _USER, _USER_RULE)
        comment = optional_text(request.params, "comment", max_len=1000)
        first: dict[str, str] = {}

        def check() -> ActionResult | None:
            okta_id, status = self._user(user)
            first.setdefault("status", status)
            first["id"] = okta_id
            if status == "SUSPENDED":
                return succeeded(
                    {
                        "user": okta_id,
                        "status": status,
                        "changed": first["status"] != status,
                        "previous": {"status": first["status"]},
                    },
                    okta_id,
                )
            if status != "ACTIVE":
                return ActionResult(
                    "failed",
                    {
                        "error": f"Okta suspends only ACTIVE users; user {okta_id} is {status}.",
                        "error_kind": "state",
                        "user": okta_id,
                        "status": status,
                    },
                )
            return None

        def act() -> ActionResult:
            self.http.request(
                "POST",
                f"{self._users(first['id'])}/lifecycle/suspend",
                auth=self._auth,
                ok=(200, 204),
                replay_safe=False,
            )
            detail: dict[str, Any] = {
                "user": first["id"],
                "status": "SUSPENDED",
                "changed": True,
                "previous": {"status": first["status"]},
            }
            if comment:
                detail["comment"] = comment
            return succeeded(detail, first["id"])

        return lambda: self.once(check, act)

    def _clear_sessions(self, request: ActionRequest) -> Plan:
        user = path_id(request.target_id, "user", _USER, _USER_RULE)
        optional_text(request.params, "comment", max_len=1000)

        def run() -> ActionResult:
            okta_id, status = self._user(user)
            self.http.request(
                "DELETE",
                f"{self._users(okta_id)}/sessions",
                params={"oauthTokens": "true"},
                auth=self._auth,
                ok=(204, 200),
                replay_safe=True,  # clearing cleared sessions changes nothing
            )
            return succeeded(
                {
                    "user": okta_id,
                    "status": status,
                    "sessions_cleared": True,
                    "oauth_tokens_revoked": True,
                    "changed": True,
                },
                okta_id,
            )

        return run


def create(context: ConnectorContext) -> OktaConnector:
    """Entry-point factory: the Okta connector with the ``okta`` settings, if any."""
    section = context.settings(NAME)
    settings = VendorSettings.parse(SPEC, section) if section is not None else None
    return OktaConnector(settings, context.db)
