"""/docs (Swagger UI) and GraphiQL work on a plant network without internet access: in
Chromium with every request to another host than the server's aborted, each page renders
and runs a request, and no request to another host was even attempted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, Route, expect

from mims.api_docs import STATIC
from mims.server import create_app
from mims.settings import Settings
from tests.support.dashboards import VIEWER, log_in
from tests.support.identity import PASSWORD, admin_headers, register
from tests.support.servers import serving

SERVER_HOST = "127.0.0.1"
DOCS_ADMIN = "docs-admin"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("docs")
    return Settings(database_url=f"sqlite:///{tmp}/events.db", read_model_path=tmp / "read.duckdb")


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    app = create_app(settings)
    with serving(app) as base:
        register(app.state.ledger, VIEWER, grants=(("auditor", "*"),))
        register(app.state.ledger, DOCS_ADMIN, grants=(("administrator", "*"),))
        yield base


@pytest.fixture
def offline(page: Page) -> Iterator[list[str]]:
    """Abort every request to a host other than the server's; yields those attempted."""
    elsewhere: list[str] = []

    def route(route: Route) -> None:
        url = route.request.url
        if re.match(rf"^https?://{re.escape(SERVER_HOST)}(:\d+)?/", url):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort("internetdisconnected")

    page.context.route("**/*", route)
    yield elsewhere
    assert not elsewhere, f"the page asked for files from elsewhere: {elsewhere}"


@pytest.mark.browser
def test_swagger_ui_lists_the_operations_and_runs_one_offline(
    page: Page, server: str, offline: list[str]
) -> None:
    page.goto(f"{server}/docs")
    # The OpenAPI document is large: the first one is built on demand.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("MIMS", timeout=30_000)
    receipts = page.locator('.opblock-summary-path[data-path="/v1/receipts"]')
    expect(receipts).to_have_count(1)
    assert page.locator(".opblock").count() >= 30

    health = page.locator(".opblock", has=page.locator('[data-path="/health"]'))
    health.locator(".opblock-summary").click()
    health.locator("button.try-out__btn").click()
    health.locator("button.execute").click()
    answer = health.locator(".live-responses-table")
    expect(answer.locator("tr.response .response-col_status")).to_have_text("200")
    expect(answer.locator("tr.response .response-col_description")).to_contain_text(
        '"status": "ok"'
    )
    assert offline == []


@pytest.mark.browser
def test_swagger_ui_posts_a_command_on_the_session_cookie(
    page: Page, server: str, offline: list[str]
) -> None:
    """ "Try it out" logged in at /login: the POST carries the session cookie and the
    CSRF token (Swagger UI's requestInterceptor copies the mims_csrf cookie), so the
    command is accepted (without the token it is answered 403 csrf-token-missing)."""
    log_in(page, server, DOCS_ADMIN)
    page.goto(f"{server}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("MIMS", timeout=30_000)
    block = page.locator(".opblock.opblock-post", has=page.locator('[data-path="/v1/locations"]'))
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("textarea.body-param__text").fill('{"code": "DOCS-SITE", "level": "site"}')
    with page.expect_request(lambda r: r.url.endswith("/v1/locations")) as sent:
        block.locator("button.execute").click()
    assert sent.value.headers.get("x-csrf-token")
    answer = block.locator(".live-responses-table tr.response .response-col_status")
    expect(answer).to_have_text("201", timeout=15_000)
    assert offline == []


def test_the_docs_page_sends_the_csrf_token(tmp_path: Path) -> None:
    """The page's own script configures Swagger UI to copy the CSRF cookie into the
    header, and a cookie-authenticated POST from the page's origin is accepted with it."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/events.db", read_model_path=tmp_path / "read.duckdb"
    )
    with TestClient(create_app(settings)) as client:
        page = client.get("/docs", headers={"accept": "text/html"})
        assert "/api-docs/swagger.js" in _sources(page.text)
        script = client.get("/api-docs/swagger.js").text
        assert "requestInterceptor: withCsrf" in script
        assert '"X-CSRF-Token"' in script
        assert "mims_csrf=" in script
        register(client.app.state.ledger, DOCS_ADMIN, grants=(("administrator", "*"),))  # type: ignore[attr-defined]
        login = client.post("/auth/login", json={"user": DOCS_ADMIN, "password": PASSWORD})
        assert login.status_code == 200
        origin = {"origin": str(client.base_url), "referer": f"{client.base_url}/docs"}
        body = {"code": "DOCS-SITE", "level": "site"}
        refused = client.post("/v1/locations", json=body, headers=origin)
        assert refused.json()["type"] == "/problems/csrf-token-missing"
        csrf = client.cookies["mims_csrf"]
        done = client.post("/v1/locations", json=body, headers={**origin, "X-CSRF-Token": csrf})
        assert done.status_code == 201, done.text


@pytest.mark.browser
def test_graphiql_renders_and_runs_a_query_offline(
    page: Page, server: str, offline: list[str]
) -> None:
    log_in(page, server)  # GraphiQL runs on the session cookie (and its CSRF token)
    page.goto(f"{server}/graphql")
    editor = page.locator(".graphiql-query-editor")
    expect(editor).to_contain_text("projectionStatus")
    page.locator(".graphiql-execute-button").click()
    result = page.locator(".graphiql-response")
    # The first rows (CodeMirror draws only the lines in view).
    expect(result).to_contain_text('"name": "catalog"', timeout=15_000)
    expect(result).to_contain_text('"status": "running"')
    # The schema was introspected: the explorer lists the query fields.
    page.locator('button[aria-label="Show GraphiQL Explorer"]').click()
    expect(page.locator(".graphiql-explorer-root")).to_contain_text("stockOnHand")
    assert offline == []


class _Sources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def _sources(html: str) -> list[str]:
    parser = _Sources()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("path", ["/docs", "/graphql"])
def test_each_page_loads_only_files_the_server_serves(tmp_path: Path, path: str) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/events.db", read_model_path=tmp_path / "read.duckdb"
    )
    with TestClient(create_app(settings)) as client:
        client.headers.update(admin_headers(client.app.state.ledger))  # type: ignore[attr-defined]
        page = client.get(path, headers={"accept": "text/html"})
        assert page.status_code == 200
        urls = _sources(page.text)
        assert len(urls) >= 3
        for url in urls:
            assert url.startswith("/api-docs/"), url
            assert client.get(url).status_code == 200, url
        assert client.get("/redoc").status_code == 404  # it came from a CDN too


def test_every_vendored_file_has_its_licence_beside_it() -> None:
    readme = (STATIC / "README.md").read_text()
    for folder in ("swagger-ui", "graphiql"):
        files = sorted(p.name for p in (STATIC / folder).iterdir())
        assert any(name.startswith("LICENSE") for name in files), folder
        for name in files:
            if Path(name).suffix in (".js", ".css"):
                assert name in readme, f"{folder}/{name} is not named in static/README.md"
