"""Microsoft Graph security ``alert`` (``/security/alerts_v2``): the Defender XDR
alert API, with ``evidence`` entities typed by ``@odata.type``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import (
    EntityBag,
    ident,
    joined_path,
    mapping,
    mappings,
    techniques_in,
    text,
    texts,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["is_graph_alert", "normalize_graph_alert"]

_ODATA_ALERT = "#microsoft.graph.security.alert"
_SEVERITY = {
    "informational": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
}
# serviceSource values -> product names.
_PRODUCTS = {
    "microsoftdefenderforendpoint": "Microsoft Defender for Endpoint",
    "microsoftdefenderforidentity": "Microsoft Defender for Identity",
    "microsoftdefenderforcloudapps": "Microsoft Defender for Cloud Apps",
    "microsoftdefenderforoffice365": "Microsoft Defender for Office 365",
    "microsoft365defender": "Microsoft Defender XDR",
    "azureadidentityprotection": "Microsoft Entra ID Protection",
    "microsoftappgovernance": "Microsoft app governance",
    "datalossprevention": "Microsoft Purview Data Loss Prevention",
    "microsoftdefenderforcloud": "Microsoft Defender for Cloud",
    "microsoftsentinel": "Microsoft Sentinel",
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def is_graph_alert(obj: Mapping[str, Any]) -> bool:
    if obj.get("@odata.type") == _ODATA_ALERT:
        return True
    return (
        isinstance(obj.get("id"), str)
        and "createdDateTime" in obj
        and "serviceSource" in obj
        and "alertCreationTime" not in obj
    )


def _role(item: Mapping[str, Any], default: str) -> str:
    """The evidence's first role (``compromised``, ``attacker``...) in snake case."""
    roles = texts(item, "roles")
    if not roles or not roles[0].isascii() or not roles[0].isalnum():
        return default
    return _CAMEL.sub("_", roles[0]).lower()[:32]


def _add_account(bag: EntityBag, account: object, role: str) -> None:
    upn = text(account, "userPrincipalName")
    if upn is not None:
        bag.add(EntityKind.USER, upn, role)
    else:
        bag.add_user(text(account, "accountName"), text(account, "domainName"), role)
    bag.add(EntityKind.USER, text(account, "userSid"), role)


def _add_file(bag: EntityBag, details: object, role: str) -> None:
    for key in ("sha256", "sha1"):
        digest = text(details, key)
        if digest is not None:
            bag.add(EntityKind.FILE, digest, role)
            return


def _file_path(details: object) -> str | None:
    return joined_path(text(details, "filePath"), text(details, "fileName"))


def _add_device(bag: EntityBag, item: Mapping[str, Any], role: str) -> None:
    bag.add(EntityKind.HOST, text(item, "deviceDnsName") or text(item, "hostName"), role)
    bag.add_all(EntityKind.IP, texts(item, "ipInterfaces"), "local")
    for user in mappings(item, "loggedOnUsers"):
        _add_account(bag, user, "logged_on")
    bag.add(EntityKind.CLOUD_RESOURCE, text(item, "vmMetadata", "resourceId"), role)


def _add_process(bag: EntityBag, item: Mapping[str, Any], role: str) -> None:
    image = mapping(item, "imageFile")
    command = text(item, "processCommandLine") or _file_path(image)
    bag.add(EntityKind.PROCESS, command, "actor" if role == "related" else role)
    _add_file(bag, image, "image")
    parent = mapping(item, "parentProcessImageFile")
    bag.add(EntityKind.PROCESS, _file_path(parent), "parent")
    _add_file(bag, parent, "parent_image")
    _add_account(bag, mapping(item, "userAccount"), "actor")


def _add_message(bag: EntityBag, item: Mapping[str, Any]) -> None:
    bag.add(EntityKind.IP, text(item, "senderIp"), "source")
    for sender in ("p1Sender", "p2Sender"):
        bag.add(EntityKind.EMAIL, text(item, sender, "emailAddress"), "sender")
    bag.add(EntityKind.EMAIL, text(item, "recipientEmailAddress"), "recipient")
    bag.add_all(EntityKind.URL, texts(item, "urls"), "embedded")


def _add_evidence(bag: EntityBag, item: Mapping[str, Any]) -> None:
    kind = (text(item, "@odata.type") or "").rsplit(".", 1)[-1]
    role = _role(item, "related")
    if kind == "deviceEvidence":
        _add_device(bag, item, "impacted" if role == "related" else role)
    elif kind == "processEvidence":
        _add_process(bag, item, role)
    elif kind == "fileEvidence":
        _add_file(bag, mapping(item, "fileDetails"), "artifact")
    elif kind == "userEvidence":
        _add_account(bag, mapping(item, "userAccount"), role)
    elif kind == "ipEvidence":
        bag.add(EntityKind.IP, text(item, "ipAddress"), role)
    elif kind == "urlEvidence":
        bag.add(EntityKind.URL, text(item, "url"), role)
    elif kind == "mailboxEvidence":
        bag.add(EntityKind.EMAIL, text(item, "primaryAddress"), role)
        bag.add(EntityKind.USER, text(item, "upn"), role)
        _add_account(bag, mapping(item, "userAccount"), role)
    elif kind == "analyzedMessageEvidence":
        _add_message(bag, item)
    elif kind == "cloudApplicationEvidence":
        name = text(item, "instanceName") or text(item, "displayName")
        bag.add(EntityKind.CLOUD_RESOURCE, name, "application")
    elif kind == "dnsEvidence":
        bag.add(EntityKind.DOMAIN, text(item, "domainName"), role)
    elif kind == "azureResourceEvidence":
        bag.add(EntityKind.CLOUD_RESOURCE, text(item, "resourceId"), role)
    elif kind == "amazonResourceEvidence":
        bag.add(EntityKind.CLOUD_RESOURCE, text(item, "amazonResourceId"), role)
    elif kind == "googleCloudResourceEvidence":
        bag.add(EntityKind.CLOUD_RESOURCE, text(item, "fullResourceName"), role)
    # Registry keys and values, security groups, OAuth apps... have no entity kind
    # in the model; their fields are reported as unmapped.


def _product(source: str | None) -> str:
    if source is None:
        return "Microsoft Defender XDR"
    return _PRODUCTS.get(source.lower(), f"Microsoft Defender XDR ({source})")


def normalize_graph_alert(obj: Mapping[str, Any], vendor: str) -> Alert:
    alert_id, title = ident(obj, "id"), text(obj, "title")
    created = parse_timestamp(obj.get("createdDateTime")) or parse_timestamp(
        obj.get("firstActivityDateTime")
    )
    if alert_id is None or title is None or created is None:
        raise InputError("a Microsoft Graph security alert needs an id, a title and a time.")
    bag = EntityBag()
    for item in mappings(obj, "evidence"):
        _add_evidence(bag, item)
    severity = text(obj, "severity")
    return Alert(
        vendor=vendor,
        product=_product(text(obj, "serviceSource")),
        vendor_alert_id=alert_id,
        title=title,
        description=text(obj, "description") or "",
        # "unknown" and unknown values become medium: neither dismissed nor inflated.
        severity=_SEVERITY.get((severity or "").lower(), Severity.MEDIUM),
        severity_raw=severity,
        created=created,
        category=text(obj, "category"),
        techniques=tuple(techniques_in(obj.get("mitreTechniques"))),
        entities=bag.entities(),
        raw=obj,
    )
