"""A simulated identity provider: disable accounts, revoke sessions, force resets, user context.

State lives in ``sim_idp_accounts``. A user first seen gets a stable number of
active sessions derived from their id, so "sessions revoked" is a real count
that a second revocation brings to zero.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from affidavit.connectors._checks import optional_bool, optional_int, optional_text, utc_iso
from affidavit.connectors._tables import sim_idp_accounts
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.simulated._base import SimulatedConnector, succeeded
from affidavit.connectors.simulated._values import digest_int, object_id
from affidavit.store.engine import Database

__all__ = ["SimulatedIdP", "create"]

_A = sim_idp_accounts
_GROUPS = ("All Staff", "VPN Users", "Finance", "Engineering", "Domain Admins", "Sales", "HR")
_DEFAULT_SIGN_IN_DAYS = 7


def _initial_sessions(user: str) -> int:
    return 1 + digest_int("sessions", user) % 6


class SimulatedIdP(SimulatedConnector):
    name = "idp"

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self._register("disable_account", ["user"], self._disable_account)
        self._register("revoke_sessions", ["user"], self._revoke_sessions)
        self._register("force_password_reset", ["user"], self._force_password_reset)
        self._register("lookup_user_context", ["user"], self._lookup_user_context)

    def _account(self, conn: Connection, user: str, now: float) -> Any:
        row = conn.execute(select(_A).where(_A.c.user_id == user)).one_or_none()
        if row is None:
            conn.execute(
                insert(_A).values(
                    user_id=user,
                    disabled=False,
                    active_sessions=_initial_sessions(user),
                    password_reset_required=False,
                    updated_at=utc_iso(now),
                )
            )
            row = conn.execute(select(_A).where(_A.c.user_id == user)).one()
        return row

    def _update(self, conn: Connection, user: str, now: float, **values: Any) -> None:
        conn.execute(
            update(_A).where(_A.c.user_id == user).values(updated_at=utc_iso(now), **values)
        )

    def _disable_account(
        self, conn: Connection, request: ActionRequest, now: float
    ) -> ActionResult:
        user = object_id(request.target_id, "user id")
        comment = optional_text(request.params, "comment", max_len=1000)
        row = self._account(conn, user, now)
        previous = {
            "disabled": row.disabled,
            "disabled_by": row.disabled_by,
            "disabled_at": row.disabled_at,
        }
        if not row.disabled:
            self._update(
                conn,
                user,
                now,
                disabled=True,
                disabled_at=utc_iso(now),
                disabled_by=request.execution_id,
                disable_comment=comment,
            )
        return succeeded(
            {"user": user, "disabled": True, "changed": not row.disabled, "previous": previous}
        )

    def _revoke_sessions(
        self, conn: Connection, request: ActionRequest, now: float
    ) -> ActionResult:
        user = object_id(request.target_id, "user id")
        optional_text(request.params, "comment", max_len=1000)
        row = self._account(conn, user, now)
        count = row.active_sessions
        self._update(
            conn,
            user,
            now,
            active_sessions=0,
            sessions_revoked=count,
            sessions_revoked_at=utc_iso(now),
            sessions_revoked_by=request.execution_id,
        )
        return succeeded(
            {
                "user": user,
                "sessions_revoked": count,
                "changed": count > 0,
                "previous": {"active_sessions": count},
            }
        )

    def _force_password_reset(
        self, conn: Connection, request: ActionRequest, now: float
    ) -> ActionResult:
        user = object_id(request.target_id, "user id")
        notify = optional_bool(request.params, "notify_user") or False
        row = self._account(conn, user, now)
        previous = {
            "password_reset_required": row.password_reset_required,
            "password_reset_by": row.password_reset_by,
        }
        self._update(
            conn,
            user,
            now,
            password_reset_required=True,
            password_reset_at=utc_iso(now),
            password_reset_by=request.execution_id,
        )
        return succeeded(
            {
                "user": user,
                "password_reset_required": True,
                "user_notified": notify,
                "changed": not row.password_reset_required,
                "previous": previous,
            }
        )

    def _lookup_user_context(
        self, conn: Connection, request: ActionRequest, now: float
    ) -> ActionResult:
        user = object_id(request.target_id, "user id")
        days = optional_int(request.params, "sign_in_days", low=1, high=90) or _DEFAULT_SIGN_IN_DAYS
        row = conn.execute(select(_A).where(_A.c.user_id == user)).one_or_none()
        seed = digest_int("idp", user)
        groups = sorted({_GROUPS[0], _GROUPS[1 + seed % (len(_GROUPS) - 1)]})
        return succeeded(
            {
                "user": user,
                "groups": groups,
                "mfa_enrolled": seed % 4 != 0,
                "sign_in_days": days,
                "sign_ins": days * (1 + seed % 9),
                "failed_sign_ins": (seed >> 8) % (2 * days + 1),
                "disabled": bool(row.disabled) if row else False,
                "active_sessions": row.active_sessions if row else _initial_sessions(user),
                "changed": False,
            }
        )


def create(context: ConnectorContext) -> SimulatedIdP:
    """Entry-point factory."""
    return SimulatedIdP(context.db)
