"""The interactive API docs, /docs (Swagger UI) and /redoc, served with their JavaScript, CSS
and icon from this app: they work without internet access.

FastAPI's own pages load those files from a CDN. These are its pages with the self-hosted files
of https://fastapi.tiangolo.com/how-to/custom-docs-ui-assets/, taken from the fastapi-offline
package (https://github.com/turettn/fastapi_offline), which ships Swagger UI's and ReDoc's builds.
"""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
# The folder of fastapi-offline's files (swagger-ui-bundle.js, swagger-ui.css,
# redoc.standalone.js, favicon.png), as a (package, folder) pair of StaticFiles.
ASSETS_PACKAGE = ("fastapi_offline", "static")


def add_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs and ReDoc at /redoc, both showing `app.openapi_url`."""
    assert app.openapi_url and app.swagger_ui_oauth2_redirect_url
    openapi_url = app.openapi_url
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url  # where Swagger UI's login returns
    app.mount(ASSETS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=root + oauth2_redirect_url,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        oauth2_redirect_url, swagger_ui_oauth2_redirect, methods=["GET"], include_in_schema=False
    )
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
