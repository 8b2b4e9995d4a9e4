"""The Python SDK: :class:`Client` and :class:`AsyncClient` over HTTP (httpx) only.

It needs a URL and a token, never the database or the keys. See docs/sdk.md.
"""

from __future__ import annotations

from affidavit.sdk.async_client import AsyncClient, AsyncProposal, AsyncStep
from affidavit.sdk.client import Client, Prepared, Proposal, Step
from affidavit.sdk.mapping import Mapped, ToolMap, ToolMapping

__all__ = [
    "AsyncClient",
    "AsyncProposal",
    "AsyncStep",
    "Client",
    "Mapped",
    "Prepared",
    "Proposal",
    "Step",
    "ToolMap",
    "ToolMapping",
]
