"""A served plant for the dashboard tests (the demo plus DASH-STEEL, two lots received
on two days), the scenario posted to it, and the headless Chromium they drive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from tests.support.identity import PASSWORD, signature_json
from tests.support.services import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKU = "DASH-STEEL"
# Markup in master data must show as text, never become elements.
DESCRIPTION = 'Steel coil <b>2 mm</b> & "wire" <img src=x onerror=alert(1)>'


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if IN_CI:
        pytest.fail(f"Chromium is not installed at {CHROMIUM}, and CI=true needs it")
    pytest.skip(f"Chromium is not installed at {CHROMIUM} (./scripts/test installs it)")


@dataclass
class ServedPlant:
    """A served plant: the demo plus DASH-STEEL, with two lots received on two days."""

    url: str
    started: datetime
    coil_1_at: datetime
    coil_2_at: datetime
    positions: list[int] = field(default_factory=list)
    # An administrator's credentials (the dashboards' person logs in as VIEWER instead).
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def dashboards(self) -> str:
        return f"{self.url}/dashboards"

    def post(self, path: str, body: dict[str, Any]) -> int:
        response = httpx.post(f"{self.url}/v1/{path}", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        position = int(response.json()["position"])
        self.positions.append(position)
        return position

    def post_signed(self, path: str, body: dict[str, Any], reason: str = "corrected") -> int:
        """Post a signed command as `SIGNER`, logged in, with their password re-entered (a
        key never signs)."""
        login = httpx.post(f"{self.url}/auth/login", json={"user": SIGNER, "password": PASSWORD})
        assert login.status_code == 200, login.text
        response = httpx.post(
            f"{self.url}/v1/{path}",
            json={**body, "signature": signature_json(reason)},
            headers={"Authorization": f"Bearer {login.json()['token']}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        position = int(response.json()["position"])
        self.positions.append(position)
        return position

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        """Ask the API what the page should show (after the read models caught up)."""
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"X-Min-Position": str(max(self.positions, default=0)), **self.headers},
            timeout=30,
        )
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body
        return dict(body["data"])


def post_scenario(plant: ServedPlant) -> None:
    iso = datetime.isoformat
    plant.post(
        "items",
        {
            "sku": SKU,
            "description": DESCRIPTION,
            "kind": "raw_material",
            "unit_of_measure": "kg",
            "precision": 3,
            "tracking": "lot",
            "shelf_life_days": 20,
        },
    )
    for lot, location, quantity, cost, at in (
        ("COIL-1", "A-03", "500", "1.85", plant.coil_1_at),
        ("COIL-2", "B-02", "300", "1.95", plant.coil_2_at),
    ):
        plant.post(
            "receipts",
            {
                "sku": SKU,
                "location": location,
                "quantity": quantity,
                "unit_cost": cost,
                "lot": lot,
                "supplier_lot": f"S-{lot}",
                "supplier": "SUP-01",
                "reference": f"PO-{lot}",
                "effective_at": iso(at),
            },
        )
    plant.post(
        "status-changes",
        {
            "sku": SKU,
            "location": "A-03",
            "lot": "COIL-1",
            "quantity": "40",
            "from_status": "available",
            "to_status": "held",
            "reason": "suspect coating",
        },
    )
    plant.post(
        "issues",
        {
            "sku": SKU,
            "location": "A-03",
            "lot": "COIL-1",
            "quantity": "120.5",
            "target_kind": "work_order",
            "target": "WO-1001",
            # Exactly a day ago, so always on yesterday's date: an hour later crossed
            # midnight when the suite ran after 23:00 UTC and merged the two days.
            "effective_at": iso(plant.coil_2_at),
        },
    )
    plant.post(
        "issues",
        {
            "sku": SKU,
            "location": "B-02",
            "lot": "COIL-2",
            "quantity": "50",
            "target_kind": "work_order",
            "target": "WO-1002",
        },
    )
    plant.post("reservations", {"sku": SKU, "quantity": "30", "reference": "SO-77"})


def local_input(instant: datetime) -> str:
    """An instant as a datetime-local value in the browser's (UTC) time zone."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


# The person the dashboards' browser logs in as (an auditor of every site: reads only).
VIEWER = "dashboard-viewer"
# The person who signs the quality decisions and corrections the tests post.
SIGNER = "dashboard-signer"


def log_in(page: Page, base: str, user: str = VIEWER) -> None:
    """Log the page's browser context in (the session and CSRF cookies), as the login
    page's script does."""
    answer = page.context.request.post(
        f"{base}/auth/login", data={"user": user, "password": PASSWORD}
    )
    assert answer.ok, answer.text()
