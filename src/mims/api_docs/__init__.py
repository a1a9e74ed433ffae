"""The API's documentation pages, served from files installed with MIMS.

FastAPI's `/docs` and strawberry's GraphiQL load their scripts from public CDNs, so on a
plant network without internet access both were blank pages. Swagger UI, GraphiQL and
React are kept in ``static/`` with their licences (``static/README.md`` names the
versions and how to update them) and served at ``/api-docs/``; `/docs`
(``swagger.html``) and GraphiQL's page (``graphiql_page()``, handed to the GraphQL
router) load only those, and both send the CSRF token with a session cookie's POST. ReDoc is not
served: one documentation page is enough, and it too came from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from commands.problems import ResponsesDoc

STATIC = Path(__file__).parent / "static"
MOUNT = "/api-docs"


def graphiql_page() -> str:
    """GraphiQL's HTML page, which loads its scripts from ``/api-docs/``."""
    return (STATIC / "graphiql.html").read_text(encoding="utf-8")


def swagger_page() -> str:
    """Swagger UI's HTML page. Its script (``swagger.js``) is ours rather than FastAPI's
    inline one: "Try it out" with a session cookie sends the CSRF token (a
    ``requestInterceptor``, a function, which FastAPI's JSON parameters cannot hold)."""
    return (STATIC / "swagger.html").read_text(encoding="utf-8")


def install_api_docs(app: FastAPI) -> None:
    """Serve the files at /api-docs/ and Swagger UI at /docs; build ``app`` with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not served too."""
    app.mount(MOUNT, StaticFiles(directory=STATIC), name="api-docs")

    page = swagger_page()

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page)


GRAPHQL_REQUEST = {
    "type": "object",
    "required": ["query"],
    "properties": {
        "query": {"type": "string", "minLength": 1, "description": "The GraphQL document"},
        "variables": {"type": ["object", "null"]},
        "operationName": {"type": ["string", "null"]},
    },
}
GRAPHQL_RESULT = {
    "type": "object",
    "description": "A GraphQL result: errors of the query itself come here, with status 200",
    "properties": {
        "data": {"type": ["object", "null"]},
        "errors": {"type": "array", "items": {"type": "object"}},
        "extensions": {"type": "object"},
    },
}
MIN_POSITION = {
    "name": "x-min-position",
    "in": "header",
    "required": False,
    "description": "Answer once the read models have reached this log position "
    "(a command's `position`): read your own writes",
    "schema": {"type": "string", "pattern": "^[0-9]{0,19}$"},
}


def document_graphql(router: APIRouter, problems: ResponsesDoc) -> APIRouter:
    """Describe /graphql in the OpenAPI document as it answers (strawberry's routes declare
    no body and no problem answers). ``problems``: the problem answers of both methods."""
    result = {"application/json": {"schema": GRAPHQL_RESULT}}
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        if "GET" in (route.methods or ()):
            route.responses = {
                200: {
                    "description": "GraphiQL's page for a browser; the result of `query`",
                    "content": {"text/html": {"schema": {"type": "string"}}, **result},
                },
                **problems,
            }
            route.openapi_extra = {
                "parameters": [
                    {
                        "name": "query",
                        "in": "query",
                        "description": "Without it, a browser gets GraphiQL's page",
                        "schema": {"type": "string", "minLength": 1},
                    },
                    {
                        "name": "variables",
                        "in": "query",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    {"name": "operationName", "in": "query", "schema": {"type": "string"}},
                    MIN_POSITION,
                ]
            }
        elif "POST" in (route.methods or ()):
            route.responses = {200: {"description": "The result", "content": result}, **problems}
            route.openapi_extra = {
                "parameters": [MIN_POSITION],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": GRAPHQL_REQUEST}},
                },
            }
    return router
