"""Microsoft Defender for Endpoint: isolate a machine and release it.

API (``api_url``, default ``https://api.securitycenter.microsoft.com``):

* ``POST /api/machines/{id}/isolate`` with ``{"Comment", "IsolationType"}`` -> 201 and a
  MachineAction; ``POST /api/machines/{id}/unisolate`` with ``{"Comment"}`` -> 201.
* ``GET /api/machineactions?$filter=machineId eq '{id}' and (type eq 'Isolate' or type
  eq 'Unisolate')`` -> ``{"value": [MachineAction, ...]}``.
* Token: OAuth 2.0 client credentials at
  ``{login_url}/{tenant_id}/oauth2/v2.0/token`` (default login_url
  ``https://login.microsoftonline.com``), scope ``https://api.securitycenter.microsoft.com/.default``;
  the app needs the ``Machine.Isolate`` and ``Machine.Read.All`` permissions.
* Errors: ``{"error": {"code", "message", "target"}}``; 429 with ``Retry-After``.

Defender has no idempotency key for machine actions, so the execution id goes
into the action's comment (``affidavit-execution:<id>``) and the machine's
isolation actions are listed before acting: an action carrying this execution
id means it was already sent; a newer pending or succeeded isolation means the
machine is already isolated (for a release: already released), and nothing is
sent. The target is ``host:<machine id>`` (the 40-hex-digit Defender device id).
"""

from __future__ import annotations

import re
from typing import Any

from affidavit.connectors._checks import optional_text, optional_text_list, preview
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.vendors._base import (
    Plan,
    VendorConnector,
    execution_marker,
    garbage,
    path_id,
    succeeded,
    vendor_text,
)
from affidavit.connectors.vendors._oauth import ClientCredentials
from affidavit.connectors.vendors._settings import Field, VendorSettings, VendorSpec
from affidavit.errors import InputError

__all__ = ["NAME", "SPEC", "DefenderConnector", "create"]

NAME = "defender"
SPEC = VendorSpec(
    connector=NAME,
    title="Microsoft Defender for Endpoint",
    fields=(
        Field(
            "tenant_id",
            required=True,
            pattern=re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,127}"),
            rule="a directory (tenant) id or domain",
        ),
        Field("client_id", required=True),
        Field("api_url", kind="url", default="https://api.securitycenter.microsoft.com"),
        Field("login_url", kind="url", default="https://login.microsoftonline.com"),
        Field("scope", default="https://api.securitycenter.microsoft.com/.default"),
        Field(
            "isolation_type",
            default="Full",
            pattern=re.compile(r"Full|Selective"),
            rule="Full or Selective",
        ),
    ),
    credentials=("client_secret",),
)
_MACHINE_ID = re.compile(r"[0-9a-fA-F]{40}")
_MACHINE_RULE = "a Defender machine id is the device's 40 hexadecimal digits"
_ACTIVE = frozenset({"Pending", "InProgress", "Succeeded"})
_MAX_COMMENT = 1000


