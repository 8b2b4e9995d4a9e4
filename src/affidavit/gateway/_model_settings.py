"""The model gateway's settings, checked on construction."""

from __future__ import annotations

from dataclasses import dataclass, field

from affidavit.errors import InputError
from affidavit.sdk.mapping import ToolMapping

__all__ = ["ModelGatewaySettings", "check_case"]

_CASE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")


@dataclass(frozen=True)
class ModelGatewaySettings:
    upstream: str
    """The upstream's OpenAI base URL, e.g. https://api.openai.com/v1 or http://vllm:8000/v1."""
    affidavit_url: str
    upstream_key: str | None = field(default=None, repr=False)
    case: str = "gateway"
    """The case of steps whose request names none (header X-Affidavit-Case)."""
    model_version: str = "unspecified"
    timeout_s: float = 120.0
    max_body_bytes: int = 8 * 1024 * 1024
    mapping: ToolMapping | None = None
    """When set, tool calls the model emits become proposals (linked to the step)."""

    def __post_init__(self) -> None:
        if not self.upstream.startswith(("http://", "https://")):
            raise InputError("the upstream must be an http:// or https:// URL")
        if not self.affidavit_url.startswith(("http://", "https://")):
            raise InputError("the Affidavit URL must be an http:// or https:// URL")
        if not 0 < self.timeout_s <= 3600:
            raise InputError("the upstream timeout must be between 0 and 3600 seconds")
        check_case(self.case)


def check_case(case: str) -> str:
    if not 0 < len(case) <= 128 or not set(case) <= _CASE_CHARS or not case[0].isalnum():
        raise InputError(
            "a case id is 1-128 letters, digits or ._:- starting with one of the first"
        )
    return case
