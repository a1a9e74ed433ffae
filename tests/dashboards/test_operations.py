"""The operations dashboard: every projection's position, lag and health, kept fresh."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.dashboards import SKU, ServedPlant

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
