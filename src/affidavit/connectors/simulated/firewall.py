"""A simulated firewall: block an IP address or a domain until a rule expires.

Every block is a new row in ``sim_firewall_rules`` with its expiry
(``created_at + ttl_seconds``; one day when ``block_ip`` names no TTL, never
forever). The result names the rule and lists how many rules for the same
value were already active, so a reversal removes only its own rule.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select

from affidavit.connectors._checks import optional_bool, optional_text, preview, utc_iso
from affidavit.connectors._tables import sim_firewall_rules
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.simulated._base import SimulatedConnector, new_row_id, succeeded
from affidavit.connectors.simulated._values import domain_name, ip_address, ttl_seconds
from affidavit.errors import InputError
from affidavit.store.engine import Database

__all__ = ["SimulatedFirewall", "create"]

_R = sim_firewall_rules
_DIRECTIONS = ("inbound", "outbound", "both")


class SimulatedFirewall(SimulatedConnector):
    name = "firewall"

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self._register("block_ip", ["ip"], self._block_ip)
        self._register("block_domain", ["domain"], self._block_domain)

    def _block_ip(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        address = ip_address(request.target_id)
        ttl = ttl_seconds(request, required=False)
        direction = request.params.get("direction", "both")
        if direction not in _DIRECTIONS:
            raise InputError(
                f"parameter direction must be inbound, outbound or both, not {preview(direction)}."
            )
        values = {"kind": "ip", "value": address, "direction": direction}
        return self._add_rule(conn, request, now, ttl, values)

    def _block_domain(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        domain = domain_name(request.target_id)
        ttl = ttl_seconds(request, required=True)
        subdomains = optional_bool(request.params, "include_subdomains") or False
        values = {"kind": "domain", "value": domain, "include_subdomains": subdomains}
        return self._add_rule(conn, request, now, ttl, values)

    def _add_rule(
        self,
        conn: Connection,
        request: ActionRequest,
        now: float,
        ttl: int,
        values: dict[str, Any],
    ) -> ActionResult:
        comment = optional_text(request.params, "comment", max_len=1000)
        created, expires = utc_iso(now), utc_iso(now + ttl)
        active = conn.execute(
            select(func.count(), func.max(_R.c.expires_at)).where(
                _R.c.kind == values["kind"],
                _R.c.value == values["value"],
                _R.c.expires_at > created,
            )
        ).one()
        inserted = conn.execute(
            insert(_R).values(
                execution_id=request.execution_id,
                comment=comment,
                created_at=created,
                expires_at=expires,
                **values,
            )
        )
        rule_id = f"fw-rule-{new_row_id(inserted)}"
        return succeeded(
            {
                "rule": rule_id,
                **values,
                "ttl_seconds": ttl,
                "expires_at": expires,
                "previous": {"active_rules": active[0], "latest_expiry": active[1]},
            },
            external_ref=rule_id,
        )


def create(context: ConnectorContext) -> SimulatedFirewall:
    """Entry-point factory."""
    return SimulatedFirewall(context.db)
