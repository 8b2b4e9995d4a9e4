"""Amazon GuardDuty findings: the bare finding (``GetFindings``, S3 export) or the
EventBridge event that carries it (``source: aws.guardduty``, ``detail``).

Besides the EC2, S3, EKS, ECS, Lambda and RDS resources and the network,
API and DNS actions, the RDS database user (``rdsDbUserDetails``, login
attempts), Runtime Monitoring's process (path, hash, user, lineage) and the
container image it ran in (EC2, ECS task or EKS workload) are read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import (
    EntityBag,
    get,
    ident,
    mapping,
    mappings,
    number,
    text,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "GuardDutyNormalizer"]

# Resource detail blocks whose ARN names the affected resource.
_RESOURCE_ARNS = (
    ("eksClusterDetails", "arn"),
    ("ecsClusterDetails", "arn"),
    ("lambdaDetails", "functionArn"),
    ("rdsDbInstanceDetails", "dbInstanceArn"),
)
# Actions whose remoteIpDetails is the caller.
_CALLER_ACTIONS = (
    "awsApiCallAction",
    "kubernetesApiCallAction",
    "rdsLoginAttemptAction",
)


def _finding(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    detail = mapping(obj, "detail")
    if obj.get("source") == "aws.guardduty" and detail is not None:
        return detail
    arn = text(obj, "arn") or ""
    if ":guardduty:" in arn and "/finding/" in arn and "type" in obj:
        return obj
    return None


def _severity(value: int | float | None) -> Severity:
    # GuardDuty's published bands: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0.
    if value is None:
        return Severity.MEDIUM
    for floor, level in ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH), (4.0, Severity.MEDIUM)):
        if value >= floor:
            return level
    return Severity.LOW if value >= 1.0 else Severity.INFORMATIONAL


def _add_remote(bag: EntityBag, details: object, role: str) -> None:
    bag.add(EntityKind.IP, text(details, "ipAddressV4"), role)
    bag.add(EntityKind.IP, text(details, "ipAddressV6"), role)


def _resource_entities(bag: EntityBag, finding: Mapping[str, Any]) -> None:
    resource = mapping(finding, "resource") or {}
    partition = text(finding, "partition") or "aws"
    region, account = text(finding, "region") or "", text(finding, "accountId") or ""
    instance = mapping(resource, "instanceDetails") or {}
    instance_id = text(instance, "instanceId")
    if instance_id is not None and region and account:
        arn = f"arn:{partition}:ec2:{region}:{account}:instance/{instance_id}"
        bag.add(EntityKind.CLOUD_RESOURCE, arn, "impacted")
    bag.add(EntityKind.CLOUD_RESOURCE, text(instance, "iamInstanceProfile", "arn"), "identity")
    for interface in mappings(instance, "networkInterfaces"):
        bag.add(EntityKind.HOST, text(interface, "privateDnsName"), "impacted")
        bag.add(EntityKind.IP, text(interface, "privateIpAddress"), "local")
        for private in mappings(interface, "privateIpAddresses"):
            bag.add(EntityKind.IP, text(private, "privateIpAddress"), "local")
        bag.add(EntityKind.IP, text(interface, "publicIp"), "public")
    access_key = mapping(resource, "accessKeyDetails") or {}
    bag.add(EntityKind.USER, text(access_key, "userName"), "actor")
    bag.add(
        EntityKind.USER,
        text(resource, "kubernetesDetails", "kubernetesUserDetails", "username"),
        "actor",
    )
    for bucket in mappings(resource, "s3BucketDetails"):
        name = text(bucket, "name")
        bucket_arn = text(bucket, "arn") or (f"arn:{partition}:s3:::{name}" if name else None)
        bag.add(EntityKind.CLOUD_RESOURCE, bucket_arn, "impacted")
    for block, key in _RESOURCE_ARNS:
        bag.add(EntityKind.CLOUD_RESOURCE, text(resource, block, key), "impacted")
    task = text(resource, "ecsClusterDetails", "taskDetails", "arn")
    bag.add(EntityKind.CLOUD_RESOURCE, task, "impacted")
    bag.add(EntityKind.USER, text(resource, "rdsDbUserDetails", "user"), "actor")
    for container in _containers(resource):
        bag.add(EntityKind.CLOUD_RESOURCE, text(container, "image"), "container_image")


def _containers(resource: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Runtime Monitoring names the container on EC2, in an ECS task or an EKS workload."""
    return (
        mappings(resource, "containerDetails")
        + mappings(resource, "ecsClusterDetails", "taskDetails", "containers")
        + mappings(resource, "kubernetesDetails", "kubernetesWorkloadDetails", "containers")
    )


