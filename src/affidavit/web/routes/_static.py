"""Our own CSS and JS, and the chart library's bundle from its Python package (no CDN:
the console works offline)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, Path, Response

from affidavit.errors import NotFound
from affidavit.web._http import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute)

_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_OWN = ("console.css", "queue.js", "health.js")
CHART_BUNDLE = "plotly.min.js"


@cache
def _read(name: str) -> bytes:
    if name == CHART_BUNDLE:
        return (resources.files("plotly") / "package_data" / CHART_BUNDLE).read_bytes()
    return (resources.files("affidavit.web") / "static" / name).read_bytes()


@router.get("/static/{name}", name="console.static")
async def static(name: str = Path(max_length=64)) -> Response:
    if name not in _OWN and name != CHART_BUNDLE:
        raise NotFound("no such console asset")
    suffix = name[name.rfind(".") :]
    return Response(
        _read(name),
        media_type=_TYPES[suffix],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
