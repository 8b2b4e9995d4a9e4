"""The adapters run real small graphs and agents against the live API and the scripted
OpenAI-compatible upstream of the gateway tests (no real model)."""

from tests.gateway.conftest import api_settings, clock, live, model_gateway, upstream

__all__ = ["api_settings", "clock", "live", "model_gateway", "upstream"]
