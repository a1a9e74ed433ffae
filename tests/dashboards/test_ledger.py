"""The ledger dashboard: cursor pagination ("load more"), as-of, the API's errors shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.dashboards import SKU, ServedPlant, local_input

pytestmark = pytest.mark.browser

LEDGER = """query($filter: StockFilter, $asOf: DateTime) {
  stockLedger(filter: $filter, asOf: $asOf, first: 1000) {
    rows { position line eventType location lot quantityDelta valueDelta }
    pageInfo { hasNextPage }
  }
}"""


def shown_positions(page: Page) -> list[str]:
    return [
        cell.split("/")[0].strip()
        for cell in page.locator("#ledger-table tbody tr td:first-child").all_inner_texts()
    ]


def test_the_ledger_of_an_item_pages_with_load_more(page: Page, plant: ServedPlant) -> None:
    api = plant.gql(LEDGER, filter={"item": SKU})["stockLedger"]
    rows = api["rows"]
    assert not api["pageInfo"]["hasNextPage"]
    # 2 receipts, a status change (2 lines), 2 issues
    assert len(rows) == 6, rows

    page.goto(f"{plant.dashboards}/ledger.html?item={SKU}&first=2")
    body = page.locator("#ledger-table tbody tr")
    expect(body).to_have_count(2)
    more = page.get_by_role("button", name="Load more")
    for loaded in (4, 6):
        expect(more).to_be_visible()
        more.click()
        expect(body).to_have_count(loaded)
    expect(more).to_be_hidden()
    expect(page.locator("#loaded")).to_have_text(
        "6 movements loaded; that is the whole ledger for these filters."
    )
    assert shown_positions(page) == [str(r["position"]) for r in rows]
    deltas = page.locator("#ledger-table tbody tr td:nth-child(9)").all_inner_texts()
    assert deltas == [r["quantityDelta"] for r in rows]
    values = page.locator("#ledger-table tbody tr td:nth-child(10)").all_inner_texts()
    assert values == [r["valueDelta"] for r in rows]
    # The receipts were backdated (effective days before they were recorded).
    expect(body.nth(0)).to_contain_text("backdated")
    expect(page.locator("#ledger-table tbody tr.status-held")).to_have_count(1)


def test_the_ledger_as_of_an_instant(page: Page, plant: ServedPlant) -> None:
    between = plant.coil_1_at + (plant.coil_2_at - plant.coil_1_at) / 2
    api = plant.gql(LEDGER, filter={"item": SKU}, asOf=between.isoformat())["stockLedger"]
    assert [(r["eventType"], r["lot"]) for r in api["rows"]] == [("Stock.Received", "COIL-1")]

    page.goto(f"{plant.dashboards}/ledger.html?item={SKU}")
    expect(page.locator("#ledger-table tbody tr")).to_have_count(6)
    page.get_by_label("As of").fill(local_input(between))
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#ledger-table tbody tr")).to_have_count(1)
    expect(page.locator("#ledger-table tbody tr")).to_contain_text("COIL-1")
    expect(page.locator("#ledger-table tbody tr")).to_contain_text("Received")
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()


def test_a_location_subtree_filters_the_ledger(page: Page, plant: ServedPlant) -> None:
    api = plant.gql(LEDGER, filter={"item": SKU, "location": "RACK-B"})["stockLedger"]
    assert {r["location"] for r in api["rows"]} == {"B-02"}
    page.goto(f"{plant.dashboards}/ledger.html?item={SKU}&location=RACK-B")
    expect(page.locator("#ledger-table tbody tr")).to_have_count(len(api["rows"]))
    locations = page.locator("#ledger-table tbody tr td:nth-child(6)").all_inner_texts()
    assert set(locations) == {"B-02"}


def test_the_page_size_limit_is_shown(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.dashboards}/ledger.html?first=5000")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("first must be between 1 and 1000, not 5000")
    expect(page.locator("#ledger-table tbody tr")).to_have_count(0)


def test_a_bad_cursor_on_load_more_keeps_the_rows_and_shows_the_error(
    page: Page, plant: ServedPlant
) -> None:
    page.goto(f"{plant.dashboards}/ledger.html?item={SKU}&first=2")
    expect(page.locator("#ledger-table tbody tr")).to_have_count(2)
    # The next page's request is sent with a cursor the API never gave out.
    page.route(
        "**/graphql",
        lambda route: route.continue_(
            post_data=route.request.post_data.replace('"after":"', '"after":"x')
            if route.request.post_data
            else None
        ),
    )
    page.get_by_role("button", name="Load more").click()
    expect(page.get_by_role("alert")).to_contain_text("not a cursor this API gave out")
    expect(page.locator("#ledger-table tbody tr")).to_have_count(2)
