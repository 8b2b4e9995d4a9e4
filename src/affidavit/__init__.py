"""Affidavit: the governance layer for AI-driven security operations.

AI agents propose; people with authority decide; only the executor acts; and a
tamper-evident ledger (RFC 6962 Merkle tree, signed C2SP checkpoints) proves
afterwards why every AI-influenced action was taken, rejected or overridden.
"""

from typing import TYPE_CHECKING, Any

from affidavit.errors import (
    AffidavitError,
    AuthError,
    ConfigError,
    Conflict,
    Forbidden,
    InputError,
    NotFound,
    PolicyError,
    RateLimited,
    StorageError,
    TooLarge,
    VerificationError,
)

if TYPE_CHECKING:
    from affidavit.sdk import AsyncClient, Client

__version__ = "0.1.0"

__all__ = [
    "AffidavitError",
    "AsyncClient",
    "AuthError",
    "Client",
    "ConfigError",
    "Conflict",
    "Forbidden",
    "InputError",
    "NotFound",
    "PolicyError",
    "RateLimited",
    "StorageError",
    "TooLarge",
    "VerificationError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # The SDK loads on first use: the CLI and the server do not need it.
    if name in ("Client", "AsyncClient"):
        from affidavit import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'affidavit' has no attribute {name!r}")
