"""The REST API (``affidavit serve``): the boundary between agents and authority.

Agents, integrations and people hold only a URL and a bearer token; the server
holds the database and the keys. Every route authenticates the caller, checks
its role in :data:`affidavit.api.permissions.PERMISSIONS`, validates the
request and calls the Governor. See docs/api.md.
"""

from __future__ import annotations

from affidavit.api.app import app_from_environment, create_app
from affidavit.api.permissions import PERMISSIONS, api_roles
from affidavit.api.settings import ApiSettings, load_api_settings

__all__ = [
    "PERMISSIONS",
    "ApiSettings",
    "api_roles",
    "app_from_environment",
    "create_app",
    "load_api_settings",
]
