"""One error hierarchy for everything Affidavit raises on purpose.

Every error carries a short machine-readable ``code`` and a message written for
the person who has to act on it. The CLI prints ``error: <message>`` and exits
with ``exit_code``; the API maps ``http_status`` into a JSON error body
``{"error": {"code", "message"}}`` and the SDK raises the same classes again.
"""

from __future__ import annotations

__all__ = [
    "AffidavitError",
    "AuthError",
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
]


class AffidavitError(Exception):
    """Base of every error Affidavit raises deliberately."""

    code = "affidavit_error"
    http_status = 500
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(AffidavitError, ValueError):
    """Input that is malformed, oversized or otherwise not acceptable."""

    code = "invalid_input"
    http_status = 400
    exit_code = 2


class VerificationError(AffidavitError):
    """A proof, signature, hash or ledger check did not hold."""

    code = "verification_failed"
    http_status = 422
    exit_code = 1


class NotFound(AffidavitError, LookupError):
    code = "not_found"
    http_status = 404
    exit_code = 3


class Conflict(AffidavitError):
    """The request is well formed but clashes with the current state."""

    code = "conflict"
    http_status = 409
    exit_code = 4


class AuthError(AffidavitError):
    """Missing, invalid, expired or insufficient credentials."""

    code = "unauthorized"
    http_status = 401
    exit_code = 5


class PolicyError(AffidavitError):
    """A policy could not be evaluated or refused the request."""

    code = "policy_error"
    http_status = 403
    exit_code = 6


class ConfigError(AffidavitError):
    """Settings, key files or the database are not usable as configured."""

    code = "config_error"
    http_status = 500
    exit_code = 7


class StorageError(AffidavitError):
    """The database refused or lost a write; nothing was acknowledged."""

    code = "storage_error"
    http_status = 503
    exit_code = 8


class Forbidden(PolicyError):
    """Authenticated, but this identity's roles do not allow the request."""

    code = "forbidden"
    http_status = 403


class TooLarge(InputError):
    """A request body over the configured size limit."""

    code = "too_large"
    http_status = 413


class RateLimited(AffidavitError):
    """Too many requests from one identity; retry after ``retry_after`` seconds."""

    code = "rate_limited"
    http_status = 429
    exit_code = 9

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
