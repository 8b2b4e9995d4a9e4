"""Affidavit in the path: gateways that agents talk to instead of their model and tools.

The gateways are clients of the Affidavit API (``affidavit serve``): they hold no
database and no keys, only the agent's token, and record every call as a step
through the SDK. See docs/gateways.md.
"""

from __future__ import annotations

from affidavit.gateway.model import ModelGatewaySettings, create_model_gateway
from affidavit.sdk.mapping import Mapped, ToolMap, ToolMapping

__all__ = ["Mapped", "ModelGatewaySettings", "ToolMap", "ToolMapping", "create_model_gateway"]
