"""Data protection: detect sensitive values (secrets, credentials, personal data,
financial data, internal identifiers) in text, as typed spans, and treat them
(allow, tokenize, mask or block) per identity and model under a Cedar data policy.

    >>> from affidavit.protect import scan
    >>> [(f.kind, f.start, f.end) for f in scan("key AKIAIOSFODNN7EXAMPLE")]
    [('aws_access_key_id', 4, 24)]
"""

from __future__ import annotations

from affidavit.protect.config import MAX_INPUT_CHARS, ScanConfig
from affidavit.protect.data_policy import (
    DataDecision,
    DataPolicy,
    DataPrincipal,
    Treatment,
    default_data_policy_text,
)
from affidavit.protect.detector import CustomFind, Detector, Kind, Pattern, Validator
from affidavit.protect.detectors import BUILTIN_DETECTORS
from affidavit.protect.fields import HOSTNAME_FIELDS, PEER_HOST_FIELDS
from affidavit.protect.finding import DataClass, Finding
from affidavit.protect.presidio import presidio_detector
from affidavit.protect.registry import ENTRY_POINT_GROUP, load_detectors, merge_detectors
from affidavit.protect.scanner import EngineName, Scanner, default_scanner, scan
from affidavit.protect.tokens import (
    MemoryTokenStore,
    SqlTokenStore,
    Tokenizer,
    TokenRecord,
    TokenStore,
    find_tokens,
)
from affidavit.protect.treatments import (
    Treated,
    TreatedJSON,
    apply,
    protect_json,
    protect_text,
)

__all__ = [
    "BUILTIN_DETECTORS",
    "ENTRY_POINT_GROUP",
    "HOSTNAME_FIELDS",
    "MAX_INPUT_CHARS",
    "PEER_HOST_FIELDS",
    "CustomFind",
    "DataClass",
    "DataDecision",
    "DataPolicy",
    "DataPrincipal",
    "Detector",
    "EngineName",
    "Finding",
    "Kind",
    "MemoryTokenStore",
    "Pattern",
    "ScanConfig",
    "Scanner",
    "SqlTokenStore",
    "TokenRecord",
    "TokenStore",
    "Tokenizer",
    "Treated",
    "TreatedJSON",
    "Treatment",
    "Validator",
    "apply",
    "default_data_policy_text",
    "default_scanner",
    "find_tokens",
    "load_detectors",
    "merge_detectors",
    "presidio_detector",
    "protect_json",
    "protect_text",
    "scan",
]
