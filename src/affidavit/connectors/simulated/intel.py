"""Simulated threat intelligence: reputations for IPs, domains and file hashes.

No network, ever. Answers are derived from a hash of the indicator, so the
same indicator always gets the same answer. For the demo, addresses in the
documentation ranges (RFC 5737 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
and RFC 3849 2001:db8::/32) and names under the RFC 2606 example domains
(example.com, example.net, example.org) are "malicious"; hash-derived answers
for other addresses and domains are at worst "suspicious". ASNs come from the
documentation range (RFC 5398).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from sqlalchemy import Connection

from affidavit.connectors._checks import optional_text_list, preview
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.simulated._base import SimulatedConnector, succeeded
from affidavit.connectors.simulated._values import digest_int, domain_name, file_hash, ip_address
from affidavit.errors import InputError
from affidavit.store.engine import Database

__all__ = ["DEMO_MALICIOUS_DOMAINS", "DEMO_MALICIOUS_NETWORKS", "SimulatedIntel", "create"]

DEMO_MALICIOUS_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
DEMO_MALICIOUS_DOMAINS = ("example.com", "example.net", "example.org")
_SOURCE = re.compile(r"[a-z0-9_-]{1,32}")
_IP_CATEGORIES = ("c2", "scanner", "phishing_host", "botnet", "proxy")
_DOMAIN_CATEGORIES = ("phishing", "malware_distribution", "c2", "newly_registered")
_FAMILIES = ("AgentTesla", "Emotet", "QakBot", "LockBit", "RedLine", "Cobalt Strike")
_COUNTRIES = ("NL", "US", "DE", "SG", "BR", "GB", "FR", "JP")
_ENGINES = 72


def _graded(score: int) -> str:
    return "suspicious" if score >= 50 else "unknown" if score >= 20 else "benign"


def ip_reputation(address: str) -> dict[str, Any]:
    ip = ipaddress.ip_address(address)
    seed = digest_int("intel-ip", address)
    if any(ip in net for net in DEMO_MALICIOUS_NETWORKS):
        verdict, score = "malicious", 90 + seed % 10
        category: str | None = _IP_CATEGORIES[seed % len(_IP_CATEGORIES)]
    elif not ip.is_global:
        return {"indicator": address, "verdict": "benign", "score": 0, "category": "internal"}
    else:
        score = seed % 70
        verdict, category = _graded(score), None
    return {
        "indicator": address,
        "verdict": verdict,
        "score": score,
        "category": category,
        "asn": 64496 + (seed >> 16) % 16,
        "country": _COUNTRIES[(seed >> 24) % len(_COUNTRIES)],
    }


def domain_reputation(domain: str) -> dict[str, Any]:
    seed = digest_int("intel-domain", domain)
    if any(domain == d or domain.endswith("." + d) for d in DEMO_MALICIOUS_DOMAINS):
        verdict, score, age = "malicious", 90 + seed % 10, seed % 30
        category: str | None = _DOMAIN_CATEGORIES[seed % len(_DOMAIN_CATEGORIES)]
    else:
        score, age, category = seed % 70, 30 + seed % 4000, None
        verdict = _graded(score)
    return {
        "indicator": domain,
        "verdict": verdict,
        "score": score,
        "category": category,
        "registered_days_ago": age,
    }


def hash_reputation(sha: str) -> dict[str, Any]:
    seed = digest_int("intel-file", sha)
    bucket = seed % 4
    if bucket == 0:
        detections = 30 + seed % 40
        return {
            "indicator": sha,
            "verdict": "malicious",
            "score": 80 + seed % 20,
            "family": _FAMILIES[(seed >> 8) % len(_FAMILIES)],
            "detections": f"{detections}/{_ENGINES}",
        }
    score = (seed >> 8) % 70
    return {
        "indicator": sha,
        "verdict": _graded(score),
        "score": score,
        "family": None,
        "detections": f"{score // 20}/{_ENGINES}",
    }


class SimulatedIntel(SimulatedConnector):
    name = "intel"

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self._register("enrich_ip_reputation", ["ip"], self._enrich_ip)
        self._register("enrich_domain_reputation", ["domain"], self._enrich_domain)
        self._register("enrich_hash_reputation", ["file"], self._enrich_hash)

    def _enrich_ip(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        return self._answer(request, ip_reputation(ip_address(request.target_id)))

    def _enrich_domain(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        return self._answer(request, domain_reputation(domain_name(request.target_id)))

    def _enrich_hash(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        return self._answer(request, hash_reputation(file_hash(request.target_id)))

    @staticmethod
    def _answer(request: ActionRequest, facts: dict[str, Any]) -> ActionResult:
        sources = optional_text_list(request.params, "sources", max_items=16, max_len=32)
        for source in sources or ():
            if _SOURCE.fullmatch(source) is None:
                raise InputError(f"intel source {preview(source)} is not a lowercase source name.")
        return succeeded({**facts, "sources": sources or ["simulated"], "changed": False})


def create(context: ConnectorContext) -> SimulatedIntel:
    """Entry-point factory."""
    return SimulatedIntel(context.db)
