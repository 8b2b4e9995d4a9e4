"""CrowdStrike Falcon: network-contain a host and lift the containment.

API (``api_url``, default ``https://api.crowdstrike.com``; other clouds:
``api.us-2.crowdstrike.com``, ``api.eu-1.crowdstrike.com``, ...):

* Token: ``POST /oauth2/token`` with the form ``client_id``, ``client_secret``
  (and ``member_cid`` for a child tenant) -> 201 ``{"access_token", "expires_in"}``.
* ``GET /devices/entities/devices/v2?ids={id}`` -> ``{"resources": [{"device_id",
  "status": "normal" | "containment_pending" | "contained" | "lift_containment_pending"}]}``.
* ``POST /devices/entities/devices-actions/v2?action_name=contain|lift_containment``
  with ``{"ids": [id]}`` -> 202 ``{"resources": [{"id"}], "errors": []}``.
* Errors: ``{"errors": [{"code", "message"}]}``; 429 with ``X-RateLimit-RetryAfter``
  (a Unix time).

The action API has no idempotency key, so the host's status is read first and
nothing is sent when it is already (being) contained — or released. The API
client needs the Hosts read and write scopes. The target is ``host:<device id>``
(the 32-hex-digit agent id, AID).
"""

from __future__ import annotations

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
from affidavit.connectors.vendors._oauth import ClientCredentials
from affidavit.connectors.vendors._reply import UpstreamError
from affidavit.connectors.vendors._settings import Field, VendorSettings, VendorSpec

__all__ = ["NAME", "SPEC", "FalconConnector", "create"]

NAME = "falcon"
SPEC = VendorSpec(
    connector=NAME,
    title="CrowdStrike Falcon",
    fields=(
        Field("client_id", required=True),
        Field("api_url", kind="url", default="https://api.crowdstrike.com"),
        Field(
            "member_cid",
            pattern=re.compile(r"[0-9a-fA-F]{32}(-[0-9a-fA-F]{2})?"),
            rule="a customer id (32 hexadecimal digits)",
        ),
    ),
    credentials=("client_secret",),
)
_DEVICE_ID = re.compile(r"[0-9a-f]{32}")
_DEVICE_RULE = "a Falcon device id (AID) is 32 lowercase hexadecimal digits"
_CONTAINED = frozenset({"contained", "containment_pending"})
_RELEASED = frozenset({"normal", "lift_containment_pending"})


class FalconConnector(VendorConnector):
    name = NAME
    spec = SPEC
    title = SPEC.title
    reset_headers = ("X-RateLimit-RetryAfter",)

    def _declare(self) -> None:
        self._register("isolate_host", ["host"], self._contain)
        self._register("release_host", ["host"], self._lift)

    def _setup(self, settings: VendorSettings) -> None:
        self._api = settings.require("api_url")
        form = {
            "client_id": settings.require("client_id"),
            "client_secret": self._credentials["client_secret"],
        }
        member = settings.get("member_cid")
        if member is not None:
            form["member_cid"] = member
        self._auth = ClientCredentials(self.http, f"{self._api}/oauth2/token", form)

    @staticmethod
    def read_error(body: Any) -> tuple[str | None, str | None]:
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = errors[0].get("code")
            return (str(code) if code is not None else None), errors[0].get("message")
        return None, None

    def _contain(self, request: ActionRequest) -> Plan:
        return self._plan(request, "contain")

    def _lift(self, request: ActionRequest) -> Plan:
        return self._plan(request, "lift_containment")

    def _plan(self, request: ActionRequest, verb: str) -> Plan:
        device = path_id(request.target_id, "device id", _DEVICE_ID, _DEVICE_RULE)
        # Falcon's action takes no comment; a given one is kept in the result only.
        comment = optional_text(request.params, "comment", max_len=1000)
        done = _CONTAINED if verb == "contain" else _RELEASED
        previous: dict[str, Any] = {}

        def check() -> ActionResult | None:
            status = self._status(device)
            previous.setdefault("status", status)
            if status in done:
                return succeeded(
                    {
                        "device": device,
                        "status": status,
                        "changed": False,
                        "previous": {"status": previous["status"]},
                    },
                    device,
                )
            return None

        def act() -> ActionResult:
            reply = self.http.request(
                "POST",
                f"{self._api}/devices/entities/devices-actions/v2",
                params={"action_name": verb},
                json_body={"ids": [device]},
                ok=(200, 202),
                auth=self._auth,
                replay_safe=False,
            )
            body = reply.obj(self.title)
            resources = body.get("resources")
            ids = (
                [r.get("id") for r in resources if isinstance(r, dict)]
                if isinstance(resources, list)
                else []
            )
            if device not in ids:
                raise garbage(self.title, f"the {verb} action without the device in its resources")
            detail: dict[str, Any] = {
                "device": device,
                "status": "containment_pending"
                if verb == "contain"
                else "lift_containment_pending",
                "changed": True,
                "previous": {"status": previous.get("status")},
            }
            if comment:
                detail["comment"] = comment
            return succeeded(detail, device)

        return lambda: self.once(check, act)

    def _status(self, device: str) -> str:
        reply = self.http.request(
            "GET",
            f"{self._api}/devices/entities/devices/v2",
            params={"ids": device},
            ok=(200,),
            auth=self._auth,
            replay_safe=True,
        )
        resources = reply.obj(self.title).get("resources")
        if not isinstance(resources, list):
            raise garbage(self.title, "device details without a resources list")
        for resource in resources:
            if isinstance(resource, dict) and resource.get("device_id") == device:
                status = vendor_text(resource.get("status"), 64)
                if status is None:
                    raise garbage(self.title, "device details without a status")
                return status.lower()
        raise UpstreamError(
            "not_found", f"{self.title} has no device {device}.", status=reply.status
        )


def create(context: ConnectorContext) -> FalconConnector:
    """Entry-point factory: the Falcon connector with the ``falcon`` settings, if any."""
    section = context.settings(NAME)
    settings = VendorSettings.parse(SPEC, section) if section is not None else None
    return FalconConnector(settings, context.db)
