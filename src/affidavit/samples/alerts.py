"""Deterministic sample alerts in the vendors' own formats, for the demo and tests.

The same ``n`` and ``seed`` always give the same alerts. Vendors are mixed the
way a SOC's queue mixes them (endpoint detections most often); times rise from
``start`` by seconds to minutes. Every sample is read back by the built-in
normalisers. Nothing in them is real: see ``_alerts_world`` for the invented
organisation, and ``_alerts_scenarios`` for the secrets and personal data
planted in some command lines on purpose.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from affidavit.errors import InputError
from affidavit.samples._alerts_cloud import guardduty_finding, scc_finding
from affidavit.samples._alerts_endpoint import (
    crowdstrike_detection,
    defender_alert,
    ocsf_detection_finding,
)
from affidavit.samples._alerts_runtime import falco_event, okta_event
from affidavit.samples._alerts_world import World

__all__ = ["DEFAULT_START", "MAX_SAMPLES", "SAMPLE_WEIGHTS", "generate_alerts"]

DEFAULT_START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
MAX_SAMPLES = 100_000

_Builder = Callable[[World, datetime], dict[str, Any]]
# Normaliser name -> (builder, relative frequency).
SAMPLE_WEIGHTS: dict[str, tuple[_Builder, int]] = {
    "microsoft_defender": (defender_alert, 4),
    "crowdstrike_falcon": (crowdstrike_detection, 4),
    "aws_guardduty": (guardduty_finding, 2),
    "okta": (okta_event, 2),
    "google_scc": (scc_finding, 1),
    "falco": (falco_event, 1),
    "ocsf_detection_finding": (ocsf_detection_finding, 1),
}


def generate_alerts(
    n: int, seed: int = 0, *, start: datetime = DEFAULT_START
) -> list[dict[str, Any]]:
    """``n`` sample alerts (native vendor JSON objects), the same for the same arguments."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_SAMPLES:
        raise InputError(f"the number of sample alerts must be between 0 and {MAX_SAMPLES}.")
    if start.utcoffset() is None:
        raise InputError("the start time of the sample alerts needs a timezone.")
    rng = random.Random(seed)
    world = World(rng)
    builders = [builder for builder, _ in SAMPLE_WEIGHTS.values()]
    weights = [weight for _, weight in SAMPLE_WEIGHTS.values()]
    when = start.astimezone(UTC)
    alerts = []
    for _ in range(n):
        when += timedelta(seconds=rng.randrange(5, 900), milliseconds=rng.randrange(1000))
        builder = rng.choices(builders, weights)[0]
        alerts.append(builder(world, when))
    return alerts
