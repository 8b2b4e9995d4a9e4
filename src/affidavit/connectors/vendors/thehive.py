"""TheHive 5: add a note to a case, create a task in a case, update a case.

API (``url``, e.g. ``https://thehive.example:9000``), authenticated with an API
key (``Authorization: Bearer <key>``; ``organisation`` sets ``X-Organisation``):

* ``POST /api/v1/case/{id}/comment`` ``{"message"}`` -> 201 the comment ``{"_id", ...}``.
* ``POST /api/v1/case/{id}/task`` ``{"title", "description", "group"}`` -> 201 the task.
* ``GET /api/v1/case/{id}`` -> the case; ``PATCH /api/v1/case/{id}`` with the
  fields to change -> 204.
* ``POST /api/v1/query`` ``{"query": [{"_name": "getCase", "idOrName": id},
  {"_name": "comments"}, ...]}`` -> a JSON array (the case's comments or tasks).
* Errors: ``{"type": "NotFoundError", "message"}``.

TheHive has no idempotency key: the execution id is written at the end of the
note or the task description (``affidavit-execution:<id>``), and the case's
comments or tasks are searched for it before one is created. A case update
sets fields to stated values, so repeating it changes nothing; the values
before are kept in the result so it can be reversed. Targets are
``case:<TheHive case id>`` (``~123456``) or the case number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from affidavit.connectors._checks import optional_int, optional_text, optional_text_list, preview
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
from affidavit.connectors.vendors._reply import StaticAuth
from affidavit.connectors.vendors._settings import Field, VendorSettings, VendorSpec
from affidavit.errors import InputError

__all__ = ["NAME", "SPEC", "TheHiveConnector", "create"]

NAME = "thehive"
SPEC = VendorSpec(
    connector=NAME,
    title="TheHive",
    fields=(
        Field("url", kind="url", required=True),
        Field(
            "organisation",
            pattern=re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}"),
            rule="an organisation name",
        ),
    ),
    credentials=("api_key",),
)
_CASE = re.compile(r"~?[0-9]{1,20}")
_CASE_RULE = "a TheHive case is its id (~123456) or its number"
_STATUSES = (
    "New",
    "InProgress",
    "Indeterminate",
    "FalsePositive",
    "TruePositive",
    "Other",
    "Duplicated",
)
_PAGE = 500  # comments or tasks searched for the execution id; a case rarely has more


class TheHiveConnector(VendorConnector):
    name = NAME
    spec = SPEC
    title = SPEC.title

    def _declare(self) -> None:
        self._register("add_case_note", ["case"], self._note)
        self._register("create_case_task", ["case"], self._task)
        self._register("update_case", ["case"], self._update)

    def _setup(self, settings: VendorSettings) -> None:
        self._url = settings.require("url")
        self._auth = StaticAuth(f"Bearer {self._credentials['api_key']}")
        organisation = settings.get("organisation")
        self._headers = {"X-Organisation": organisation} if organisation else {}

    @staticmethod
    def read_error(body: Any) -> tuple[str | None, str | None]:
        if isinstance(body, dict):
            return body.get("type"), body.get("message")
        return None, None

    def _case_url(self, case: str) -> str:
        return f"{self._url}/api/v1/case/{quote(case, safe='~')}"

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.http.request(method, url, auth=self._auth, headers=self._headers, **kwargs)

    def _find(self, case: str, collection: str, field: str, marker: str) -> dict[str, Any] | None:
        """The case's comment or task whose ``field`` carries ``marker``, if any."""
        reply = self._call(
            "POST",
            f"{self._url}/api/v1/query",
            params={"name": f"case-{collection}"},
            json_body={
                "query": [
                    {"_name": "getCase", "idOrName": case},
                    {"_name": collection},
                    {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
                    {"_name": "page", "from": 0, "to": _PAGE},
                ]
            },
            ok=(200,),
            replay_safe=True,  # a query changes nothing
        )
        found = reply.json(self.title)
        if not isinstance(found, list):
            raise garbage(self.title, f"a query for {collection} that is not a list")
        for item in found:
            if isinstance(item, dict) and marker in str(item.get(field) or ""):
                return item
        return None

    def _created(
        self, case: str, kind: str, item: dict[str, Any], *, changed: bool
    ) -> ActionResult:
        item_id = vendor_text(item.get("_id"), 64)
        if item_id is None:
            raise garbage(self.title, f"a {kind} without an _id")
        return succeeded({"case": case, kind: item_id, "changed": changed}, item_id)

    def _create_once(
        self,
        case: str,
        collection: str,
        field: str,
        kind: str,
        marker: str,
        post: Callable[[], Any],
    ) -> Plan:
        def check() -> ActionResult | None:
            item = self._find(case, collection, field, marker)
            return None if item is None else self._created(case, kind, item, changed=True)

        def act() -> ActionResult:
            return self._created(case, kind, post().obj(self.title), changed=True)

        return lambda: self.once(check, act)

    def _note(self, request: ActionRequest) -> Plan:
        case = path_id(request.target_id, "case", _CASE, _CASE_RULE)
        text = optional_text(request.params, "text", max_len=20000)
        if not text:
            raise InputError("add_case_note needs the parameter text.")
        marker = execution_marker(request.execution_id)
        message = f"{text}\n\n_{marker}_"
        return self._create_once(
            case,
            "comments",
            "message",
            "comment",
            marker,
            lambda: self._call(
                "POST",
                f"{self._case_url(case)}/comment",
                json_body={"message": message},
                ok=(200, 201),
                replay_safe=False,
            ),
        )

    def _task(self, request: ActionRequest) -> Plan:
        case = path_id(request.target_id, "case", _CASE, _CASE_RULE)
        title = optional_text(request.params, "title", max_len=200)
        if not title:
            raise InputError("create_case_task needs the parameter title.")
        description = optional_text(request.params, "description", max_len=20000) or ""
        group = optional_text(request.params, "group", max_len=64) or "affidavit"
        marker = execution_marker(request.execution_id)
        body = {
            "title": title,
            "group": group,
            "description": f"{description}\n\n_{marker}_".lstrip(),
        }
        return self._create_once(
            case,
            "tasks",
            "description",
            "task",
            marker,
            lambda: self._call(
                "POST",
                f"{self._case_url(case)}/task",
                json_body=body,
                ok=(200, 201),
                replay_safe=False,
            ),
        )

    def _update(self, request: ActionRequest) -> Plan:
        case = path_id(request.target_id, "case", _CASE, _CASE_RULE)
        changes: dict[str, Any] = {}
        status = optional_text(request.params, "status", max_len=32)
        if status is not None:
            if status not in _STATUSES:
                raise InputError(
                    f"status must be one of {', '.join(_STATUSES)}, not {preview(status)}."
                )
            changes["status"] = status
        severity = optional_int(request.params, "severity", low=1, high=4)
        if severity is not None:
            changes["severity"] = severity
        tags = optional_text_list(request.params, "tags", max_items=64, max_len=128)
        if tags is not None:
            changes["tags"] = tags
        summary = optional_text(request.params, "summary", max_len=20000)
        if summary is not None:
            changes["summary"] = summary
        if not changes:
            raise InputError("update_case needs at least one of status, severity, tags, summary.")

        def run() -> ActionResult:
            before = self._call("GET", self._case_url(case), replay_safe=True).obj(self.title)
            previous = {key: before.get(key) for key in changes}
            unchanged = all(_same(previous[k], v) for k, v in changes.items())
            if not unchanged:
                self._call(
                    "PATCH",
                    self._case_url(case),
                    json_body=changes,
                    ok=(200, 204),
                    replay_safe=True,  # it sets values: a second time changes nothing
                )
            return succeeded(
                {
                    "case": case,
                    "fields": sorted(changes),
                    "changed": not unchanged,
                    "previous": _recordable(previous),
                },
                vendor_text(before.get("_id"), 64) or case,
            )

        return run


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, list) and isinstance(new, list):
        return sorted(map(str, old)) == sorted(map(str, new))
    return bool(old == new)


def _recordable(previous: dict[str, Any]) -> dict[str, Any]:
    """The earlier values, cut so a result stays a few facts (a summary can be long)."""
    kept: dict[str, Any] = {}
    for key, value in previous.items():
        if isinstance(value, str):
            kept[key] = value[:500]
        elif isinstance(value, list):
            kept[key] = [str(v)[:128] for v in value[:64]]
        elif isinstance(value, int | float | bool) or value is None:
            kept[key] = value
    return kept


def create(context: ConnectorContext) -> TheHiveConnector:
    """Entry-point factory: the TheHive connector with the ``thehive`` settings, if any."""
    section = context.settings(NAME)
    settings = VendorSettings.parse(SPEC, section) if section is not None else None
    return TheHiveConnector(settings, context.db)
