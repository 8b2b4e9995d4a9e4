"""What every vendor connector shares: dispatch, the execution record, failures as results.

An execution runs in three steps. *Prepare* checks the request (target id,
parameters) and raises InputError before anything is recorded. The execution
id is then *claimed* in the database, so one Affidavit never runs it twice at
once. Finally the *plan* talks to the vendor: it looks at the vendor's state
first (is the machine already isolated, is there already a ticket carrying
this execution id) and acts only if needed, so an execution resumed after a
crash, or a request retried after a timeout, never acts twice.

Anything that goes wrong at the vendor — refused, down, rate limited past
``max_wait_s``, garbage, too slow — becomes a ``failed`` result that says why,
in words free of credentials. The connector never raises for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from affidavit.connectors import _executions
from affidavit.connectors._checks import check_pattern
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.vendors._http import Upstream
from affidavit.connectors.vendors._reply import Ambiguous, UpstreamError
from affidavit.connectors.vendors._settings import VendorSettings, VendorSpec
from affidavit.errors import ConfigError, InputError
from affidavit.store.engine import Database

__all__ = [
    "Plan",
    "VendorConnector",
    "execution_marker",
    "garbage",
    "path_id",
    "succeeded",
    "vendor_text",
]

Plan = Callable[[], ActionResult]
Prepare = Callable[[ActionRequest], Plan]
_MARKER_PREFIX = "affidavit-execution:"


def execution_marker(execution_id: str) -> str:
    """The text that ties a vendor object (comment, ticket, action) to one execution."""
    return f"{_MARKER_PREFIX}{execution_id}"


def path_id(value: str, what: str, pattern: Any, rule: str) -> str:
    """A target id that goes into a URL path: checked against the vendor's id syntax."""
    return check_pattern(value, what, pattern, rule)


class VendorConnector:
    """A connector for one vendor's REST API; subclasses register actions and build plans."""

    name: str = ""
    spec: VendorSpec
    title: str = ""
    reset_headers: tuple[str, ...] = ()

    def __init__(
        self,
        settings: VendorSettings | None,
        db: Database,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._db = db
        self._clock = clock
        self._log = logging.getLogger(f"affidavit.connectors.{self.name}")
        self._actions: dict[str, tuple[frozenset[str], Prepare]] = {}
        self._credentials: dict[str, str] = {}
        self._http: Upstream | None = None
        self._declare()
        if settings is not None:
            self._credentials = settings.resolve(environ)
            self._http = Upstream(
                self.title,
                settings,
                error_reader=self.read_error,
                secrets=self._credentials.values(),
                reset_headers=self.reset_headers,
                sleep=sleep,
                clock=clock,
                logger=self._log,
            )
            self._setup(settings)

    # ---- for subclasses -------------------------------------------------------

    def _declare(self) -> None:
        """Register the actions (configured or not, so errors name what it runs)."""

    def _setup(self, settings: VendorSettings) -> None:
        """Build the auth objects once the credentials are known."""

    @staticmethod
    def read_error(body: Any) -> tuple[str | None, str | None]:
        """The vendor's error code and message from an error body."""
        return None, None

    def _register(self, action: str, kinds: Collection[str], prepare: Prepare) -> None:
        self._actions[action] = (frozenset(kinds), prepare)

    @property
    def http(self) -> Upstream:
        assert self._http is not None, "plans run only when the connector is configured"
        return self._http

    @property
    def settings(self) -> VendorSettings:
        assert self._settings is not None
        return self._settings

    def once(self, check: Callable[[], ActionResult | None], act: Plan) -> ActionResult:
        """Look, then act if needed; after an ambiguous failure, look again before acting again."""
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            found = check()
            if found is not None:
                return found
            try:
                return act()
            except Ambiguous as exc:
                if attempt == attempts:
                    raise
                self._log.warning(
                    "%s: %s; checking the state before try %d", self.title, exc.message, attempt + 1
                )
                self.http.pause(self.http.backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- the Connector interface ---------------------------------------------

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(self._actions)

    def target_kinds(self, action: str) -> frozenset[str]:
        return self._actions[action][0]

    def execute(self, request: ActionRequest) -> ActionResult:
        if not isinstance(request, ActionRequest):
            raise InputError(f"execute takes an ActionRequest, not {type(request).__name__}.")
        entry = self._actions.get(request.action)
        if entry is None:
            raise InputError(
                f"connector {self.name} cannot run action {request.action}; "
                f"it runs {', '.join(sorted(self._actions))}."
            )
        kinds, prepare = entry
        if request.target_kind not in kinds:
            raise InputError(
                f"action {request.action} applies to {', '.join(sorted(kinds))} targets "
                f"through connector {self.name}, not {request.target_kind}."
            )
        if self._settings is None or self._http is None:
            raise ConfigError(
                f"the {self.name} connector ({self.title}) is not configured: add a {self.name} "
                "section to connectors.yaml in AFFIDAVIT_HOME (docs/connectors.md)."
            )
        plan = prepare(request)
        settings = self._settings
        # A claim older than every retry could take belongs to a process that died mid-call.
        lease = settings.max_attempts * (2 * settings.timeout_s + settings.max_wait_s) + 60.0
        stored = _executions.claim(
            self._db, self.name, request, self._clock(), resume_after_s=lease
        )
        if stored is not None:
            return stored
        result = self._run(plan)
        _executions.finish(self._db, self.name, request.execution_id, result, self._clock())
        return result

    def _run(self, plan: Plan) -> ActionResult:
        try:
            with self.http.session():
                return plan()
        except UpstreamError as exc:
            return ActionResult("failed", exc.detail())
        except Exception as exc:  # a vendor answer we did not foresee must not strand the claim
            message = self.http.scrub(f"{type(exc).__name__}: {exc}")
            self._log.error("%s: unexpected failure: %s", self.title, message)
            return ActionResult(
                "failed",
                {
                    "error": f"unexpected failure talking to {self.title}: {message}",
                    "error_kind": "internal",
                },
            )


def vendor_text(value: object, limit: int = 256) -> str | None:
    """A short printable string from a vendor answer, or None: what is safe to record."""
    if isinstance(value, str) and value and len(value) <= limit and value.isprintable():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def garbage(title: str, what: str) -> UpstreamError:
    """The vendor answered well-formed JSON of the wrong shape."""
    return UpstreamError("garbage", f"{title} answered {what}.")


def succeeded(detail: Mapping[str, Any], external_ref: str | None = None) -> ActionResult:
    return ActionResult("succeeded", dict(detail), external_ref)
