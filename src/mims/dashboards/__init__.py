"""The dashboards: static pages (HTML, CSS, ES modules) that read the GraphQL API only.

They are served by the one-process server beside the command API and GraphQL; they
never write (writes are the command API's), hold no server-side logic and need no
build step. ``GET /`` sends a browser to them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
MOUNT = "/dashboards"
LOGIN = Path(__file__).parent / "login.html"


def install_dashboards(app: FastAPI) -> None:
    """Serve the dashboards at /dashboards/ (index.html: stock) and redirect / to them."""
    app.mount(MOUNT, StaticFiles(directory=STATIC, html=True), name="dashboards")

    @app.get("/login", include_in_schema=False)
    def login_page() -> HTMLResponse:
        """The login form (its script is a static file: no inline script)."""
        return HTMLResponse(LOGIN.read_text(encoding="utf-8"))

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/")