class DefenderConnector(VendorConnector):
    name = NAME
    spec = SPEC
    title = SPEC.title

    def _declare(self) -> None:
        self._register("isolate_host", ["host"], self._isolate)
        self._register("release_host", ["host"], self._release)

    def _setup(self, settings: VendorSettings) -> None:
        token_url = (
            f"{settings.require('login_url')}/{settings.require('tenant_id')}/oauth2/v2.0/token"
        )
        self._auth = ClientCredentials(
            self.http,
            token_url,
            {
                "grant_type": "client_credentials",
                "client_id": settings.require("client_id"),
                "client_secret": self._credentials["client_secret"],
                "scope": settings.require("scope"),
            },
        )
        self._api = settings.require("api_url")

    @staticmethod
    def read_error(body: Any) -> tuple[str | None, str | None]:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return error.get("code"), error.get("message")
        if isinstance(error, str):  # the token endpoint (Microsoft Entra ID)
            return error, body.get("error_description")
        return None, None

    def _comment(self, request: ActionRequest, default: str) -> str:
        text = optional_text(request.params, "comment", max_len=_MAX_COMMENT) or default
        return f"{text} [{execution_marker(request.execution_id)}]"

    def _isolate(self, request: ActionRequest) -> Plan:
        machine = path_id(request.target_id, "machine id", _MACHINE_ID, _MACHINE_RULE)
        if optional_text_list(request.params, "allow_ips", max_items=32, max_len=15):
            raise InputError(
                "Defender isolation takes no per-address exceptions (allow_ips); "
                "use isolation_type Selective to keep Outlook, Teams and Skype reachable."
            )
        kind = optional_text(request.params, "isolation_type", max_len=16)
        kind = kind or self.settings.require("isolation_type")
        if kind not in ("Full", "Selective"):
            raise InputError(f"isolation_type must be Full or Selective, not {preview(kind)}.")
        comment = self._comment(request, "Isolated by Affidavit")
        return lambda: self.once(
            lambda: self._check(machine, request, "Isolate"),
            lambda: self._act(machine, "isolate", {"Comment": comment, "IsolationType": kind}),
        )

    def _release(self, request: ActionRequest) -> Plan:
        machine = path_id(request.target_id, "machine id", _MACHINE_ID, _MACHINE_RULE)
        comment = self._comment(request, "Released by Affidavit")
        return lambda: self.once(
            lambda: self._check(machine, request, "Unisolate"),
            lambda: self._act(machine, "unisolate", {"Comment": comment}),
        )

    def _check(self, machine: str, request: ActionRequest, wanted: str) -> ActionResult | None:
        """The earlier result of this execution, or "already so", or None: act."""
        reply = self.http.request(
            "GET",
            f"{self._api}/api/machineactions",
            params={
                "$filter": f"machineId eq '{machine.lower()}' and "
                "(type eq 'Isolate' or type eq 'Unisolate')",
                "$top": "200",
            },
            auth=self._auth,
            replay_safe=True,
        )
        actions = reply.obj(self.title).get("value")
        if not isinstance(actions, list):
            raise garbage(self.title, "a machine action list without a value array")
        records = [a for a in actions if isinstance(a, dict)]
        marker = execution_marker(request.execution_id)
        for action in records:
            if marker in str(action.get("requestorComment") or ""):
                return self._result(machine, action, wanted, changed=True, resumed=True)
        active = sorted(
            (a for a in records if a.get("status") in _ACTIVE and a.get("type") in _TYPES),
            key=lambda a: str(a.get("creationDateTimeUtc") or ""),
            reverse=True,
        )
        latest = active[0] if active else None
        isolated = latest is not None and latest.get("type") == "Isolate"
        if isolated == (wanted == "Isolate"):
            detail: dict[str, Any] = {
                "machine": machine,
                "isolated": isolated,
                "changed": False,
                "reason": "already isolated" if isolated else "not isolated",
            }
            if latest is not None:
                detail["machine_action_id"] = vendor_text(latest.get("id"))
                detail["machine_action_status"] = vendor_text(latest.get("status"))
            return succeeded(detail, vendor_text(latest.get("id")) if latest else None)
        return None

    def _act(self, machine: str, verb: str, body: dict[str, str]) -> ActionResult:
        reply = self.http.request(
            "POST",
            f"{self._api}/api/machines/{machine}/{verb}",
            json_body=body,
            ok=(200, 201),
            auth=self._auth,
            replay_safe=False,
        )
        action = reply.obj(self.title)
        wanted = "Isolate" if verb == "isolate" else "Unisolate"
        return self._result(machine, action, wanted, changed=True, resumed=False)

    def _result(
        self, machine: str, action: dict[str, Any], wanted: str, *, changed: bool, resumed: bool
    ) -> ActionResult:
        action_id = vendor_text(action.get("id"))
        if action_id is None:
            raise garbage(self.title, "a machine action without an id")
        detail: dict[str, Any] = {
            "machine": machine,
            "isolated": wanted == "Isolate",
            "changed": changed,
            "machine_action_id": action_id,
            "machine_action_status": vendor_text(action.get("status")),
            "previous": {"isolated": wanted != "Isolate"},
        }
        scope = vendor_text(action.get("scope"))
        if scope is not None:
            detail["isolation_type"] = scope
        if resumed:
            detail["resumed"] = True
        return succeeded(detail, action_id)


_TYPES = frozenset({"Isolate", "Unisolate"})


def create(context: ConnectorContext) -> DefenderConnector:
    """Entry-point factory: the Defender connector with the ``defender`` settings, if any."""
    section = context.settings(NAME)
    settings = VendorSettings.parse(SPEC, section) if section is not None else None
    return DefenderConnector(settings, context.db)
