"""The operations dashboard: every projection's position, lag and health, kept fresh."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.dashboards import SIGNER, SKU, ServedPlant, log_in
from tests.support.webhook_receiver import Receiver, receiving

pytestmark = pytest.mark.browser


def test_every_projection_runs_with_no_lag(page: Page, plant: ServedPlant) -> None:
    api = plant.gql("{ projectionStatus { name position lag status } }")["projectionStatus"]
    assert len(api) >= 5
    assert {p["status"] for p in api} == {"running"}

    page.goto(f"{plant.dashboards}/operations.html")
    rows = page.locator("#projection-table tbody tr")
    expect(rows).to_have_count(len(api))
    expect(page.locator("#health")).to_have_text(f"all {len(api)} running")
    expect(page.locator("#max-lag")).to_have_text("0")
    for p in api:
        row = page.locator(f'#projection-table tbody tr[data-projection="{p["name"]}"]')
        cells = row.locator("td").all_inner_texts()
        assert cells[0] == "Running"
        assert cells[3] == "0"  # lag
        assert int(cells[1]) >= p["position"]


def test_the_status_refreshes_by_itself(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.dashboards}/operations.html")
    head = page.locator("#head")
    expect(head).not_to_have_text("…")
    before = int(head.inner_text())
    position = plant.post_signed(
        "adjustments",
        {
            "sku": SKU,
            "location": "B-02",
            "lot": "COIL-2",
            "quantity_delta": "-1",
            "reason_code": "DAMAGED",
        },
    )
    assert position > before
    # No reload: the page asks again every few seconds.
    expect(head).to_have_text(str(position), timeout=15_000)
    row = page.locator('#projection-table tbody tr[data-projection="stock_on_hand"]')
    expect(row.locator("td").nth(1)).to_have_text(str(position))


def test_the_webhooks_panel_shows_subscriptions_and_deliveries(
    page: Page, plant: ServedPlant
) -> None:
    good, bad = Receiver(), Receiver(always=503)
    with receiving(good), receiving(bad):
        for name, receiver in (("ops-good", good), ("ops-bad", bad)):
            plant.post("webhooks", {"subscription_id": name, "url": receiver.url("/")})
        plant.post_signed(
            "adjustments",
            {"sku": SKU, "location": "B-02", "lot": "COIL-2", "quantity_delta": "-1",
             "reason_code": "DAMAGED"},
        )  # fmt: skip
        log_in(page, plant.url, SIGNER)  # an administrator of every site
        page.goto(f"{plant.dashboards}/operations.html")
        panel = page.locator("#webhooks")
        expect(panel).to_be_visible()
        good_row = page.locator('#webhook-table tbody tr[data-subscription="ops-good"]')
        expect(good_row.locator("td").nth(0)).to_have_text("Active")
        expect(good_row.locator("td").nth(3)).to_have_text("0", timeout=15_000)  # lag
        bad_row = page.locator('#webhook-table tbody tr[data-subscription="ops-bad"]')
        expect(bad_row.locator("td").nth(6)).to_contain_text("HTTP 503", timeout=15_000)
        failed = page.locator("#delivery-table tbody tr.status-rejected").first
        expect(failed).to_contain_text("failed (503)")
        expect(failed).to_contain_text("receiver says no")
        delivered = page.locator("#delivery-table tbody tr", has_text="delivered (200)").first
        expect(delivered).to_contain_text("ops-good")
    assert good.accepted()


def test_the_webhooks_panel_is_hidden_from_readers(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.dashboards}/operations.html")  # the auditor: reads, manages nothing
    expect(page.locator("#head")).not_to_have_text("…")
    expect(page.locator("#webhooks")).to_be_hidden()
    expect(page.locator("#error")).to_be_hidden()
