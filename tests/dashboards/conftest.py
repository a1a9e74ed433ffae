"""The dashboards in a real headless Chromium (Debian's, driven by playwright) against a
real server with the demo plant and a few commands posted through the command API.

Under CI=true the browser tests must run (a missing Chromium fails them); otherwise they
skip, saying so, when /usr/bin/chromium is not installed (``./scripts/test`` installs it).
Each test module gets one server and one browser; each test a fresh browser context.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.demo import load_demo
from mims.server import create_app
from mims.settings import Settings
from tests.support.dashboards import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SIGNER,
    VIEWER,
    ServedPlant,
    log_in,
    post_scenario,
    require_chromium,
)
from tests.support.identity import admin_headers, register
from tests.support.servers import serving


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedPlant]:
    tmp = tmp_path_factory.mktemp("plant")
    url = f"sqlite:///{tmp}/events.db"
    ledger = Ledger(store_env(url), WriterSettings())
    load_demo(ledger, show_progress=False)
    register(ledger, VIEWER, grants=(("auditor", "*"),))  # reads everything, changes nothing
    register(ledger, SIGNER, grants=(("administrator", "*"),))  # signs what the tests post
    headers = admin_headers(ledger)
    settings = Settings(
        database_url=url,
        read_model_path=tmp / "read.duckdb",
        # The operations page's webhooks deliver to a receiver on this machine.
        webhooks_allow_private=True,
        webhooks_allow_http=True,
        webhooks_retry_base_seconds=0.05,
        webhooks_retry_cap_seconds=0.2,
    )
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        with serving(create_app(settings, ledger=ledger)) as base:
            served = ServedPlant(
                url=base,
                started=now,
                coil_1_at=now - timedelta(days=2),
                coil_2_at=now - timedelta(days=1),
                headers=headers,
            )
            post_scenario(served)
            served.gql("{ projectionStatus { name } }")  # waits for the read models
            yield served
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context in UTC (the pickers are local time), logged in as the viewer when
    the test uses the served plant; the test fails on any script error the page raised or
    logged."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, timezone_id="UTC", locale="en-GB"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def on_error(error: Error) -> None:
        problems.append(f"page error: {error}")

    tab.on("console", on_console)
    tab.on("pageerror", on_error)
    if "plant" in request.fixturenames:
        log_in(tab, request.getfixturevalue("plant").url)
    yield tab
    context.close()
    assert not problems, problems


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where screenshots go: $MIMS_SCREENSHOTS if set (to look at them), else tmp."""
    target = Path(os.environ.get("MIMS_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target
