"""`GET /board` and its assets: plain HTML, CSS and JavaScript modules from `static/`, no build step, no CDN.

The files are public (they hold no tenant's data); everything the page shows it reads from the API with the key
the user signs in with, sent in the `Authorization` header, never in a URL.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

router = APIRouter(include_in_schema=False)

# The files served, by name, and their media types: nothing else of the folder is reachable.
ASSETS = {
    "board.css": "text/css",
    "board.js": "text/javascript",
    "api.js": "text/javascript",
    "stream.js": "text/javascript",
    "view.js": "text/javascript",
    "map.js": "text/javascript",
}
HEADERS = {
    # Revalidated each time: a new release's page never runs an old module.
    "Cache-Control": "no-cache",
    # Scripts, styles and calls only from this origin; no inline script, no framing, no referrer.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _folder() -> Path:
    return Path(str(files("incidenthub.board") / "static"))


@router.get("/board")
async def board_page() -> FileResponse:
    return FileResponse(_folder() / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get("/board/{name}")
async def board_asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise StarletteHTTPException(404, f"no board asset named {name!r}")
    return FileResponse(_folder() / name, media_type=f"{media_type}; charset=utf-8", headers=HEADERS)
