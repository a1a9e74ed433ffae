"""The stock dashboard: totals as the API gives them, filters, as-of and known-at, marks."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.dashboards import SKU, ServedPlant, local_input

pytestmark = pytest.mark.browser

STOCK = """query($filter: StockFilter, $asOf: DateTime, $knownAt: DateTime) {
  stockOnHand(filter: $filter, asOf: $asOf, knownAt: $knownAt) {
    totalQuantity totalValue rows { item location lot status }
  }
}"""


def table_rows(page: Page) -> list[list[str]]:
    return [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in page.locator("#stock-table tbody tr").all()
    ]


def submit(page: Page) -> None:
    page.get_by_role("button", name="Show").click()


def test_home_redirects_to_the_stock_dashboard(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.url}/")
    assert page.url == f"{plant.dashboards}/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Stock on hand")
    expect(page.get_by_role("link", name="Stock", exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def test_totals_and_rows_are_the_apis(page: Page, plant: ServedPlant, screenshots: Path) -> None:
    api = plant.gql(STOCK)["stockOnHand"]
    assert len(api["rows"]) > 100  # the demo plant and our item

    page.goto(f"{plant.dashboards}/")
    expect(page.locator("#total-value")).to_have_text(api["totalValue"])
    expect(page.locator("#total-quantity")).to_contain_text(api["totalQuantity"])
    expect(page.locator("#row-count")).to_have_text(str(len(api["rows"])))
    expect(page.locator("#stock-table tbody tr")).to_have_count(len(api["rows"]))
    not_available = sum(r["status"] != "AVAILABLE" for r in api["rows"])
    expect(page.locator("#blocked-count")).to_have_text(str(not_available))
    expect(page.locator("#as-of")).to_have_text("now")
    page.screenshot(path=screenshots / "stock.png", full_page=False)

    # Every API row is a table row, in the API's order (item, location, lot, status).
    shown = [(r[0], r[2], r[3], r[4].lstrip("⚠ ").upper()) for r in table_rows(page)]
    assert shown == [(r["item"], r["location"], r["lot"] or "", r["status"]) for r in api["rows"]]


def test_a_location_subtree_narrows_the_table(page: Page, plant: ServedPlant) -> None:
    everything = plant.gql(STOCK)["stockOnHand"]
    rack = plant.gql(STOCK, filter={"location": "RACK-A"})["stockOnHand"]
    assert 0 < len(rack["rows"]) < len(everything["rows"])

    page.goto(f"{plant.dashboards}/")
    expect(page.locator("#row-count")).to_have_text(str(len(everything["rows"])))
    page.get_by_label("Location and below").fill("RACK-A")
    submit(page)

    expect(page.locator("#row-count")).to_have_text(str(len(rack["rows"])))
    expect(page.locator("#stock-table tbody tr")).to_have_count(len(rack["rows"]))
    expect(page.locator("#total-value")).to_have_text(rack["totalValue"])
    expect(page.locator("#location-info")).to_contain_text("Rack A")
    locations = {row[2] for row in table_rows(page)}
    assert locations <= {"RACK-A", *(f"A-{n:02d}" for n in range(1, 11))}, locations
    assert "A-03" in locations  # our coil
    assert "location=RACK-A" in page.url  # the state is in the URL: it can be shared

    # Back restores the unfiltered page.
    page.go_back()
    expect(page.locator("#row-count")).to_have_text(str(len(everything["rows"])))


def test_as_of_an_instant_before_a_receipt_hides_it(page: Page, plant: ServedPlant) -> None:
    between = plant.coil_1_at + (plant.coil_2_at - plant.coil_1_at) / 2
    then = plant.gql(STOCK, filter={"item": SKU}, asOf=between.isoformat())["stockOnHand"]
    assert [r["lot"] for r in then["rows"]] == ["COIL-1"]

    page.goto(f"{plant.dashboards}/?item={SKU}")
    expect(page.locator("#stock-table tbody tr")).to_have_count(3)  # COIL-1 x2 statuses, COIL-2
    expect(page.locator("#stock-table tbody")).to_contain_text("COIL-2")

    page.get_by_label("As of").fill(local_input(between))
    submit(page)
    expect(page.locator("#stock-table tbody tr")).to_have_count(1)
    expect(page.locator("#stock-table tbody")).not_to_contain_text("COIL-2")
    expect(page.locator("#stock-table tbody")).to_contain_text("COIL-1")
    expect(page.locator("#total-quantity")).to_contain_text(then["totalQuantity"])
    expect(page.locator("#total-value")).to_have_text(then["totalValue"])
    expect(page.locator("#as-of time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    assert "asOf=" in page.url


def test_known_at_before_anything_was_recorded_shows_nothing(
    page: Page, plant: ServedPlant
) -> None:
    before = plant.started - timedelta(hours=1)
    page.goto(f"{plant.dashboards}/")
    expect(page.locator("#stock-table tbody tr").first).to_be_visible()
    page.get_by_label("Known at").fill(local_input(before))
    submit(page)
    expect(page.locator("#stock-table tbody")).to_have_text("No stock matches these filters.")
    expect(page.locator("#total-value")).to_have_text("0")
    expect(page.locator("#as-of")).to_contain_text("known at")


def test_stock_on_hold_is_marked(page: Page, plant: ServedPlant) -> None:
    held = plant.gql(STOCK, filter={"status": "HELD"})["stockOnHand"]
    assert [(r["item"], r["lot"]) for r in held["rows"]] == [(SKU, "COIL-1")]

    page.goto(f"{plant.dashboards}/?item={SKU}")
    row = page.locator("#stock-table tbody tr.status-held")
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text("⚠ Held")
    expect(row).to_contain_text("COIL-1")
    expect(page.locator("#blocked-count")).to_have_text("1")

    page.get_by_label("Status").select_option("HELD")
    page.get_by_label("Item (SKU)").fill("")
    submit(page)
    expect(page.locator("#stock-table tbody tr")).to_have_count(1)
    expect(page.locator("#stock-table tbody tr.status-held")).to_have_count(1)


def test_master_data_is_shown_as_text(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.dashboards}/?item={SKU}")
    cell = page.locator("#stock-table tbody tr").first.locator("td").nth(1)
    expect(cell).to_have_text('Steel coil <b>2 mm</b> & "wire" <img src=x onerror=alert(1)>')
    expect(page.locator("#stock-table img, #stock-table b")).to_have_count(0)


def test_a_bad_date_shows_the_apis_error(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.dashboards}/?asOf=yesterday-ish")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Value cannot represent a DateTime")
    expect(page.locator("#total-value")).to_have_text("—")
    expect(page.locator("#stock-table tbody tr")).to_have_count(0)


def test_an_unknown_location_says_so(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.dashboards}/?location=NOWHERE")
    expect(page.locator("#location-note")).to_contain_text("No location has the code “NOWHERE”")
    expect(page.locator("#row-count")).to_have_text("0")
