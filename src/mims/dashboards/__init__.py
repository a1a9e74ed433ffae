"""The dashboards: static pages (HTML, CSS, ES modules) that read the GraphQL API only.

They are served by the one-process server beside the command API and GraphQL; they
never write (writes are the command API's), hold no server-side logic and need no
build step. ``GET /`` sends a browser to them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
MOUNT = "/dashboards"


def install_dashboards(app: FastAPI) -> None:
    """Serve the dashboards at /dashboards/ (index.html: stock) and redirect / to them."""
    app.mount(MOUNT, StaticFiles(directory=STATIC, html=True), name="dashboards")

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/")
