"""The API's documentation pages, served from files installed with MIMS.

FastAPI's `/docs` and strawberry's GraphiQL load their scripts from public CDNs, so on a
plant network without internet access both were blank pages. Swagger UI, GraphiQL and
React are kept in ``static/`` with their licences (``static/README.md`` names the
versions and how to update them) and served at ``/api-docs/``; `/docs` and GraphiQL's
page (``graphiql_page()``, handed to the GraphQL router) load only those. ReDoc is not
served: one documentation page is enough, and it too came from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
MOUNT = "/api-docs"


def graphiql_page() -> str:
    """GraphiQL's HTML page, which loads its scripts from ``/api-docs/``."""
    return (STATIC / "graphiql.html").read_text(encoding="utf-8")


def install_api_docs(app: FastAPI) -> None:
    """Serve the files at /api-docs/ and Swagger UI at /docs; build ``app`` with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not served too."""
    app.mount(MOUNT, StaticFiles(directory=STATIC), name="api-docs")
    swagger = f"{MOUNT}/swagger-ui"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API documentation",
            swagger_js_url=f"{swagger}/swagger-ui-bundle.js",
            swagger_css_url=f"{swagger}/swagger-ui.css",
            swagger_favicon_url=f"{swagger}/favicon-32x32.png",
            # No badge from the public validator service.
            swagger_ui_parameters={"validatorUrl": None},
        )
