"""`/docs` (Swagger UI) and `/redoc` (ReDoc) with every script and style served by incidenthub itself.

FastAPI's own pages load them, and ReDoc's fonts, from public CDNs: on a network without internet access
(a 911 centre's) they are blank. The assets come from the PyPI package `fastapi-offline`, which ships the
current Swagger UI and ReDoc bundles; upgrading it upgrades them. Nothing here reaches another host.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

ASSETS_PATH = "/docs/assets"
# The files served, by name, and their media types: nothing else of the package's folder is reachable.
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}


def _assets_folder() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """Add `/docs`, `/redoc` and their assets to an app created with `docs_url=None, redoc_url=None`."""
    folder = _assets_folder()
    missing = [name for name in _ASSETS if not (folder / name).is_file()]
    if missing:  # a broken install: say so at start, not with a blank page later
        raise RuntimeError(f"fastapi-offline is installed without {', '.join(missing)} in {folder}")
    favicon = f"{ASSETS_PATH}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
            oauth2_redirect_url=None,
            # Swagger UI's default asks validator.swagger.io to check the document: not from here.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        media_type = _ASSETS.get(name)
        if media_type is None:
            raise StarletteHTTPException(404, f"no documentation asset named {name!r}")
        return FileResponse(folder / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
