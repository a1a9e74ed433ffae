"""The dashboards are static files served by the one server; / sends a browser to them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mims.dashboards import STATIC, install_dashboards

PAGES = [
    "index.html",
    "ledger.html",
    "valuation.html",
    "item.html",
    "recall.html",
    "operations.html",
]


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_dashboards(app)
    return TestClient(app)


def test_root_redirects_to_the_dashboards(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/dashboards/"
    page = client.get("/dashboards/")
    assert page.status_code == 200
    assert "<h1>Stock on hand</h1>" in page.text


@pytest.mark.parametrize("page", PAGES)
def test_every_page_and_its_module_are_served(client: TestClient, page: str) -> None:
    html = client.get(f"/dashboards/{page}")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    script = html.text.split('<script type="module" src="', 1)[1].split('"', 1)[0]
    module = client.get(f"/dashboards/{script}")
    assert module.status_code == 200
    # Browsers refuse an ES module served with a non-JavaScript type.
    assert module.headers["content-type"].split(";")[0] in (
        "text/javascript",
        "application/javascript",
    )
    assert 'from "./lib.js"' in module.text
    for nav in PAGES:
        assert f'href="{nav}"' in html.text
    assert 'aria-current="page"' in html.text


def test_no_page_puts_data_into_html() -> None:
    """Values reach the DOM as text (textContent, DOM nodes), never parsed as markup."""
    for source in Path(STATIC).glob("*.js"):
        text = source.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in text, f"{source.name} uses {sink}"


def test_python_files_are_not_served(client: TestClient) -> None:
    assert client.get("/dashboards/__init__.py").status_code == 404
