"""The recall dashboard: a supplier lot's affected lots, where their stock is, what went
to customers, and each lot's mass balance, as the API answers them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.dashboards import SKU, ServedPlant

pytestmark = pytest.mark.browser

RECALL = """query($s: String, $i: String, $l: String) {
  recallSimulation(supplierLot: $s, item: $i, lot: $l) {
    onHandQuantity shippedQuantity
    lots { item lot level balance { received consumed onHand difference } }
    onHandByPlace { location status lots quantity } } }"""


def test_a_supplier_lots_recall_shows_where_its_stock_is(page: Page, plant: ServedPlant) -> None:
    api = plant.gql(RECALL, s="S-COIL-1")["recallSimulation"]
    assert [(t["item"], t["lot"]) for t in api["lots"]] == [(SKU, "COIL-1")]
    assert len(api["onHandByPlace"]) == 2  # available, and the 40 kg held

    page.goto(f"{plant.dashboards}/recall.html?supplierLot=S-COIL-1")
    expect(page.locator("#recall-title")).to_have_text("Recall of supplier lot S-COIL-1")
    expect(page.locator("#lot-count")).to_have_text("1")
    expect(page.locator("#on-hand")).to_have_text(api["onHandQuantity"])
    expect(page.locator("#balance")).to_have_text("every lot balances")
    expect(page.locator("#elapsed")).to_have_text(re.compile(r"^\d+\.\d ms$"))
    places = page.locator("#place-table tbody tr")
    expect(places).to_have_count(2)
    for row, place in zip(places.all(), api["onHandByPlace"], strict=True):
        cells = row.locator("td").all_inner_texts()
        assert cells[0] == place["location"]
        assert cells[1].removeprefix("⚠ ").lower() == place["status"]
        assert cells[3] == place["quantity"]
    lot = page.locator(f'#lot-table tbody tr[data-lot="{SKU}/COIL-1"]')
    balance = api["lots"][0]["balance"]
    cells = lot.locator("td").all_inner_texts()
    assert (cells[2], cells[4], cells[7], cells[8]) == (
        balance["received"],
        balance["consumed"],
        balance["onHand"],
        balance["difference"],
    )


def test_a_lot_is_traced_from_the_form_and_kept_in_the_url(page: Page, plant: ServedPlant) -> None:
    api = plant.gql(RECALL, i=SKU, l="COIL-2")["recallSimulation"]
    page.goto(f"{plant.dashboards}/recall.html")
    expect(page.locator("#results")).to_be_hidden()
    page.fill("#f-item", SKU)
    page.fill("#f-lot", "COIL-2")
    page.click("#filters button[type=submit]")
    expect(page.locator("#recall-title")).to_have_text(f"Recall of lot {SKU} COIL-2")
    expect(page.locator("#on-hand")).to_have_text(api["onHandQuantity"])
    expect(page.locator("#shipped")).to_have_text(api["shippedQuantity"])
    assert "item=DASH-STEEL" in page.url
    assert "lot=COIL-2" in page.url


def test_an_unknown_supplier_lot_finds_nothing(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.dashboards}/recall.html?supplierLot=NO-SUCH-HEAT")
    expect(page.locator("#lot-count")).to_have_text("0")
    expect(page.locator("#lot-table tbody")).to_contain_text("No lot was received")
    expect(page.locator("#place-table tbody")).to_contain_text("None of the affected lots")
