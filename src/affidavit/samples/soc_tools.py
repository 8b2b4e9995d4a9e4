"""The demo's SOC tools as an MCP server (official MCP SDK): lookups and containment.

Nothing here touches a real system: the answers are made up from the arguments,
and they carry an owner's e-mail address so the demo shows results being
treated before an agent sees them. ``python -m affidavit.samples.soc_tools``
serves them on stdio (an upstream for ``affidavit gateway mcp``).
"""

from __future__ import annotations

import hashlib

from mcp.server import MCPServer

__all__ = ["MAPPING", "create_soc_tools"]

# How the demo's gateway maps these tools to catalog actions (see docs/gateways.md).
MAPPING = """\
unmapped: deny
tools:
  lookup_ip:
    action: enrich_ip_reputation
    target: "ip:{ip}"
  lookup_host:
    action: lookup_host_context
    target: "host:{hostname}"
  isolate_host:
    action: isolate_host
    target: "host:{hostname}"
    params: {comment: "{reason}"}
    rationale: "{reason}"
    confidence: "{confidence}"
  disable_account:
    action: disable_account
    target: "user:{user}"
    params: {comment: "{reason}"}
    rationale: "{reason}"
  block_ip:
    action: block_ip
    target: "ip:{ip}"
    params: {comment: "{reason}"}
    rationale: "{reason}"
  wipe_host:
    action: wipe_host
    target: "host:{hostname}"
"""


def _score(value: str) -> int:
    return int(hashlib.sha256(value.encode()).hexdigest()[:2], 16) * 100 // 255


def create_soc_tools() -> MCPServer:
    server = MCPServer("soc-tools", log_level="WARNING")  # INFO would log every request

    @server.tool()
    def lookup_ip(ip: str) -> str:
        """Threat-intelligence reputation of an IP address."""
        return (
            f"{ip}: reputation {_score(ip)}/100, seen in 3 feeds, ASN 64500; "
            "abuse contact noc-team@isp.example"
        )

    @server.tool()
    def lookup_host(hostname: str) -> str:
        """The EDR's record of a host."""
        return f"{hostname}: online, sensor healthy; owner it-ops@corp.example"

    @server.tool()
    def isolate_host(hostname: str, reason: str = "", confidence: float = 0.9) -> str:
        """Cut a host off the network (the EDR channel stays open)."""
        return f"{hostname} isolated"

    @server.tool()
    def disable_account(user: str, reason: str = "") -> str:
        """Disable an account in the identity provider."""
        return f"account {user} disabled"

    @server.tool()
    def block_ip(ip: str, reason: str = "") -> str:
        """Block an address at the firewall."""
        return f"{ip} blocked for 24 h"

    @server.tool()
    def wipe_host(hostname: str) -> str:
        """Erase a host and reinstall it."""
        return f"{hostname} wiped"

    return server


if __name__ == "__main__":
    create_soc_tools().run()
