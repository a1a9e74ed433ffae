"""The valuation dashboard: total, by costing method, top items; now and as of."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.support.dashboards import ServedPlant, local_input

pytestmark = pytest.mark.browser

VALUATION = """query($asOf: DateTime, $first: Int!) {
  valuation(asOf: $asOf, first: $first) {
    totalValue byCostingMethod { costingMethod items value } items { item value }
  }
}"""


def test_valuation_now_is_the_apis(page: Page, plant: ServedPlant) -> None:
    api = plant.gql(VALUATION, first=5)["valuation"]
    assert len(api["byCostingMethod"]) == 3

    page.goto(f"{plant.dashboards}/valuation.html?first=5")
    expect(page.locator("#total-value")).to_have_text(api["totalValue"])
    expect(page.locator("#method-total")).to_have_text(api["totalValue"])
    methods = page.locator("#method-table tbody tr")
    expect(methods).to_have_count(3)
    for i, method in enumerate(api["byCostingMethod"]):
        cells = methods.nth(i).locator("td").all_inner_texts()
        assert cells[0] == str(method["items"])
        assert cells[2] == method["value"]
    expect(page.locator("#top-heading")).to_have_text("Top 5 items by value")
    top = page.locator("#top-table tbody tr")
    expect(top).to_have_count(5)
    assert [top.nth(i).locator("td").nth(1).inner_text() for i in range(5)] == [
        i["item"] for i in api["items"]
    ]
    assert [top.nth(i).locator("td").nth(7).inner_text() for i in range(5)] == [
        i["value"] for i in api["items"]
    ]


def test_valuation_as_of_before_the_first_receipt_is_nothing(
    page: Page, plant: ServedPlant
) -> None:
    before = plant.started - timedelta(days=5)
    assert plant.gql(VALUATION, asOf=before.isoformat(), first=5)["valuation"]["totalValue"] == "0"
    page.goto(f"{plant.dashboards}/valuation.html")
    expect(page.locator("#method-table tbody tr")).to_have_count(3)
    page.get_by_label("As of").fill(local_input(before))
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#total-value")).to_have_text("0")
    expect(page.locator("#method-table tbody")).to_have_text("Nothing is valued.")
    expect(page.locator("#as-of time")).to_be_visible()
