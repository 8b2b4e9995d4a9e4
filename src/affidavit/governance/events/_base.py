"""What the governance event modules share: actor names and JSON-shaped fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["actor_id", "strings"]


def actor_id(actor: str) -> str:
    """The identity id in a ledger actor name (``human:alice`` -> ``alice``)."""
    return actor.split(":", 1)[1]


def strings(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)
