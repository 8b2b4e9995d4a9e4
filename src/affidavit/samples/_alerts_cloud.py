"""Sample cloud findings in GuardDuty and Security Command Center native shapes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from affidavit.samples._alerts_world import (
    AWS_EXAMPLE_KEY_ID,
    World,
    iso,
)

__all__ = ["guardduty_finding", "scc_finding"]

_ACCOUNT = "123456789012"  # the AWS documentation's example account
_REGIONS = ("us-east-1", "eu-west-1", "ap-northeast-1")
_GCP_ORG = "123456789012"
_GCP_PROJECTS = ("corp-prod-web", "corp-data-lake", "corp-ci")


def _remote_ip(ip: str) -> dict[str, Any]:
    return {
        "ipAddressV4": ip,
        "organization": {"asn": "64500", "asnOrg": "Example Hosting", "isp": "Example Hosting"},
        "country": {"countryName": "Exampleland"},
    }


def _instance_resource(world: World, region: str, instance_id: str) -> dict[str, Any]:
    private_ip = world.internal_ip()
    dns_name = f"ip-{private_ip.replace('.', '-')}.{region}.compute.internal"
    return {
        "resourceType": "Instance",
        "instanceDetails": {
            "instanceId": instance_id,
            "instanceType": world.pick(("t3.medium", "m5.large", "c5.2xlarge")),
            "platform": "linux",
            "availabilityZone": f"{region}a",
            "imageId": f"ami-{world.hex(17)}",
            "instanceState": "running",
            "iamInstanceProfile": {
                "arn": f"arn:aws:iam::{_ACCOUNT}:instance-profile/{world.server()}-role",
                "id": f"AIPA{world.hex(16).upper()}",
            },
            "networkInterfaces": [
                {
                    "networkInterfaceId": f"eni-{world.hex(17)}",
                    "privateIpAddress": private_ip,
                    "privateDnsName": dns_name,
                    "publicIp": world.external_ip(),
                    "vpcId": f"vpc-{world.hex(17)}",
                    "subnetId": f"subnet-{world.hex(17)}",
                    "securityGroups": [{"groupId": f"sg-{world.hex(17)}", "groupName": "web"}],
                    "privateIpAddresses": [
                        {"privateIpAddress": private_ip, "privateDnsName": dns_name}
                    ],
                }
            ],
            "tags": [{"key": "Name", "value": world.server()}, {"key": "env", "value": "prod"}],
        },
    }


def _key_resource(world: World, user: str) -> dict[str, Any]:
    return {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": AWS_EXAMPLE_KEY_ID,
            "principalId": f"AIDA{world.hex(16).upper()}",
            "userName": user,
            "userType": "IAMUser",
        },
    }


def _guardduty_case(world: World, region: str) -> dict[str, Any]:
    """Type, severity, title, resource and action of one GuardDuty finding."""
    instance_id = f"i-{world.hex(17)}"
    ext_ip, user = world.external_ip(), world.user()
    case = world.rng.randrange(5)
    if case == 0:
        return {
            "type": "UnauthorizedAccess:EC2/SSHBruteForce",
            "severity": 2,
            "title": f"{ext_ip} is performing SSH brute force attacks against {instance_id}.",
            "resource": _instance_resource(world, region, instance_id),
            "action": {
                "actionType": "NETWORK_CONNECTION",
                "networkConnectionAction": {
                    "connectionDirection": "INBOUND",
                    "protocol": "TCP",
                    "blocked": False,
                    "remoteIpDetails": _remote_ip(ext_ip),
                    "localPortDetails": {"port": 22, "portName": "SSH"},
                },
            },
        }
    if case in (1, 2):
        domain = world.bad_domain()
        mining = case == 1
        return {
            "type": "CryptoCurrency:EC2/BitcoinTool.B!DNS"
            if mining
            else "Backdoor:EC2/C&CActivity.B!DNS",
            "severity": 8,
            "title": f"EC2 instance {instance_id} is querying a domain name associated with "
            + ("cryptocurrency activity." if mining else "a command and control server."),
            "resource": _instance_resource(world, region, instance_id),
            "action": {
                "actionType": "DNS_REQUEST",
                "dnsRequestAction": {"domain": domain, "protocol": "UDP", "blocked": False},
            },
        }
    if case == 3:
        return {
            "type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
            "severity": 5,
            "title": f"API ListBuckets was invoked from a known malicious IP address {ext_ip}.",
            "resource": _key_resource(world, user),
            "action": {
                "actionType": "AWS_API_CALL",
                "awsApiCallAction": {
                    "api": "ListBuckets",
                    "serviceName": "s3.amazonaws.com",
                    "callerType": "Remote IP",
                    "remoteIpDetails": _remote_ip(ext_ip),
                },
            },
        }
    bucket = world.pick(("corp-example-finance-exports", "corp-example-hr-archive"))
    resource = _key_resource(world, user)
    resource["resourceType"] = "S3Bucket"
    resource["s3BucketDetails"] = [
        {"arn": f"arn:aws:s3:::{bucket}", "name": bucket, "type": "Destination"}
    ]
    return {
        "type": "Exfiltration:S3/AnomalousBehavior",
        "severity": 8,
        "title": f"An IAM entity invoked an S3 API in a suspicious way on bucket {bucket}.",
        "resource": resource,
        "action": {
            "actionType": "AWS_API_CALL",
            "awsApiCallAction": {
                "api": "GetObject",
                "serviceName": "s3.amazonaws.com",
                "callerType": "Remote IP",
                "remoteIpDetails": _remote_ip(ext_ip),
            },
        },
    }


def guardduty_finding(world: World, when: datetime) -> dict[str, Any]:
    """A GuardDuty finding, as an EventBridge event or bare, chosen at random."""
    region = world.pick(_REGIONS)
    case = _guardduty_case(world, region)
    finding_id, detector = world.hex(32), world.hex(32)
    first_seen = when - timedelta(minutes=world.rng.randrange(1, 90))
    finding = {
        "schemaVersion": "2.0",
        "accountId": _ACCOUNT,
        "region": region,
        "partition": "aws",
        "id": finding_id,
        "arn": f"arn:aws:guardduty:{region}:{_ACCOUNT}:detector/{detector}/finding/{finding_id}",
        "type": case["type"],
        "title": case["title"],
        "description": case["title"],
        "severity": case["severity"],
        "confidence": 5,
        "createdAt": iso(when),
        "updatedAt": iso(when),
        "resource": case["resource"],
        "service": {
            "serviceName": "guardduty",
            "detectorId": detector,
            "action": case["action"],
            "resourceRole": "TARGET",
            "archived": False,
            "count": world.rng.randrange(1, 60),
            "eventFirstSeen": iso(first_seen),
            "eventLastSeen": iso(when),
        },
    }
    if world.rng.random() < 0.5:
        return finding
    return {
        "version": "0",
        "id": world.uuid(),
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": _ACCOUNT,
        "time": iso(when, 0),
        "region": region,
        "resources": [],
        "detail": finding,
    }


def _scc_case(world: World) -> dict[str, Any]:
    miner = "/tmp/.cache/xmrig"  # noqa: S108 - a path in sample data, never opened
    case = world.rng.randrange(3)
    if case == 0:
        domain, ext_ip = world.bad_domain(), world.external_ip()
        return {
            "category": "Malware: Bad Domain",
            "severity": "HIGH",
            "description": "An instance connected to a known malicious domain.",
            "indicator": {"domains": [domain], "ipAddresses": [ext_ip]},
            "connections": [
                {
                    "destinationIp": ext_ip,
                    "destinationPort": 443,
                    "sourceIp": world.internal_ip(),
                    "protocol": "TCP",
                }
            ],
            "sourceProperties": {
                "detectionCategory": {"ruleName": "bad_domain", "technique": "T1071.004"}
            },
        }
    if case == 1:
        return {
            "category": "Execution: Cryptocurrency Mining Hash Match",
            "severity": "CRITICAL",
            "description": "A binary matching a known cryptocurrency miner ran on the instance.",
            "processes": [
                {
                    "name": "xmrig",
                    "binary": {"path": miner, "sha256": world.hex(64)},
                    "args": [
                        miner,
                        "-o",
                        f"stratum+tcp://{world.external_ip()}:3333",
                    ],
                    "pid": str(world.rng.randrange(1000, 40000)),
                }
            ],
            "sourceProperties": {
                "detectionCategory": {"ruleName": "cryptomining", "technique": "T1496"}
            },
        }
    admin = world.email()
    return {
        "category": "Persistence: IAM Anomalous Grant",
        "severity": "HIGH",
        "description": "A sensitive role was granted to a member outside the organisation.",
        "access": {
            "principalEmail": admin,
            "callerIp": world.external_ip(),
            "methodName": "SetIamPolicy",
            "serviceName": "cloudresourcemanager.googleapis.com",
        },
        "iamBindings": [
            {"action": "ADD", "role": "roles/owner", "member": "user:helper@partner.example"}
        ],
        "sourceProperties": {
            "detectionCategory": {"ruleName": "iam_anomalous_grant", "technique": "T1098"}
        },
    }


def scc_finding(world: World, when: datetime) -> dict[str, Any]:
    """A Security Command Center Pub/Sub notification (``finding`` + ``resource``)."""
    project = world.pick(_GCP_PROJECTS)
    instance = f"{project}-vm-{world.rng.randrange(1, 20):02d}"
    zone = world.pick(("us-central1-a", "europe-west1-b"))
    source = str(world.rng.randrange(10**18, 10**19))
    finding_id = world.hex(32)
    name = f"organizations/{_GCP_ORG}/sources/{source}/findings/{finding_id}"
    resource_name = f"//compute.googleapis.com/projects/{project}/zones/{zone}/instances/{instance}"
    event_time = when - timedelta(seconds=world.rng.randrange(10, 300))
    finding = {
        "name": name,
        "canonicalName": f"projects/{project}/sources/{source}/findings/{finding_id}",
        "parent": f"organizations/{_GCP_ORG}/sources/{source}",
        "resourceName": resource_name,
        "state": "ACTIVE",
        "externalUri": f"https://console.cloud.google.com/compute/instancesDetail/zones/{zone}/"
        f"instances/{instance}?project={project}",
        "securityMarks": {"name": f"{name}/securityMarks"},
        "eventTime": iso(event_time),
        "createTime": iso(when),
        "mute": "UNMUTED",
        "findingClass": "THREAT",
        "parentDisplayName": "Event Threat Detection",
        **_scc_case(world),
    }
    return {
        "notificationConfigName": f"organizations/{_GCP_ORG}/notificationConfigs/soc-alerts",
        "finding": finding,
        "resource": {
            "name": resource_name,
            "displayName": instance,
            "type": "google.compute.Instance",
            "projectName": f"//cloudresourcemanager.googleapis.com/projects/{project}",
            "projectDisplayName": project,
            "service": "compute.googleapis.com",
            "location": zone,
        },
    }
