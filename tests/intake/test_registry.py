from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from affidavit.errors import ConfigError
from affidavit.intake import (
    BUILTIN_NORMALIZERS,
    ENTRY_POINT_GROUP,
    detect_vendor,
    load_normalizers,
    normalize,
)
from affidavit.intake.normalizers import falco

# The entry points the built-ins are registered under once the package is installed.
EXPECTED_ENTRY_POINTS = {
    "microsoft_defender": "affidavit.intake.normalizers.defender:NORMALIZER",
    "crowdstrike_falcon": "affidavit.intake.normalizers.crowdstrike:NORMALIZER",
    "aws_guardduty": "affidavit.intake.normalizers.guardduty:NORMALIZER",
    "google_scc": "affidavit.intake.normalizers.scc:NORMALIZER",
    "falco": "affidavit.intake.normalizers.falco:NORMALIZER",
    "okta": "affidavit.intake.normalizers.okta:NORMALIZER",
    "ocsf_detection_finding": "affidavit.intake.normalizers.ocsf:NORMALIZER",
    "microsoft_sentinel": "affidavit.intake.normalizers.sentinel:NORMALIZER",
    "elastic_security": "affidavit.intake.normalizers.elastic:NORMALIZER",
    "splunk_es": "affidavit.intake.normalizers.splunk:NORMALIZER",
    "sentinelone": "affidavit.intake.normalizers.sentinelone:NORMALIZER",
    "wiz": "affidavit.intake.normalizers.wiz:NORMALIZER",
}

_PLUGIN_SOURCE = """
from affidavit.errors import InputError
from affidavit.intake import Alert, Entity, EntityKind, Severity
from affidavit.intake._time import parse_timestamp


class AcmeSiemNormalizer:
    name = "acme_siem"

    def detect(self, obj):
        return obj.get("acme_version") == 1 and "incident" in obj

    def normalize(self, obj):
        created = parse_timestamp(obj.get("at"))
        if created is None:
            raise InputError("an Acme incident needs a time.")
        return Alert(
            vendor=self.name, vendor_alert_id=str(obj["incident"]), title=obj["what"],
            severity=Severity.HIGH, created=created, raw=obj,
            entities=(Entity(EntityKind.HOST, obj["host"]),),
        )


NORMALIZER = AcmeSiemNormalizer()
"""


def _install(site: Path, module: str, entry_points: dict[str, str], source: str = "") -> None:
    """Lay out a real installed distribution (``*.dist-info``) that importlib.metadata finds."""
    (site / f"{module}.py").write_text(source or _PLUGIN_SOURCE)
    dist_info = site / f"{module}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}\n")


def test_builtins_have_unique_names_matching_their_entry_points() -> None:
    names = [normalizer.name for normalizer in BUILTIN_NORMALIZERS]
    assert len(names) == len(set(names))
    assert set(names) == set(EXPECTED_ENTRY_POINTS)
    for normalizer in BUILTIN_NORMALIZERS:
        module, attribute = EXPECTED_ENTRY_POINTS[normalizer.name].split(":")
        assert getattr(importlib.import_module(module), attribute) is normalizer


def test_outside_plugin_is_merged_and_builtins_are_not_duplicated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = f"acme_plugin_{tmp_path.name.replace('-', '_')}"
    # The built-in registered again through an entry point (as an installed
    # affidavit does) must stay a single normaliser.
    _install(
        tmp_path,
        module,
        {"acme_siem": f"{module}:NORMALIZER", "falco": EXPECTED_ENTRY_POINTS["falco"]},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    normalizers = load_normalizers()
    names = [normalizer.name for normalizer in normalizers]
    assert names.count("falco") == 1
    assert names[: len(BUILTIN_NORMALIZERS)] == [n.name for n in BUILTIN_NORMALIZERS]
    assert names[-1] == "acme_siem"
    incident = {
        "acme_version": 1,
        "incident": 77,
        "what": "Beacon",
        "at": 1739260800,
        "host": "SRV-DB-01",
    }
    assert detect_vendor(incident, normalizers).name == "acme_siem"
    alert = normalize(incident, normalizers)
    assert alert.vendor == "acme_siem"
    assert alert.entities[0].value == "srv-db-01"


def test_plugin_taking_a_builtin_name_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = f"impostor_{tmp_path.name.replace('-', '_')}"
    source = _PLUGIN_SOURCE.replace('name = "acme_siem"', 'name = "falco"')
    _install(tmp_path, module, {"falco": f"{module}:NORMALIZER"}, source)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="two normaliser plugins are named 'falco'"):
        load_normalizers()


def test_plugin_whose_name_differs_from_its_entry_point_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = f"misnamed_{tmp_path.name.replace('-', '_')}"
    _install(tmp_path, module, {"acme": f"{module}:NORMALIZER"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="calls itself 'acme_siem' but is registered as 'acme'"):
        load_normalizers()


def test_broken_or_wrong_plugins_are_config_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = f"broken_{tmp_path.name.replace('-', '_')}"
    _install(tmp_path, module, {"broken": f"{module}:NORMALIZER"}, "raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match=r"'broken' .* could not be loaded: boom"):
        load_normalizers()


def test_object_without_the_protocol_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = f"notone_{tmp_path.name.replace('-', '_')}"
    _install(tmp_path, module, {"notone": f"{module}:NORMALIZER"}, "NORMALIZER = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="is not a normaliser"):
        load_normalizers()


def test_without_plugins_the_builtins_are_all_there() -> None:
    loaded = load_normalizers()
    assert [n.name for n in loaded][: len(BUILTIN_NORMALIZERS)] == [
        n.name for n in BUILTIN_NORMALIZERS
    ]
    assert falco.NORMALIZER in loaded


def test_installed_distribution_registers_every_builtin() -> None:
    try:
        distribution = importlib.metadata.distribution("affidavit")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("affidavit is not installed; its entry points cannot be checked yet")
    registered = {
        ep.name: ep.value for ep in distribution.entry_points if ep.group == ENTRY_POINT_GROUP
    }
    assert registered == EXPECTED_ENTRY_POINTS
