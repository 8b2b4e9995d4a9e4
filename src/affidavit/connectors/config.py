"""Reading ``$AFFIDAVIT_HOME/connectors.yaml``: each connector's settings, checked.

The file maps connector names to their settings::

    webhook:
      url: https://soar.example/affidavit/actions
      secret_env: AFFIDAVIT_WEBHOOK_SECRET
    edr: {}

Names must be connectors that exist (built-in or plugin); built-in sections
are checked key by key, a plugin checks its own when it is created. A missing
file means no settings: the simulated connectors need none, and the webhook
connector stays unconfigured (it refuses to run until it is configured).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from affidavit.connectors.registry import check_connector_config
from affidavit.errors import ConfigError

__all__ = ["MAX_CONFIG_BYTES", "load_connector_config"]

MAX_CONFIG_BYTES = 1 << 20


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice, instead of keeping the last silently."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key is not a plain value", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def load_connector_config(path: Path) -> dict[str, dict[str, Any]]:
    """Connector name -> settings from the YAML file at ``path``; raise ConfigError if unusable."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        if not path.is_file():
            raise ConfigError(f"connector settings {path} is not a file.")
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"connector settings {path} is {size} bytes; the limit is {MAX_CONFIG_BYTES}."
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read connector settings {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"connector settings {path} is not UTF-8 text (bad byte at offset {exc.start})."
        ) from None
    try:
        parsed = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:  # the parser recurses per level: deep nesting is not settings
        raise ConfigError(
            f"connector settings {path} is nested too deeply to be settings."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ConfigError(
            f"connector settings {path} is not valid YAML{where}: {problem}."
        ) from None
    if parsed is None:
        return {}
    return check_connector_config(parsed, source=f"connector settings {path}")
