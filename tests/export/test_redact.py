"""Masking before export: one scan per event finds what one scan per string finds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.export import Redactor
from affidavit.protect import DataClass, default_scanner
from affidavit.samples.secrets import SAMPLERS

_PIECES = [
    "AKIAIOSFODNN7EXAMPLE",
    "password=Tr0ub4dor3xPlanted",
    "ghp_plantedPlantedPlanted0123456789abcde",
    "alice@corp.example",
    "203.0.113.7",
    'token: "xoxb-123456789012-1234567890123-PlantedSlackTokenAbc"',
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXBsYW50ZWQ",
    "host:pc-sales-0215",
    "prop_4a0be6f53f59ed22991f",
    "",
]
_text = st.lists(st.sampled_from(_PIECES) | st.text(max_size=12), max_size=4).map(" ".join)
_values = st.recursive(
    st.none() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(value=_values)
def test_the_single_scan_masks_exactly_what_per_string_scans_mask(value: Any) -> None:
    redactor = Redactor({DataClass.SECRET, DataClass.CREDENTIAL})
    assert redactor.json(value) == redactor._walk(value)


def test_generated_secrets_of_every_kind_are_masked() -> None:
    import random

    masked_classes = {DataClass.SECRET, DataClass.CREDENTIAL}
    redactor = Redactor(masked_classes)
    classes = default_scanner().kinds
    rng = random.Random(7)
    checked = 0
    for kind, sampler in SAMPLERS.items():
        if classes.get(kind) not in masked_classes:
            continue
        for _ in range(3):
            sample = sampler(rng)
            value = sample.text[sample.start : sample.end]
            event = {"unmapped": {"affidavit": {"detail": {"error": f"x {sample.text} y"}}}}
            assert value not in repr(redactor.json(event)), kind
            checked += 1
    assert checked > 30
