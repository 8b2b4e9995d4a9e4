"""Affidavit: the governance layer for AI-driven security operations.

AI agents propose; people with authority decide; only the executor acts; and a
tamper-evident ledger (RFC 6962 Merkle tree, signed C2SP checkpoints) proves
afterwards why every AI-influenced action was taken, rejected or overridden.
"""

from affidavit.errors import (
    AffidavitError,
    AuthError,
    ConfigError,
    Conflict,
    InputError,
    NotFound,
    PolicyError,
    StorageError,
    VerificationError,
)

__version__ = "0.1.0"

__all__ = [
    "AffidavitError",
    "AuthError",
    "ConfigError",
    "Conflict",
    "InputError",
    "NotFound",
    "PolicyError",
    "StorageError",
    "VerificationError",
    "__version__",
]
