"""The SDK tests run against the same live server as the API tests."""

from tests.api.conftest import api_settings, clock, live

__all__ = ["api_settings", "clock", "live"]
