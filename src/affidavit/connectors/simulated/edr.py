"""A simulated EDR: host isolation, file quarantine, process kills, wipes, host context.

State lives in ``sim_edr_*`` tables. Each result carries the state before the
action under ``previous``, and every changed row names the execution that
changed it, so a later reversal (release, restore) knows what to undo.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from sqlalchemy import Connection, insert, select, update

from affidavit import canonical
from affidavit.connectors._checks import (
    optional_bool,
    optional_int,
    optional_text,
    optional_text_list,
    preview,
    utc_iso,
)
from affidavit.connectors._tables import (
    sim_edr_hosts,
    sim_edr_killed_processes,
    sim_edr_quarantine,
)
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.simulated._base import SimulatedConnector, succeeded
from affidavit.connectors.simulated._values import digest_int, file_hash, object_id
from affidavit.errors import InputError
from affidavit.store.engine import Database

__all__ = ["SimulatedEDR", "create"]

_HOSTS = sim_edr_hosts
_ALL_HOSTS = "*"
_OS = ("Windows 11 23H2", "Windows 10 22H2", "Windows Server 2022", "Ubuntu 22.04", "macOS 14")
_IMAGES = ("explorer.exe", "svchost.exe", "chrome.exe", "outlook.exe", "powershell.exe", "python3")
_MAX_PID = 4_294_967_295
_SHA256 = re.compile(r"[0-9a-f]{64}")


class SimulatedEDR(SimulatedConnector):
    name = "edr"

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self._register("isolate_host", ["host"], self._isolate_host)
        self._register("quarantine_file", ["file"], self._quarantine_file)
        self._register("kill_process", ["host"], self._kill_process)
        self._register("wipe_host", ["host"], self._wipe_host)
        self._register("lookup_host_context", ["host"], self._lookup_host_context)

    def _host(self, conn: Connection, host: str, now: float) -> Any:
        row = conn.execute(select(_HOSTS).where(_HOSTS.c.host_id == host)).one_or_none()
        if row is None:
            conn.execute(
                insert(_HOSTS).values(host_id=host, isolated=False, updated_at=utc_iso(now))
            )
            row = conn.execute(select(_HOSTS).where(_HOSTS.c.host_id == host)).one()
        return row

    def _isolate_host(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        host = object_id(request.target_id, "host id")
        comment = optional_text(request.params, "comment", max_len=1000)
        allow = optional_text_list(request.params, "allow_ips", max_items=32, max_len=15) or []
        for ip in allow:
            try:
                ipaddress.IPv4Address(ip)
            except ValueError:
                raise InputError(f"allow_ips entry {preview(ip)} is not an IPv4 address.") from None
        row = self._host(conn, host, now)
        previous = {
            "isolated": row.isolated,
            "isolated_by": row.isolated_by,
            "isolated_at": row.isolated_at,
        }
        if not row.isolated:
            conn.execute(
                update(_HOSTS)
                .where(_HOSTS.c.host_id == host)
                .values(
                    isolated=True,
                    isolated_at=utc_iso(now),
                    isolated_by=request.execution_id,
                    isolation_comment=comment,
                    isolation_allow_ips=canonical.encode(allow).decode(),
                    updated_at=utc_iso(now),
                )
            )
        return succeeded(
            {
                "host": host,
                "isolated": True,
                "changed": not row.isolated,
                "allow_ips": allow,
                "previous": previous,
            }
        )

    def _quarantine_file(
        self, conn: Connection, request: ActionRequest, now: float
    ) -> ActionResult:
        sha = file_hash(request.target_id)
        listed = optional_text_list(request.params, "hosts", max_items=1000, max_len=255)
        if listed is not None and not listed:
            raise InputError("parameter hosts must list at least one host when it is given.")
        hosts = listed or [_ALL_HOSTS]
        q = sim_edr_quarantine
        already = set(
            conn.execute(
                select(q.c.host_id).where(q.c.file_sha == sha, q.c.host_id.in_(hosts))
            ).scalars()
        )
        new = [h for h in hosts if h not in already]
        if new:
            conn.execute(
                insert(q),
                [
                    {
                        "file_sha": sha,
                        "host_id": h,
                        "quarantined_at": utc_iso(now),
                        "quarantined_by": request.execution_id,
                    }
                    for h in new
                ],
            )
        return succeeded(
            {
                "file": sha,
                "scope": "listed_hosts" if listed else "all_hosts",
                "hosts_quarantined": len(new),
                "already_quarantined": len(already),
                "changed": bool(new),
            }
        )

    def _kill_process(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        host = object_id(request.target_id, "host id")
        pid = optional_int(request.params, "pid", low=1, high=_MAX_PID)
        if pid is None:
            raise InputError("kill_process needs the parameter pid.")
        image = optional_text(request.params, "image_sha256", max_len=64)
        if image is not None and _SHA256.fullmatch(image) is None:
            raise InputError(f"image_sha256 {preview(image)} is not a lowercase hex SHA-256.")
        k = sim_edr_killed_processes
        before = conn.execute(
            select(k.c.execution_id, k.c.killed_at)
            .where(k.c.host_id == host, k.c.pid == pid)
            .order_by(k.c.killed_at.desc())
            .limit(1)
        ).one_or_none()
        conn.execute(
            insert(k).values(
                execution_id=request.execution_id,
                host_id=host,
                pid=pid,
                image_sha256=image,
                killed_at=utc_iso(now),
            )
        )
        previous = {"killed_by": before.execution_id if before else None}
        return succeeded({"host": host, "pid": pid, "killed": True, "previous": previous})

    def _wipe_host(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        host = object_id(request.target_id, "host id")
        optional_text(request.params, "comment", max_len=1000)
        row = self._host(conn, host, now)
        previous = {"isolated": row.isolated, "wiped_at": row.wiped_at, "wiped_by": row.wiped_by}
        conn.execute(
            update(_HOSTS)
            .where(_HOSTS.c.host_id == host)
            .values(wiped_at=utc_iso(now), wiped_by=request.execution_id, updated_at=utc_iso(now))
        )
        return succeeded({"host": host, "wiped": True, "previous": previous})

    def _lookup_host_context(
        self, conn: Connection, request: ActionRequest, now: float
    ) -> ActionResult:
        host = object_id(request.target_id, "host id")
        with_processes = optional_bool(request.params, "include_processes") or False
        row = conn.execute(select(_HOSTS).where(_HOSTS.c.host_id == host)).one_or_none()
        seed = digest_int("edr", host)
        detail: dict[str, Any] = {
            "host": host,
            "os": _OS[seed % len(_OS)],
            "last_seen": utc_iso(now - seed % 3600),
            "open_alerts": seed % 5,
            "isolated": bool(row.isolated) if row else False,
            "wiped_at": row.wiped_at if row else None,
            "changed": False,
        }
        if with_processes:
            detail["processes"] = [
                {"pid": 1000 + digest_int("pid", host, str(i)) % 60000, "image": image}
                for i, image in enumerate(_IMAGES[: 3 + seed % 3])
            ]
        return succeeded(detail)


def create(context: ConnectorContext) -> SimulatedEDR:
    """Entry-point factory."""
    return SimulatedEDR(context.db)