def _service_entities(bag: EntityBag, finding: Mapping[str, Any]) -> None:
    service = mapping(finding, "service") or {}
    action = mapping(service, "action") or {}
    for name in _CALLER_ACTIONS:
        _add_remote(bag, get(action, name, "remoteIpDetails"), "source")
    api_call = mapping(action, "awsApiCallAction") or {}
    bag.add(EntityKind.DOMAIN, text(api_call, "domainDetails", "domain"), "source")
    affected = mapping(api_call, "affectedResources") or {}
    bag.add_all(EntityKind.CLOUD_RESOURCE, affected.values(), "affected")
    connection = mapping(action, "networkConnectionAction") or {}
    _add_remote(bag, get(connection, "remoteIpDetails"), "remote")
    _add_remote(bag, get(connection, "localIpDetails"), "local")
    for probe in mappings(action, "portProbeAction", "portProbeDetails"):
        _add_remote(bag, get(probe, "remoteIpDetails"), "remote")
    bag.add(EntityKind.DOMAIN, text(action, "dnsRequestAction", "domain"), "queried")
    for attempt in mappings(action, "rdsLoginAttemptAction", "loginAttributes"):
        bag.add(EntityKind.USER, text(attempt, "user"), "target")
    process = mapping(service, "runtimeDetails", "process") or {}
    bag.add(EntityKind.PROCESS, text(process, "executablePath") or text(process, "name"), "actor")
    bag.add(EntityKind.FILE, text(process, "executableSha256"), "image")
    bag.add(EntityKind.USER, text(process, "user"), "actor")
    # lineage runs from the parent upwards.
    for depth, ancestor in enumerate(mappings(process, "lineage")):
        command = text(ancestor, "executablePath") or text(ancestor, "name")
        bag.add(EntityKind.PROCESS, command, "parent" if depth == 0 else "ancestor")
    for intel in mappings(service, "evidence", "threatIntelligenceDetails"):
        bag.add(EntityKind.FILE, text(intel, "threatFileSha256"), "indicator")


class GuardDutyNormalizer:
    name = "aws_guardduty"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return _finding(obj) is not None

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        finding = _finding(obj)
        if finding is None:
            raise InputError("this is not an Amazon GuardDuty finding.")
        finding_type = text(finding, "type")
        arn = text(finding, "arn")
        finding_id = ident(finding, "id") or (arn.rsplit("/", 1)[-1] if arn else None)
        title = text(finding, "title") or finding_type
        created = parse_timestamp(finding.get("createdAt")) or parse_timestamp(obj.get("time"))
        if finding_id is None or title is None or created is None:
            raise InputError("a GuardDuty finding needs an id, a type or title, and createdAt.")
        bag = EntityBag()
        _resource_entities(bag, finding)
        _service_entities(bag, finding)
        severity = number(finding, "severity")
        return Alert(
            vendor=self.name,
            product="Amazon GuardDuty",
            vendor_alert_id=finding_id,
            title=title,
            description=text(finding, "description") or "",
            severity=_severity(severity),
            severity_raw=severity,
            created=created,
            category=finding_type,
            entities=bag.entities(),
            raw=obj,
        )


NORMALIZER = GuardDutyNormalizer()
