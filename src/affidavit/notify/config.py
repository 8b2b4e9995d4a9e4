"""``AFFIDAVIT_HOME/notify.yaml``: who hears about what, through which channels.

```yaml
console_url: https://affidavit.example.org       # links go to {console_url}/proposals/{id}
channels:                                         # named channels (see channels.py)
  ir-slack: {type: slack, url_env: AFFIDAVIT_SLACK_IR_URL}
  managers: {type: teams, url_env: AFFIDAVIT_TEAMS_URL}
roles:                                            # per approver role
  approver:ir_lead:
    channels: [ir-slack]
    escalation: {to: approver:soc_manager, lead_time: 30m}
  approver:soc_manager:
    channels: [managers]
fallback: {channels: [managers]}                  # proposals whose roles have no entry
digest: {threshold: 10, window: 10m}              # more than 10 in 10 minutes: one digest
retry: {max_attempts: 8, backoff: 30s, max_backoff: 1h}
```

The file is checked completely when it is loaded; a mistake is a ConfigError
that names its place in the file, and the notifier does not start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from affidavit.errors import ConfigError
from affidavit.notify import _checks as check
from affidavit.notify._yaml import read_yaml
from affidavit.notify.channels import Channel, parse_channel

__all__ = [
    "NOTIFY_FILE",
    "DigestPolicy",
    "Escalation",
    "NotifyConfig",
    "RetryPolicy",
    "RoleRoute",
    "load_notify_config",
    "parse_notify_config",
]

NOTIFY_FILE = "notify.yaml"
FALLBACK = "fallback"
_TOP = frozenset({"console_url", "channels", "roles", FALLBACK, "digest", "retry"})
_ROLE_KEYS = frozenset({"channels", "escalation"})
_WEEK = 7 * 86400.0


@dataclass(frozen=True)
class Escalation:
    """Before a request expires undecided, tell role ``to`` (``lead_time_s`` ahead)."""

    to: str
    lead_time_s: float

    def __post_init__(self) -> None:
        check.text(self.to, "escalation.to", max_len=64)
        check.seconds(self.lead_time_s, "escalation.lead_time", low=0, high=_WEEK)


@dataclass(frozen=True)
class RoleRoute:
    role: str
    channels: tuple[str, ...]
    escalation: Escalation | None = None

    def __post_init__(self) -> None:
        where = f"roles.{self.role}" if self.role != FALLBACK else FALLBACK
        check.text(self.role, "a role name", max_len=64)
        if not isinstance(self.channels, tuple) or not self.channels:
            raise check.fail(f"{where}.channels", "must list at least one channel")
        if len(set(self.channels)) != len(self.channels):
            raise check.fail(f"{where}.channels", "lists a channel twice")


@dataclass(frozen=True)
class DigestPolicy:
    """More than ``threshold`` notifications for one channel within ``window_s``: a digest."""

    threshold: int = 10
    window_s: float = 600.0

    def __post_init__(self) -> None:
        check.integer(self.threshold, "digest.threshold", 1, 100_000)
        check.seconds(self.window_s, "digest.window", low=1, high=86400)


@dataclass(frozen=True)
class RetryPolicy:
    """A failed delivery waits ``backoff_s``, doubling up to ``max_backoff_s``, then gives up."""

    max_attempts: int = 8
    backoff_s: float = 30.0
    max_backoff_s: float = 3600.0

    def __post_init__(self) -> None:
        check.integer(self.max_attempts, "retry.max_attempts", 1, 1000)
        check.seconds(self.backoff_s, "retry.backoff", low=1, high=86400)
        check.seconds(self.max_backoff_s, "retry.max_backoff", low=self.backoff_s, high=_WEEK)

    def delay_s(self, attempts: int) -> float:
        """How long to wait after the ``attempts``-th failure."""
        return float(min(self.backoff_s * 2 ** min(attempts - 1, 40), self.max_backoff_s))


@dataclass(frozen=True)
class NotifyConfig:
    console_url: str
    channels: Mapping[str, Channel]
    roles: Mapping[str, RoleRoute]
    fallback: RoleRoute | None = None
    digest: DigestPolicy = field(default_factory=DigestPolicy)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        check.http_url(self.console_url, "console_url")
        object.__setattr__(self, "console_url", self.console_url.rstrip("/"))
        object.__setattr__(self, "channels", MappingProxyType(dict(self.channels)))
        object.__setattr__(self, "roles", MappingProxyType(dict(self.roles)))
        routes = [*self.roles.values(), *([self.fallback] if self.fallback else [])]
        if not routes:
            raise check.fail("roles", "configure at least one role (or a fallback)")
        known = ", ".join(sorted(self.channels)) or "none"
        for route in routes:
            where = f"roles.{route.role}" if route is not self.fallback else FALLBACK
            for i, name in enumerate(route.channels):
                if name not in self.channels:
                    raise check.fail(
                        f"{where}.channels[{i}]",
                        f"names no configured channel (configured: {known})",
                    )
            if route.escalation is not None and route.escalation.to not in self.roles:
                raise check.fail(f"{where}.escalation.to", "names no role configured under roles")

    def proposal_link(self, proposal_id: str) -> str:
        return f"{self.console_url}/proposals/{proposal_id}"

    def routes(self, roles: tuple[str, ...]) -> list[RoleRoute]:
        """The configured routes of ``roles``; the fallback when none of them has one."""
        found = [self.roles[r] for r in roles if r in self.roles]
        if not found and self.fallback is not None:
            found = [self.fallback]
        return found

    def find_route(self, role: str) -> RoleRoute | None:
        """The route of ``role`` (``fallback`` names the fallback), None if not configured."""
        return self.fallback if role == FALLBACK else self.roles.get(role)

    def route(self, role: str) -> RoleRoute:
        found = self.find_route(role)
        if found is None:
            configured = ", ".join(sorted(self.roles)) or "none"
            raise ConfigError(
                f"notify.yaml configures no such role (configured: {configured}, fallback)."
            )
        return found


def load_notify_config(home: Path, environ: Mapping[str, str] | None = None) -> NotifyConfig:
    """The checked ``notify.yaml`` of ``home``, secrets resolved from ``environ``."""
    path = home / NOTIFY_FILE
    if not path.exists():
        raise ConfigError(
            f"no {NOTIFY_FILE} in {home}: notifications need one (see docs/notifications.md)."
        )
    return parse_notify_config(read_yaml(path, "notification settings"), environ)


def parse_notify_config(document: object, environ: Mapping[str, str] | None = None) -> NotifyConfig:
    top = check.mapping(document, "the file", _TOP)
    if "console_url" not in top:
        raise check.fail("console_url", "is required: links point at the console's proposal page")
    channels_section = top.get("channels", {})
    if not isinstance(channels_section, Mapping):
        raise check.fail("channels", "must map channel names to their settings")
    channels = {str(name): parse_channel(name, s, environ) for name, s in channels_section.items()}
    roles_section = top.get("roles", {})
    if not isinstance(roles_section, Mapping):
        raise check.fail("roles", "must map approver role names to their channels")
    roles = {}
    for role, section in roles_section.items():
        check.text(role, "roles: a role name", max_len=64)
        if role == FALLBACK:
            raise check.fail(f"roles.{role}", "is reserved: configure it at the top level")
        roles[role] = _route(role, section, f"roles.{role}")
    fallback = _route(FALLBACK, top[FALLBACK], FALLBACK) if FALLBACK in top else None
    digest = check.mapping(top.get("digest", {}), "digest", frozenset({"threshold", "window"}))
    retry = check.mapping(
        top.get("retry", {}), "retry", frozenset({"max_attempts", "backoff", "max_backoff"})
    )
    return NotifyConfig(
        console_url=check.http_url(top["console_url"], "console_url"),
        channels=channels,
        roles=roles,
        fallback=fallback,
        digest=DigestPolicy(
            threshold=check.integer(digest.get("threshold", 10), "digest.threshold", 1, 100_000),
            window_s=check.seconds(digest.get("window", 600), "digest.window", low=1, high=86400),
        ),
        retry=_retry(retry),
    )


def _route(role: str, section: object, where: str) -> RoleRoute:
    section = check.mapping(section, where, _ROLE_KEYS)
    names = section.get("channels")
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise check.fail(f"{where}.channels", "must be a list of channel names")
    escalation = None
    if "escalation" in section:
        e = check.mapping(
            section["escalation"], f"{where}.escalation", frozenset({"to", "lead_time"})
        )
        if "to" not in e or "lead_time" not in e:
            raise check.fail(f"{where}.escalation", "needs to (a role) and lead_time (e.g. 30m)")
        escalation = Escalation(
            to=check.text(e["to"], f"{where}.escalation.to", max_len=64),
            lead_time_s=check.seconds(
                e["lead_time"], f"{where}.escalation.lead_time", low=0, high=_WEEK
            ),
        )
    return RoleRoute(role=role, channels=tuple(names), escalation=escalation)


def _retry(section: Mapping[str, object]) -> RetryPolicy:
    backoff = check.seconds(section.get("backoff", 30), "retry.backoff", low=1, high=86400)
    return RetryPolicy(
        max_attempts=check.integer(section.get("max_attempts", 8), "retry.max_attempts", 1, 1000),
        backoff_s=backoff,
        max_backoff_s=check.seconds(
            section.get("max_backoff", max(3600.0, backoff)),
            "retry.max_backoff",
            low=backoff,
            high=_WEEK,
        ),
    )
