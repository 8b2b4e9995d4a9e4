"""Sample endpoint alerts in Defender, CrowdStrike and OCSF native shapes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from affidavit.samples._alerts_scenarios import Situation, draw_situation
from affidavit.samples._alerts_world import NETBIOS_DOMAIN, ORG_DOMAIN, World, iso

__all__ = ["crowdstrike_detection", "defender_alert", "ocsf_detection_finding"]

_LEVELS = ("informational", "low", "medium", "high", "critical")


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _defender_time(moment: datetime) -> str:
    return iso(moment, 6)[:-1] + "0Z"  # Defender writes seven fractional digits


def defender_alert(world: World, when: datetime) -> dict[str, Any]:
    """A Defender for Endpoint API alert with process, user and network evidence."""
    s = draw_situation(world)
    scenario, rng = s.scenario, world.rng
    # Defender for Endpoint has no "Critical": its top level is High.
    severity = "High" if scenario.severity == "critical" else scenario.severity.capitalize()
    first_seen = when - timedelta(seconds=rng.randrange(20, 600))
    upn = world.email(s.user)
    evidence: list[dict[str, Any]] = [
        {
            "entityType": "Process",
            "evidenceCreationTime": _defender_time(when),
            "sha1": s.sha1,
            "sha256": s.sha256,
            "fileName": s.image_name,
            "filePath": s.scenario.image.rsplit("\\", 1)[0],
            "processId": s.pid,
            "processCommandLine": s.command,
            "processCreationTime": _defender_time(first_seen),
            "parentProcessId": s.parent_pid,
            "parentProcessFileName": s.parent_name,
            "parentProcessFilePath": s.scenario.parent.rsplit("\\", 1)[0],
            "accountName": s.user,
            "domainName": NETBIOS_DOMAIN,
            "userPrincipalName": upn,
            "detectionStatus": "Detected",
        },
        {
            "entityType": "User",
            "evidenceCreationTime": _defender_time(when),
            "accountName": s.user,
            "domainName": NETBIOS_DOMAIN,
            "userSid": f"S-1-5-21-1004336348-1177238915-682003330-{rng.randrange(1100, 9999)}",
            "userPrincipalName": upn,
        },
    ]
    if s.ext_ip:
        evidence.append({"entityType": "Ip", "ipAddress": s.ext_ip})
    if s.domain:
        evidence.append({"entityType": "Url", "url": f"https://{s.domain}/upload"})
    return {
        "id": f"da{rng.randrange(10**17, 10**18)}_{rng.randrange(10**9, 10**10)}",
        "incidentId": rng.randrange(1000, 99999),
        "investigationId": None,
        "assignedTo": None,
        "severity": severity,
        "status": "New",
        "classification": None,
        "determination": None,
        "investigationState": "PendingApproval",
        "detectionSource": "WindowsDefenderAtp",
        "detectorId": world.uuid(),
        "category": scenario.category,
        "threatFamilyName": None,
        "title": scenario.title,
        "description": scenario.description,
        "alertCreationTime": _defender_time(when),
        "firstEventTime": _defender_time(first_seen),
        "lastEventTime": _defender_time(when - timedelta(seconds=5)),
        "lastUpdateTime": _defender_time(when + timedelta(seconds=2)),
        "resolvedTime": None,
        "machineId": world.hex(40),
        "computerDnsName": f"{s.host}.{ORG_DOMAIN}",
        "rbacGroupName": s.host.split("-")[1] if s.host.startswith("pc-") else "Servers",
        "aadTenantId": "0f3c1a2b-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        "mitreTechniques": [scenario.technique],
        "relatedUser": {"userName": s.user, "domainName": NETBIOS_DOMAIN},
        "loggedOnUsers": [
            {"userName": s.user, "domainName": NETBIOS_DOMAIN, "logonType": "Interactive"}
        ],
        "comments": [],
        "evidence": evidence,
    }


def crowdstrike_detection(world: World, when: datetime) -> dict[str, Any]:
    """A Falcon Event Streams ``DetectionSummaryEvent``."""
    s = draw_situation(world)
    scenario, rng = s.scenario, world.rng
    agent = world.hex(32)
    detect_number = rng.randrange(10**9, 10**10)
    started = when - timedelta(seconds=rng.randrange(5, 300))
    event: dict[str, Any] = {
        "DetectId": f"ldt:{agent}:{detect_number}",
        "DetectName": scenario.title,
        "DetectDescription": scenario.description,
        "Severity": _LEVELS.index(scenario.severity) + 1,
        "SeverityName": scenario.severity.capitalize(),
        "Objective": "Falcon Detection Method",
        "Tactic": scenario.tactic,
        "TacticId": scenario.tactic_id,
        "Technique": scenario.technique_name,
        "TechniqueId": scenario.technique,
        "FalconHostLink": (
            f"https://falcon.crowdstrike.com/activity/detections/detail/{agent}/{detect_number}"
        ),
        "ComputerName": s.host,
        "UserName": s.user,
        "MachineDomain": ORG_DOMAIN,
        "SensorId": agent,
        "LocalIP": s.internal_ip,
        "MACAddress": "-".join(world.hex(2) for _ in range(6)),
        "FileName": s.image_name,
        "FilePath": "\\Device\\HarddiskVolume2" + s.scenario.image[2:].rsplit("\\", 1)[0],
        "CommandLine": s.command,
        "SHA256String": s.sha256,
        "SHA1String": s.sha1,
        "MD5String": s.md5,
        "ProcessStartTime": int(started.timestamp()),
        "ProcessEndTime": 0,
        "ProcessId": rng.randrange(10**10, 10**11),
        "ParentProcessId": rng.randrange(10**10, 10**11),
        "ParentImageFileName": s.parent_name,
        "ParentCommandLine": s.scenario.parent,
        "GrandparentImageFileName": "explorer.exe",
        "GrandparentCommandLine": r"C:\Windows\explorer.exe",
        "PatternDispositionDescription": "Detection, standard detection.",
        "PatternDispositionValue": 0,
        "IOCType": "hash_sha256",
        "IOCValue": s.sha256,
        "AgentIdString": agent,
    }
    if s.ext_ip:
        event["NetworkAccesses"] = [
            {
                "AccessType": 0,
                "AccessTimestamp": int(started.timestamp()) + 2,
                "ConnectionDirection": 0,
                "IsActive": False,
                "LocalAddress": s.internal_ip,
                "LocalPort": rng.randrange(49152, 65535),
                "Protocol": "6",
                "RemoteAddress": s.ext_ip,
                "RemotePort": 80,
            }
        ]
    if s.domain:
        event["DnsRequests"] = [{"DomainName": s.domain, "CausedByDetectId": event["DetectId"]}]
    return {
        "metadata": {
            "customerIDString": world.hex(32),
            "offset": rng.randrange(1, 10**6),
            "eventType": "DetectionSummaryEvent",
            "eventCreationTime": _ms(when),
            "version": "1.0",
        },
        "event": event,
    }


def _ocsf_evidence(s: Situation) -> list[dict[str, Any]]:
    process = {
        "pid": s.pid,
        "name": s.image_name,
        "cmd_line": s.command,
        "file": {
            "name": s.image_name,
            "path": s.scenario.image,
            "type_id": 1,
            "hashes": [
                {"algorithm_id": 1, "algorithm": "MD5", "value": s.md5},
                {"algorithm_id": 3, "algorithm": "SHA-256", "value": s.sha256},
            ],
        },
        "user": {"name": s.user, "domain": NETBIOS_DOMAIN, "type_id": 1, "type": "User"},
        "parent_process": {
            "pid": s.parent_pid,
            "name": s.parent_name,
            "file": {"name": s.parent_name, "path": s.scenario.parent, "type_id": 1},
        },
    }
    evidences: list[dict[str, Any]] = [{"process": process}]
    if s.ext_ip:
        evidences.append({"dst_endpoint": {"ip": s.ext_ip, "port": 80}})
    if s.domain:
        evidences.append({"query": {"hostname": s.domain, "type": "A"}})
    return evidences


def ocsf_detection_finding(world: World, when: datetime) -> dict[str, Any]:
    """An OCSF 1.3 Detection Finding from an invented EDR product."""
    s = draw_situation(world)
    scenario = s.scenario
    level = _LEVELS.index(scenario.severity) + 1
    fqdn = f"{s.host}.{ORG_DOMAIN}"
    return {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": _ms(when),
        "severity_id": level,
        "severity": scenario.severity.capitalize(),
        "status_id": 1,
        "status": "New",
        "is_alert": True,
        "metadata": {
            "version": "1.3.0",
            "uid": world.uuid(),
            "product": {"name": "Example EDR", "vendor_name": "Example Security", "version": "4.2"},
        },
        "finding_info": {
            "uid": world.uuid(),
            "title": scenario.title,
            "desc": scenario.description,
            "types": [scenario.category],
            "created_time": _ms(when),
            "analytic": {"name": scenario.title, "type_id": 1, "type": "Rule"},
            "attacks": [
                {
                    "tactic": {"uid": scenario.tactic_id, "name": scenario.tactic},
                    "technique": {"uid": scenario.technique, "name": scenario.technique_name},
                    "version": "15.1",
                }
            ],
        },
        "device": {
            "hostname": fqdn,
            "ip": s.internal_ip,
            "type_id": 1 if s.host.startswith("srv-") else 2,  # Server, Desktop
            "os": {"name": "Windows", "type_id": 100, "type": "Windows"},
        },
        "evidences": _ocsf_evidence(s),
        "observables": [
            {"name": "device.hostname", "type_id": 1, "type": "Hostname", "value": fqdn},
            {"name": "device.ip", "type_id": 2, "type": "IP Address", "value": s.internal_ip},
            {
                "name": "evidences[0].process.cmd_line",
                "type_id": 13,
                "type": "Command Line",
                "value": s.command,
            },
        ],
    }
