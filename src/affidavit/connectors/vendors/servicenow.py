"""ServiceNow (Table API): open an incident, add a work note to an incident.

API (``instance_url``, e.g. ``https://acme.service-now.com``), authenticated
with a user name and password (HTTP basic):

* ``POST /api/now/table/incident`` ``{"short_description", "description",
  "correlation_id", "correlation_display", "urgency", "impact", ...}`` -> 201
  ``{"result": {"sys_id", "number", ...}}``.
* ``GET /api/now/table/incident?sysparm_query=...`` -> ``{"result": [...]}``.
* ``PATCH /api/now/table/incident/{sys_id}`` ``{"work_notes"}`` -> 200 ``{"result": ...}``.
* ``GET /api/now/table/sys_journal_field?sysparm_query=element_id=...`` -> the
  incident's journal (work notes).
* Errors: ``{"error": {"message", "detail"}, "status": "failure"}``.

Incidents carry the execution id in ``correlation_id``, the field ServiceNow
has for an outside system's reference, and are looked up by it before one is
created. A work note ends with ``affidavit-execution:<id>`` and the journal is
searched for it before the note is added (a PATCH of ``work_notes`` appends,
so it is not safe to repeat blindly). ``update_ticket`` takes
``ticket:<incident number>`` (``INC0010001``) or the 32-hex-digit ``sys_id``.
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
    execution_marker,
    garbage,
    path_id,
    succeeded,
    vendor_text,
)
from affidavit.connectors.vendors._reply import StaticAuth, UpstreamError
from affidavit.connectors.vendors._settings import Field, VendorSettings, VendorSpec
from affidavit.errors import InputError

__all__ = ["NAME", "SPEC", "ServiceNowConnector", "create"]

NAME = "servicenow"
SPEC = VendorSpec(
    connector=NAME,
    title="ServiceNow",
    fields=(
        Field("instance_url", kind="url", required=True),
        Field("username", required=True),
        Field("assignment_group"),
        Field("caller_id"),
    ),
    credentials=("password",),
)
_TICKET = re.compile(r"[A-Z]{2,8}[0-9]{4,12}|[0-9a-f]{32}")
_TICKET_RULE = "an incident number such as INC0010001 or a 32-hex-digit sys_id"
_SYS_ID = re.compile(r"[0-9a-f]{32}")
# priority -> (urgency, impact); ServiceNow derives the priority from the two.
_PRIORITIES = {"urgent": ("1", "1"), "high": ("1", "2"), "medium": ("2", "2"), "low": ("3", "3")}
_QUEUE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ServiceNowConnector(VendorConnector):
    name = NAME
    spec = SPEC
    title = SPEC.title

    def _declare(self) -> None:
        self._register(
            "create_ticket",
            ["case", "host", "user", "ip", "domain", "file", "mailbox", "email"],
            self._create,
        )
        self._register("update_ticket", ["ticket"], self._note)

    def _setup(self, settings: VendorSettings) -> None:
        self._table = f"{settings.require('instance_url')}/api/now/table"
        pair = f"{settings.require('username')}:{self._credentials['password']}"
        encoded = base64.b64encode(pair.encode()).decode()
        self.http.add_secret(encoded)
        self._auth = StaticAuth(f"Basic {encoded}")

    @staticmethod
    def read_error(body: Any) -> tuple[str | None, str | None]:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            message, detail = error.get("message"), error.get("detail")
            if isinstance(message, str) and isinstance(detail, str) and detail:
                return None, f"{message} ({detail})"
            return None, message
        return None, None

    def _get(self, table: str, query: str, fields: str) -> list[dict[str, Any]]:
        reply = self.http.request(
            "GET",
            f"{self._table}/{table}",
            params={"sysparm_query": query, "sysparm_fields": fields, "sysparm_limit": "1"},
            auth=self._auth,
            replay_safe=True,
        )
        rows = reply.obj(self.title).get("result")
        if not isinstance(rows, list):
            raise garbage(self.title, "a table query without a result list")
        return [r for r in rows if isinstance(r, dict)]

    def _incident(self, row: dict[str, Any], *, changed: bool) -> ActionResult:
        sys_id = vendor_text(row.get("sys_id"), 32)
        number = vendor_text(row.get("number"), 40)
        if sys_id is None or number is None:
            raise garbage(self.title, "an incident without sys_id and number")
        return succeeded({"incident": number, "sys_id": sys_id, "changed": changed}, number)

    def _create(self, request: ActionRequest) -> Plan:
        summary = optional_text(request.params, "summary", max_len=160)
        if not summary:
            raise InputError("create_ticket needs the parameter summary.")
        priority = optional_text(request.params, "priority", max_len=16)
        if priority is not None and priority not in _PRIORITIES:
            raise InputError(f"priority must be one of {', '.join(_PRIORITIES)}.")
        queue = optional_text(request.params, "queue", max_len=64)
        if queue is not None and _QUEUE.fullmatch(queue) is None:
            raise InputError("queue must be 1-64 letters, digits, '_', '.' or '-'.")
        record: dict[str, str] = {
            "short_description": summary,
            "description": (
                f"Opened by Affidavit for {request.target}"
                + (f" in case {request.case}" if request.case else "")
                + f".\nExecution {request.execution_id}, authorization {request.authorization_id}."
            ),
            "correlation_id": request.execution_id,
            "correlation_display": "Affidavit",
        }
        urgency, impact = _PRIORITIES[priority or "medium"]
        record.update(urgency=urgency, impact=impact)
        group = queue or self.settings.get("assignment_group")
        if group:
            record["assignment_group"] = group
        caller = self.settings.get("caller_id")
        if caller:
            record["caller_id"] = caller

        def check() -> ActionResult | None:
            rows = self._get("incident", f"correlation_id={request.execution_id}", "sys_id,number")
            return self._incident(rows[0], changed=True) if rows else None

        def act() -> ActionResult:
            reply = self.http.request(
                "POST",
                f"{self._table}/incident",
                json_body=record,
                ok=(201,),
                auth=self._auth,
                replay_safe=False,
            )
            row = reply.obj(self.title).get("result")
            if not isinstance(row, dict):
                raise garbage(self.title, "a created incident without a result object")
            return self._incident(row, changed=True)

        return lambda: self.once(check, act)

    def _note(self, request: ActionRequest) -> Plan:
        ticket = path_id(request.target_id, "incident", _TICKET, _TICKET_RULE)
        text = optional_text(request.params, "comment", max_len=20000)
        if not text:
            raise InputError("update_ticket needs the parameter comment.")
        marker = execution_marker(request.execution_id)
        found: dict[str, str] = {}

        def incident() -> tuple[str, str]:
            if not found:
                field = "sys_id" if _SYS_ID.fullmatch(ticket) else "number"
                rows = self._get("incident", f"{field}={ticket}", "sys_id,number")
                if not rows:
                    raise UpstreamError("not_found", f"{self.title} has no incident {ticket}.")
                result = self._incident(rows[0], changed=False)
                found.update(sys_id=result.detail["sys_id"], number=result.detail["incident"])
            return found["sys_id"], found["number"]

        def check() -> ActionResult | None:
            sys_id, number = incident()
            notes = self._get(
                "sys_journal_field",
                f"element_id={sys_id}^element=work_notes^valueLIKE{marker}",
                "sys_id",
            )
            if notes:
                return succeeded({"incident": number, "sys_id": sys_id, "changed": True}, number)
            return None

        def act() -> ActionResult:
            sys_id, number = incident()
            self.http.request(
                "PATCH",
                f"{self._table}/incident/{sys_id}",
                json_body={"work_notes": f"{text}\n\n{marker}"},
                ok=(200,),
                auth=self._auth,
                replay_safe=False,
            )
            return succeeded({"incident": number, "sys_id": sys_id, "changed": True}, number)

        return lambda: self.once(check, act)


def create(context: ConnectorContext) -> ServiceNowConnector:
    """Entry-point factory: the ServiceNow connector with the ``servicenow`` settings, if any."""
    section = context.settings(NAME)
    settings = VendorSettings.parse(SPEC, section) if section is not None else None
    return ServiceNowConnector(settings, context.db)
