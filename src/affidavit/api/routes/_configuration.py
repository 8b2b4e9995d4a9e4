"""The governance configuration: the one in force, its history, publishing (admin).

Transport only: the Governor validates the YAML (400 naming the first bad key,
nothing written) and ledgers the publication under the calling admin.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response

from affidavit.api._respond import create, governor, run
from affidavit.api.auth import Caller, allow
from affidavit.api.models import ConfigurationIn
from affidavit.api.pagination import Page, PageParams, page_of_list
from affidavit.governance.configuration import Configuration

router = APIRouter(tags=["configuration"])

ConfigHash = Path(pattern=r"^[0-9a-f]{64}$")


def _configuration(config: Configuration) -> dict[str, Any]:
    return {
        "config_hash": config.hash,
        "catalog_hash": config.catalog_hash,
        "built_in": config.hash == Configuration.default().hash,
        "settings": config.settings(),
        "text": config.text,
    }


@router.get("/configuration", response_model=dict[str, Any], name="configuration.show")
async def show_configuration(
    request: Request, caller: Caller = Depends(allow("configuration.show"))
) -> dict[str, Any]:
    """The configuration in force (the built-in one until one is published)."""
    return _configuration(await run(governor(request).configuration))


@router.get(
    "/configuration/versions",
    response_model=Page[dict[str, Any]],
    name="configuration.history",
)
async def configuration_history(
    request: Request,
    paging: PageParams = Depends(),
    caller: Caller = Depends(allow("configuration.history")),
) -> dict[str, Any]:
    """Every configuration published, oldest first (the last is in force)."""
    return page_of_list(await run(governor(request).configuration_history), "published_seq", paging)


@router.get(
    "/configuration/versions/{config_hash}",
    response_model=dict[str, Any],
    name="configuration.version",
)
async def configuration_version(
    request: Request,
    config_hash: str = ConfigHash,
    caller: Caller = Depends(allow("configuration.version")),
) -> dict[str, Any]:
    """A configuration published in this ledger, or the built-in one, by its hash."""
    return _configuration(await run(governor(request).configuration_by_hash, config_hash))


@router.post(
    "/configuration", status_code=201, response_model=dict[str, str], name="configuration.publish"
)
async def publish_configuration(
    body: ConfigurationIn,
    request: Request,
    caller: Caller = Depends(allow("configuration.publish")),
) -> Response:
    """Validate a configuration (YAML) and put it in force; 400 names the first bad key."""
    gov = governor(request)

    def fn() -> dict[str, str]:
        digest = gov.publish_configuration(body.text, token=caller.token)
        return {
            "config_hash": digest,
            "catalog_hash": gov.configuration_by_hash(digest).catalog_hash,
        }

    return await create(request, caller, fn)
