"""Finding detectors: the built-ins plus plugins under the ``affidavit.detectors`` group."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from affidavit.errors import ConfigError
from affidavit.protect.detector import Detector
from affidavit.protect.detectors import BUILTIN_DETECTORS

__all__ = ["ENTRY_POINT_GROUP", "load_detectors", "merge_detectors"]

ENTRY_POINT_GROUP = "affidavit.detectors"


def load_detectors() -> tuple[Detector, ...]:
    """Built-ins first, then every plugin registered under ``affidavit.detectors``.

    An entry point may name a :class:`Detector` or a callable returning one. The
    built-ins are registered there too once the package is installed; they are the
    same objects, so they merge away.
    """
    return merge_detectors(BUILTIN_DETECTORS, (_load(ep) for ep in _entry_points()))


def merge_detectors(*groups: Iterable[Detector]) -> tuple[Detector, ...]:
    """Detectors in order, each name once; two different detectors with one name is an error."""
    merged: dict[str, Detector] = {}
    for group in groups:
        for detector in group:
            if not isinstance(detector, Detector):
                raise ConfigError(f"{detector!r} is not an affidavit.protect.Detector.")
            known = merged.get(detector.name)
            if known is None:
                merged[detector.name] = detector
            elif known is not detector and known != detector:
                raise ConfigError(
                    f"Two different detectors are named {detector.name!r}; "
                    "rename the plugin or uninstall one of them."
                )
    return tuple(merged.values())


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))


def _load(entry_point: EntryPoint) -> Detector:
    try:
        loaded = entry_point.load()
        detector = loaded() if callable(loaded) and not isinstance(loaded, Detector) else loaded
    except Exception as exc:
        raise ConfigError(
            f"Detector plugin {entry_point.name!r} ({entry_point.value}) failed to load: {exc}"
        ) from exc
    if not isinstance(detector, Detector):
        raise ConfigError(
            f"Detector plugin {entry_point.name!r} ({entry_point.value}) is not a Detector."
        )
    return detector
