from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, detect_vendor, normalize, normalized_alerts
from affidavit.intake.normalizers._attack_names import technique_id

from .._shared import entity_set, shape_samples, shapes_dir, vendor_sample


def test_notification_finding_normalises() -> None:
    raw = vendor_sample("scc.json")
    alert = normalize(raw)
    assert alert.vendor == "google_scc"
    assert alert.vendor_alert_id == (
        "organizations/123456789012/sources/1234567890123456789/findings/abc123def456"
    )
    assert alert.title == "Malware: Bad Domain"
    assert alert.severity is Severity.HIGH
    assert alert.severity_raw == "HIGH"
    assert alert.category == "THREAT"
    assert alert.techniques == ("T1071",)
    assert alert.created == datetime(2024, 1, 15, 10, 31, tzinfo=UTC)
    assert alert.product == "Google Security Command Center (Event Threat Detection)"
    entities = entity_set(alert)
    instance = (
        "//compute.googleapis.com/projects/my-project-id/zones/us-central1-a/instances/"
        "suspicious-instance"
    )
    assert ("cloud_resource", instance, "impacted") in entities
    assert ("host", "suspicious-instance", "impacted") in entities
    assert ("ip", "161.97.182.121", "indicator") in entities
    assert ("domain", "download-update.online", "indicator") in entities
    assert ("ip", "10.128.0.15", "local") in entities


def test_bare_finding_is_read_too() -> None:
    finding = vendor_sample("scc.json")["finding"]
    alert = normalize(finding)
    assert alert.vendor == "google_scc"
    assert alert.title == "Malware: Bad Domain"
    # Without the notification's resource block the host name is unknown.
    assert "suspicious-instance" not in {e.value for e in alert.entities}


def test_unspecified_severity_is_medium() -> None:
    raw = vendor_sample("scc.json")
    raw["finding"]["severity"] = "SEVERITY_UNSPECIFIED"
    assert normalize(raw).severity is Severity.MEDIUM


def test_finding_name_must_have_the_finding_shape() -> None:
    raw = vendor_sample("scc.json")
    raw["finding"]["name"] = "organizations/123/findings"
    with pytest.raises(InputError, match="unrecognised alert format"):
        detect_vendor(raw)


# ---- real-shaped samples (tests/data/alerts/shapes/google_scc) ----


def test_a_list_findings_response_is_read_as_its_findings() -> None:
    data = (shapes_dir() / "google_scc" / "list_findings.json").read_bytes()
    located = list(normalized_alerts(data))
    assert [where for where, _ in located] == [
        f"listFindingsResults[{i}] of the response on line 1" for i in range(3)
    ]
    bad_domain, grant, shell = (alert for _, alert in located)
    assert {bad_domain.vendor, grant.vendor, shell.vendor} == {"google_scc"}
    assert bad_domain.product == "Google Security Command Center (Event Threat Detection)"
    assert ("domain", "drop.example.org", "indicator") in entity_set(bad_domain)
    assert ("host", "web-frontend-2", "impacted") in entity_set(bad_domain)
    assert grant.severity is Severity.MEDIUM
    assert ("user", "contractor@example.net", "target") in entity_set(grant)
    assert shell.severity is Severity.CRITICAL
    assert (
        "cloud_resource",
        "europe-docker.pkg.dev/shop-prod-4821/app/checkout",
        "container_image",
    ) in entity_set(shell)


def test_mitre_technique_names_become_technique_ids() -> None:
    alerts = [normalize(obj) for obj in shape_samples("google_scc", "list_findings.json")]
    assert [alert.techniques for alert in alerts] == [
        ("T1568",),  # DYNAMIC_RESOLUTION
        ("T1098", "T1078", "T1078.004"),  # primary, then additional techniques
        ("T1059.004", "T1059"),  # UNIX_SHELL, COMMAND_AND_SCRIPTING_INTERPRETER
    ]
    assert [alert.category for alert in alerts] == [
        "Command And Control",
        "Persistence",
        "Execution",
    ]
    # A name the table does not know is reported as unmapped, not dropped unseen.
    unmapped = alerts[2].unmapped or ()
    assert "finding.mitreAttack.primaryTechniques[2]" in unmapped
    assert "finding.mitreAttack.primaryTechniques[0]" not in unmapped


