"""A small SOC-tool MCP server for the gateway tests (official MCP SDK, stdio or
streamable HTTP). Each call is appended to the log file named by SOC_MCP_LOG, so a
test sees exactly what reached the tool.

    python soc_mcp_server.py            # stdio
    python soc_mcp_server.py http PORT  # streamable HTTP on 127.0.0.1:PORT/mcp
"""

from __future__ import annotations

import json
import os
import sys
import time

from mcp.server import MCPServer

server = MCPServer("soc-tools", log_level="WARNING")
AWS_KEY = "AKIAQ3EGRQ7HZ2XNV5PL"


def _log(tool: str, arguments: dict[str, object]) -> None:
    path = os.environ.get("SOC_MCP_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"tool": tool, "arguments": arguments}) + "\n")


@server.tool()
def isolate_host(hostname: str, reason: str = "", confidence: float = 0.9) -> str:
    """Isolate a host from the network through the EDR."""
    _log("isolate_host", {"hostname": hostname, "reason": reason, "confidence": confidence})
    return f"host {hostname} isolated"


@server.tool()
def lookup_ip(ip: str) -> str:
    """Reputation of an IP address."""
    _log("lookup_ip", {"ip": ip})
    return f"{ip}: malicious (score 97), ASN 64500; contact abuse@example-isp.net, key {AWS_KEY}"


@server.tool()
def wipe_host(hostname: str) -> str:
    """Erase a host."""
    _log("wipe_host", {"hostname": hostname})
    return f"host {hostname} wiped"


@server.tool()
def whoami() -> str:
    """An unmapped tool."""
    _log("whoami", {})
    return "soc-tools"


@server.tool()
def crash(ip: str) -> str:
    """Dies in the middle of the call, as a broken tool server does."""
    _log("crash", {"ip": ip})
    os._exit(3)


@server.tool()
def stall(ip: str) -> str:
    """Never answers in time."""
    _log("stall", {"ip": ip})
    time.sleep(30)
    return "late"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
