"""The item and lot dashboard: master data, planning, ATP, consumption chart, lots."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from mims.demo import SITE
from tests.support.dashboards import DESCRIPTION, SKU, ServedPlant
from tests.support.identity import PASSWORD

pytestmark = pytest.mark.browser

ITEM = """query($sku: String!) {
  item(sku: $sku) { description unitOfMeasure planning { leadTimeDays safetyStock } }
  availableToPromise(item: $sku) { available expired reserved free }
  consumption(item: $sku) { day quantity issues }
  a: lot(item: $sku, lot: "COIL-1") { onHand available held status }
  b: lot(item: $sku, lot: "COIL-2") { onHand available held status }
}"""


def fact(page: Page, label: str) -> str:
    return page.locator(f'dd[data-fact="{label}"]').inner_text()


def test_an_item_with_a_held_lot(page: Page, plant: ServedPlant, screenshots: Path) -> None:
    api = plant.gql(ITEM, sku=SKU)
    atp = api["availableToPromise"]
    assert atp["reserved"] == "30"
    assert api["a"]["held"] == "40"

    page.goto(f"{plant.dashboards}/item.html?sku={SKU}&lot=COIL-1")
    title = page.get_by_role("heading", level=1)
    expect(title).to_have_text(f"{SKU} · {DESCRIPTION}")  # markup shown as text
    expect(page.locator("main img, main b")).to_have_count(0)
    expect(page.locator("#atp dd")).to_have_count(4)
    assert fact(page, "Available") == atp["available"]
    assert fact(page, "Reserved") == atp["reserved"]
    assert fact(page, "Free to promise") == atp["free"]
    assert fact(page, "Expired (not promisable)") == atp["expired"]
    assert fact(page, "Shelf life") == "20 days"
    assert fact(page, "Costing method") == "FIFO"
    assert fact(page, "Safety stock") == api["item"]["planning"]["safetyStock"]

    coil_1 = page.locator('#lot-table tbody tr[data-lot="COIL-1"]')
    expect(coil_1).to_have_class("status-held focus")  # held, and the lot asked for
    expect(coil_1.locator(".badge", has_text="Held")).to_be_visible()
    cells = coil_1.locator("td").all_inner_texts()
    assert cells[0] == "S-COIL-1"
    assert cells[-5:] == [api["a"]["onHand"], api["a"]["available"], "0", "40", "0"]
    coil_2 = page.locator('#lot-table tbody tr[data-lot="COIL-2"]')
    expect(coil_2).not_to_have_class("status-held")
    expect(coil_2.locator(".badges .badge")).to_have_text([api["b"]["status"].capitalize()])
    # Received a day ago with 20 days of shelf life: expiry within the 30 days' warning.
    expect(coil_2.locator(".badge.warn")).to_have_text(re.compile(r"^in 1[89] days$"))

    expect(page.locator("#where-table tbody tr.status-held")).to_have_count(1)
    expect(page.locator("#reservation-table tbody tr")).to_have_count(1)
    expect(page.locator("#reservation-table tbody")).to_contain_text("SO-77")
    page.screenshot(path=screenshots / "item.png", full_page=True)


def test_daily_consumption_is_charted(page: Page, plant: ServedPlant) -> None:
    days = plant.gql(ITEM, sku=SKU)["consumption"]
    assert [d["quantity"] for d in days] == ["120.5", "50"]

    page.goto(f"{plant.dashboards}/item.html?sku={SKU}")
    bars = page.locator("#consumption-chart rect[data-day]")
    expect(bars).to_have_count(len(days))
    assert [bars.nth(i).get_attribute("data-day") for i in range(len(days))] == [
        d["day"] for d in days
    ]
    heights = [float(bars.nth(i).get_attribute("height") or 0) for i in range(len(days))]
    assert heights[0] > heights[1] > 0  # 120.5 is drawn taller than 50
    page.get_by_text("as figures").click()
    quantities = page.locator("#consumption-table tbody td:nth-child(2)").all_inner_texts()
    assert quantities == [d["quantity"] for d in days]


def test_an_item_is_chosen_from_the_form(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.dashboards}/item.html")
    expect(page.locator("#results")).to_be_hidden()
    page.get_by_label("Item (SKU)").fill("RM-001")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("RM-001 ·")
    expect(page.locator("#lot-table tbody tr")).not_to_have_count(0)
    assert "sku=RM-001" in page.url


def test_an_unknown_item_says_so(page: Page, plant: ServedPlant) -> None:
    page.goto(f"{plant.dashboards}/item.html?sku=NO-SUCH-ITEM")
    expect(page.get_by_role("alert")).to_contain_text("No item has the SKU “NO-SUCH-ITEM”")
    expect(page.locator("#results")).to_be_hidden()


def test_a_signed_release_shows_its_signature(page: Page, plant: ServedPlant) -> None:
    """Last in this module: it releases stock the tests above see held."""
    for path, body in (
        ("users", {"user_id": "quinn", "printed_name": "Quinn Adler", "password": PASSWORD,
                   "time_zone": "Europe/Berlin"}),
        ("users/grant", {"user_id": "quinn", "grant": {"role": "quality_approver", "site": SITE}}),
        ("holds", {"hold_id": "QH-DASH", "sku": SKU, "lot": "COIL-2", "reason": "retest"}),
    ):  # fmt: skip
        plant.post(path, body)
    token = httpx.post(
        f"{plant.url}/auth/login", json={"user": "quinn", "password": PASSWORD}
    ).json()["token"]
    released = httpx.post(
        f"{plant.url}/v1/holds/release",
        json={
            "hold_id": "QH-DASH",
            "signature": {"meaning": "approved", "reason": "retest passed", "password": PASSWORD},
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert released.status_code == 201, released.text
    plant.positions.append(int(released.json()["position"]))
    plant.gql("{ projectionStatus { name } }")  # the read models caught up

    page.goto(f"{plant.dashboards}/item.html?sku={SKU}")
    row = page.locator('#signature-table tbody tr[data-signer="quinn"]')
    expect(row).to_have_count(1)
    cells = row.locator("td").all_inner_texts()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", cells[0]), cells[0]  # UTC
    assert cells[1:7] == [
        "Europe/Berlin", "Quinn Adler (quinn)", "approved", "retest passed", "QH-DASH", "COIL-2",
    ]  # fmt: skip
    assert cells[-1] == "release"  # the kind of decision signed