def test_every_technique_name_scc_defines_has_an_id() -> None:
    # The names of SCC's MitreAttack.Technique enum (securitycenter v1 and v2).
    scc_names = [
        "MASQUERADING",
        "MATCH_LEGITIMATE_NAME_OR_LOCATION",
        "BOOT_OR_LOGON_INITIALIZATION_SCRIPTS",
        "STARTUP_ITEMS",
        "NETWORK_SERVICE_DISCOVERY",
        "PROCESS_DISCOVERY",
        "COMMAND_AND_SCRIPTING_INTERPRETER",
        "UNIX_SHELL",
        "PYTHON",
        "PERMISSION_GROUPS_DISCOVERY",
        "CLOUD_GROUPS",
        "APPLICATION_LAYER_PROTOCOL",
        "DNS",
        "SOFTWARE_DEPLOYMENT_TOOLS",
        "VALID_ACCOUNTS",
        "DEFAULT_ACCOUNTS",
        "LOCAL_ACCOUNTS",
        "CLOUD_ACCOUNTS",
        "PROXY",
        "EXTERNAL_PROXY",
        "MULTI_HOP_PROXY",
        "ACCOUNT_MANIPULATION",
        "ADDITIONAL_CLOUD_CREDENTIALS",
        "SSH_AUTHORIZED_KEYS",
        "ADDITIONAL_CONTAINER_CLUSTER_ROLES",
        "INGRESS_TOOL_TRANSFER",
        "NATIVE_API",
        "BRUTE_FORCE",
        "SHARED_MODULES",
        "ACCESS_TOKEN_MANIPULATION",
        "TOKEN_IMPERSONATION_OR_THEFT",
        "EXPLOIT_PUBLIC_FACING_APPLICATION",
        "DOMAIN_POLICY_MODIFICATION",
        "DATA_DESTRUCTION",
        "SERVICE_STOP",
        "INHIBIT_SYSTEM_RECOVERY",
        "RESOURCE_HIJACKING",
        "NETWORK_DENIAL_OF_SERVICE",
        "CLOUD_SERVICE_DISCOVERY",
        "STEAL_APPLICATION_ACCESS_TOKEN",
        "ACCOUNT_ACCESS_REMOVAL",
        "STEAL_WEB_SESSION_COOKIE",
        "CREATE_OR_MODIFY_SYSTEM_PROCESS",
        "ABUSE_ELEVATION_CONTROL_MECHANISM",
        "UNSECURED_CREDENTIALS",
        "MODIFY_AUTHENTICATION_PROCESS",
        "IMPAIR_DEFENSES",
        "DISABLE_OR_MODIFY_TOOLS",
        "EXFILTRATION_OVER_WEB_SERVICE",
        "EXFILTRATION_TO_CLOUD_STORAGE",
        "DYNAMIC_RESOLUTION",
        "LATERAL_TOOL_TRANSFER",
        "MODIFY_CLOUD_COMPUTE_INFRASTRUCTURE",
        "CREATE_SNAPSHOT",
        "CLOUD_INFRASTRUCTURE_DISCOVERY",
        "OBTAIN_CAPABILITIES",
        "ACTIVE_SCANNING",
        "SCANNING_IP_BLOCKS",
        "CONTAINER_ADMINISTRATION_COMMAND",
        "ESCAPE_TO_HOST",
        "CONTAINER_AND_RESOURCE_DISCOVERY",
        "STEAL_OR_FORGE_AUTHENTICATION_CERTIFICATES",
    ]
    missing = [name for name in scc_names if technique_id(name) is None]
    assert missing == []
    assert technique_id("ACTIVE_SCANNING") == "T1595"
    assert technique_id("Scanning IP Blocks") == "T1595.001"
    assert technique_id("TECHNIQUE_UNSPECIFIED") is None
