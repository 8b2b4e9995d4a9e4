"""``$AFFIDAVIT_HOME/export.yaml``: where ledger events go, and how hard to try.

```yaml
batch_size: 500            # ledger entries per delivery
poll_interval_s: 5         # `export run` without --once: pause when caught up
retry:
  attempts: 5              # tries per batch before a sink is reported failing
  initial_backoff_s: 1     # doubles on each further try ...
  max_backoff_s: 300       # ... up to this
mask: [secret, credential] # data classes masked in exported text
sinks:
  siem:                    # a name of your choice: its cursor file is export/siem.json
    type: http             # OCSF events as JSON lines, one POST per batch
    url: https://siem.example/affidavit
    token_env: SIEM_TOKEN  # sent as "Authorization: Bearer <token>" (or secrets_file)
  syslog:
    type: syslog           # OCSF events in RFC 5424 messages
    transport: tcp         # tcp (RFC 6587 octet counting) or udp (RFC 5426)
    host: 127.0.0.1
    port: 6514
  traces:
    type: otlp             # OpenTelemetry spans, OTLP/HTTP protobuf
    endpoint: http://127.0.0.1:4318/v1/traces
```

Every sink also takes ``types`` (the ledger entry types it exports; the
default depends on its type) and ``timeout_s``. Credentials follow the rules
of :mod:`affidavit.connectors.credentials`: ``token_env`` or ``secrets_file``,
never inline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from affidavit.errors import ConfigError
from affidavit.export._values import number, whole_number
from affidavit.export.sink_config import DECISION_TYPES, SinkConfig, parse_sink
from affidavit.protect import DataClass

__all__ = [
    "DECISION_TYPES",
    "EXPORT_FILE",
    "MAX_EXPORT_CONFIG_BYTES",
    "ExportConfig",
    "RetryPolicy",
    "SinkConfig",
    "load_export_config",
]

EXPORT_FILE = "export.yaml"
MAX_EXPORT_CONFIG_BYTES = 1 << 20

_TOP = frozenset({"batch_size", "poll_interval_s", "retry", "mask", "sinks"})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_backoff_s: float = 1.0
    max_backoff_s: float = 300.0

    def backoff(self, failures: int) -> float:
        """The wait after ``failures`` failed tries in a row (1, 2, 4, ... up to the cap)."""
        if failures <= 0:
            return 0.0
        return float(min(self.max_backoff_s, self.initial_backoff_s * 2 ** (failures - 1)))


@dataclass(frozen=True)
class ExportConfig:
    sinks: tuple[SinkConfig, ...] = ()
    batch_size: int = 500
    poll_interval_s: float = 5.0
    retry: RetryPolicy = RetryPolicy()
    mask: frozenset[DataClass] = frozenset({DataClass.SECRET, DataClass.CREDENTIAL})

    def sink(self, name: str) -> SinkConfig:
        for sink in self.sinks:
            if sink.name == name:
                return sink
        known = ", ".join(s.name for s in self.sinks) or "none"
        raise ConfigError(f"export.yaml has no sink named {name!r}; its sinks are {known}.")

    @classmethod
    def parse(cls, data: object, source: str = "export settings") -> ExportConfig:
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source} must be a mapping with a sinks section.")
        unknown = sorted(str(k) for k in data if k not in _TOP)
        if unknown:
            raise ConfigError(
                f"{source}: unknown setting {', '.join(map(repr, unknown))}; "
                f"known settings are {', '.join(sorted(_TOP))}."
            )
        sinks_data = data.get("sinks") or {}
        if not isinstance(sinks_data, Mapping):
            raise ConfigError(f"{source}: sinks must map sink names to their settings.")
        sinks = tuple(parse_sink(name, section, source) for name, section in sinks_data.items())
        return cls(
            sinks=sinks,
            batch_size=whole_number(data, "batch_size", 500, 1, 100_000, source),
            poll_interval_s=number(data, "poll_interval_s", 5.0, 0.01, 3600.0, source),
            retry=_retry(data.get("retry"), source),
            mask=_mask(data.get("mask", ["secret", "credential"]), source),
        )


def _retry(data: object, source: str) -> RetryPolicy:
    if data is None:
        return RetryPolicy()
    if not isinstance(data, Mapping) or set(data) - {
        "attempts",
        "initial_backoff_s",
        "max_backoff_s",
    }:
        raise ConfigError(f"{source}: retry takes attempts, initial_backoff_s and max_backoff_s.")
    where = f"{source} retry"
    return RetryPolicy(
        attempts=whole_number(data, "attempts", 5, 1, 100, where),
        initial_backoff_s=number(data, "initial_backoff_s", 1.0, 0.0, 3600.0, where),
        max_backoff_s=number(data, "max_backoff_s", 300.0, 0.0, 86400.0, where),
    )


def _mask(data: object, source: str) -> frozenset[DataClass]:
    known = {c.value: c for c in DataClass}
    if not isinstance(data, list) or not all(isinstance(v, str) and v in known for v in data):
        raise ConfigError(f"{source}: mask is a list of data classes from {', '.join(known)}.")
    return frozenset(known[v] for v in data)


def load_export_config(path: Path) -> ExportConfig:
    """The export settings at ``path``; no file means no sinks."""
    path = Path(path)
    if not path.exists():
        return ExportConfig()
    try:
        size = path.stat().st_size
        if size > MAX_EXPORT_CONFIG_BYTES:
            raise ConfigError(f"{path} is {size} bytes; the limit is {MAX_EXPORT_CONFIG_BYTES}.")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text.") from None
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(f"{path} is nested too deeply to be settings.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path} is not valid YAML{where}.") from None
    return ExportConfig.parse(data, source=str(path))
