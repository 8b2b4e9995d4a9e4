"""Entities of CrowdStrike Falcon detections: the PascalCase streaming events and
the snake_case Detects / Alerts API records (endpoint and Identity Protection)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.intake._fields import EntityBag, mapping, mappings, text
from affidavit.intake.model import EntityKind

__all__ = ["api_entities", "event_entities"]

_IOC_KINDS = {
    "hash_sha256": EntityKind.FILE,
    "hash_md5": EntityKind.FILE,
    "sha256": EntityKind.FILE,
    "md5": EntityKind.FILE,
    "domain": EntityKind.DOMAIN,
    "ipv4": EntityKind.IP,
    "ipv6": EntityKind.IP,
}


def _first(record: object, *keys: str) -> str | None:
    for key in keys:
        value = text(record, key)
        if value is not None:
            return value
    return None


def _add_hash(bag: EntityBag, record: object, keys: tuple[str, ...], role: str) -> None:
    # One entity per file: the strongest hash given; all-zero hashes mean "unknown".
    for key in keys:
        digest = text(record, key)
        if digest is not None and digest.strip("0"):
            bag.add(EntityKind.FILE, digest, role)
            return


def _add_ioc(bag: EntityBag, ioc_type: str | None, value: str | None) -> None:
    kind = _IOC_KINDS.get((ioc_type or "").lower())
    if kind is not None:
        bag.add(kind, value, "indicator")


def _add_account(
    bag: EntityBag, record: object, keys: tuple[str, str, str, str], role: str
) -> None:
    """One user: by UPN when given, else ``DOMAIN\\name``; and its SID."""
    upn_key, name_key, domain_key, sid_key = keys
    upn = text(record, upn_key)
    if upn is not None:
        bag.add(EntityKind.USER, upn, role)
    else:
        bag.add_user(text(record, name_key), text(record, domain_key), role)
    bag.add(EntityKind.USER, text(record, sid_key), role)


def event_entities(event: Mapping[str, Any]) -> EntityBag:
    """``DetectionSummaryEvent``, ``EppDetectionSummaryEvent``, ``IdpDetectionSummaryEvent``."""
    bag = EntityBag()
    bag.add(EntityKind.HOST, _first(event, "ComputerName", "Hostname"), "impacted")
    _add_account(bag, event, ("UserPrincipal", "UserName", "LogonDomain", "UserSid"), "actor")
    bag.add(EntityKind.IP, text(event, "LocalIP"), "local")
    bag.add(EntityKind.IP, text(event, "LocalIPv6"), "local")
    bag.add(EntityKind.IP, text(event, "ExternalIP"), "public")
    bag.add(EntityKind.PROCESS, _first(event, "CommandLine", "FileName"), "actor")
    parent = _first(event, "ParentCommandLine", "ParentImageFilePath", "ParentImageFileName")
    bag.add(EntityKind.PROCESS, parent, "parent")
    grandparent = _first(
        event,
        "GrandparentCommandLine",
        "GrandParentCommandLine",
        "GrandparentImageFilePath",
        "GrandParentImageFilePath",
        "GrandparentImageFileName",
        "GrandParentImageFileName",
    )
    bag.add(EntityKind.PROCESS, grandparent, "grandparent")
    _add_hash(bag, event, ("SHA256String", "SHA1String", "MD5String"), "image")
    _add_ioc(bag, text(event, "IOCType"), text(event, "IOCValue"))
    for access in mappings(event, "NetworkAccesses"):
        bag.add(EntityKind.IP, text(access, "RemoteAddress"), "remote")
        bag.add(EntityKind.IP, text(access, "LocalAddress"), "local")
    for request in mappings(event, "DnsRequests"):
        bag.add(EntityKind.DOMAIN, text(request, "DomainName"), "queried")
    # Identity Protection (IdpDetectionSummaryEvent): who signed in from where, to what.
    source = (
        "SourceAccountUpn",
        "SourceAccountName",
        "SourceAccountDomain",
        "SourceAccountObjectSid",
    )
    _add_account(bag, event, source, "actor")
    bag.add(EntityKind.HOST, text(event, "SourceEndpointHostName"), "source")
    bag.add(EntityKind.IP, text(event, "SourceEndpointIpAddress"), "source")
    bag.add(EntityKind.USER, text(event, "TargetAccountName"), "target")
    bag.add(EntityKind.HOST, text(event, "TargetEndpointHostName"), "target")
    return bag


def _add_process_details(bag: EntityBag, details: object, role: str) -> None:
    command = _first(details, "cmdline", "parent_cmdline", "filepath", "filename")
    bag.add(EntityKind.PROCESS, command, role)
    _add_hash(bag, details, ("sha256", "parent_sha256", "md5", "parent_md5"), f"{role}_image")


def _add_identity(bag: EntityBag, record: Mapping[str, Any]) -> None:
    """Identity Protection fields of an Alerts API record (``product: idp``)."""
    source = (
        "source_account_upn",
        "source_account_name",
        "source_account_domain",
        "source_account_object_sid",
    )
    _add_account(bag, record, source, "actor")
    bag.add(EntityKind.HOST, text(record, "source_endpoint_host_name"), "source")
    for key in (
        "source_endpoint_address_ip4",
        "source_endpoint_address_ip6",
        "source_endpoint_ip_address",
    ):
        bag.add(EntityKind.IP, text(record, key), "source")
    bag.add(EntityKind.USER, text(record, "target_account_name"), "target")
    bag.add(EntityKind.USER, text(record, "target_account_object_sid"), "target")
    bag.add(EntityKind.HOST, text(record, "target_endpoint_host_name"), "target")
    bag.add(EntityKind.URL, text(record, "sso_application_uri"), "target")


def api_entities(obj: Mapping[str, Any], behaviors: list[Mapping[str, Any]]) -> EntityBag:
    bag = EntityBag()
    device = mapping(obj, "device") or {}
    bag.add(EntityKind.HOST, text(device, "hostname"), "impacted")
    bag.add(EntityKind.IP, text(device, "local_ip"), "local")
    bag.add(EntityKind.IP, text(device, "external_ip"), "public")
    for behavior in behaviors:
        account = ("user_principal", "user_name", "logon_domain", "user_id")
        _add_account(bag, behavior, account, "actor")
        command = _first(behavior, "cmdline", "filepath", "filename")
        bag.add(EntityKind.PROCESS, command, "actor")
        _add_hash(bag, behavior, ("sha256", "sha1", "md5"), "image")
        _add_process_details(bag, mapping(behavior, "parent_details"), "parent")
        _add_process_details(bag, mapping(behavior, "grandparent_details"), "grandparent")
        _add_ioc(bag, text(behavior, "ioc_type"), text(behavior, "ioc_value"))
        for access in mappings(behavior, "network_accesses"):
            bag.add(EntityKind.IP, text(access, "remote_address"), "remote")
            bag.add(EntityKind.IP, text(access, "local_address"), "local")
        for request in mappings(behavior, "dns_requests"):
            bag.add(EntityKind.DOMAIN, text(request, "domain_name"), "queried")
    _add_identity(bag, obj)
    return bag
