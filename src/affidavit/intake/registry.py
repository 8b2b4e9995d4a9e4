"""Normaliser plugins: the protocol, the built-ins, and entry-point discovery.

A normaliser is any object with a ``name``, a cheap structural ``detect(obj)``
and ``normalize(obj) -> Alert`` that raises ``InputError`` for records it cannot
read. Outside packages register theirs under the ``affidavit.normalizers``
entry-point group; the built-ins are registered there too once the package is
installed, and are also listed in ``BUILTIN_NORMALIZERS`` so they work from a
source checkout. Both sources are merged by name.

A normaliser need not report what it left out: ``intake.normalize`` passes it a
tracked view of the alert and fills ``Alert.unmapped`` with the fields it never
read (see ``_tracking``), whoever wrote it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol, runtime_checkable

from affidavit.errors import ConfigError
from affidavit.intake.model import Alert
from affidavit.intake.normalizers import (
    crowdstrike,
    defender,
    elastic,
    falco,
    guardduty,
    ocsf,
    okta,
    scc,
    sentinel,
    sentinelone,
    splunk,
    wiz,
)

__all__ = [
    "BUILTIN_NORMALIZERS",
    "ENTRY_POINT_GROUP",
    "Normalizer",
    "default_normalizers",
    "load_normalizers",
]

ENTRY_POINT_GROUP = "affidavit.normalizers"


@runtime_checkable
class Normalizer(Protocol):
    """What a vendor-format plugin provides."""

    @property
    def name(self) -> str: ...

    def detect(self, obj: Mapping[str, Any]) -> bool:
        """True if ``obj`` has this format's shape; must be cheap and never raise."""
        ...

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        """The alert in ``obj``; raises ``InputError`` if it cannot be read."""
        ...


BUILTIN_NORMALIZERS: tuple[Normalizer, ...] = (
    defender.NORMALIZER,
    crowdstrike.NORMALIZER,
    guardduty.NORMALIZER,
    scc.NORMALIZER,
    falco.NORMALIZER,
    okta.NORMALIZER,
    ocsf.NORMALIZER,
    sentinel.NORMALIZER,
    elastic.NORMALIZER,
    splunk.NORMALIZER,
    sentinelone.NORMALIZER,
    wiz.NORMALIZER,
)


def _load(entry_point: EntryPoint) -> Normalizer:
    try:
        plugin = entry_point.load()
    except Exception as exc:  # any import-time failure of a third-party plugin
        raise ConfigError(
            f"normaliser plugin {entry_point.name!r} ({entry_point.value}) could not be "
            f"loaded: {exc}; fix or uninstall the package that provides it."
        ) from exc
    if isinstance(plugin, type):
        plugin = plugin()
    if not isinstance(plugin, Normalizer) or not isinstance(plugin.name, str):
        raise ConfigError(
            f"normaliser plugin {entry_point.name!r} ({entry_point.value}) is not a normaliser: "
            "it needs a name, detect(obj) and normalize(obj)."
        )
    if plugin.name != entry_point.name:
        raise ConfigError(
            f"normaliser plugin {entry_point.value} calls itself {plugin.name!r} but is "
            f"registered as {entry_point.name!r}; the two names must match."
        )
    return plugin


def load_normalizers() -> tuple[Normalizer, ...]:
    """The built-ins followed by every plugin in the entry-point group, each name once.

    An entry point that resolves to a built-in object is the built-in itself and
    is skipped; a different object claiming a taken name is a ``ConfigError``,
    because silently preferring either would change how alerts are read.
    """
    by_name: dict[str, Normalizer] = {plugin.name: plugin for plugin in BUILTIN_NORMALIZERS}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        plugin = _load(entry_point)
        existing = by_name.get(plugin.name)
        if existing is None:
            by_name[plugin.name] = plugin
        elif existing is not plugin:
            raise ConfigError(
                f"two normaliser plugins are named {plugin.name!r} ({entry_point.value} and "
                f"{type(existing).__module__}); uninstall one of them."
            )
    return tuple(by_name.values())


@functools.cache
def default_normalizers() -> tuple[Normalizer, ...]:
    """``load_normalizers()`` once per process (entry points do not change while it runs)."""
    return load_normalizers()
