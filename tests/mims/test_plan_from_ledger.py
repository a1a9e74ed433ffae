"""`mims plan policies --from-ledger` and `mims plan mrp --from-ledger`, on the ledger's
own history, locally and through a running server.

The history (60 complete days before today, T):

* GASKET (ea): 2,000 received at T-61 at 2.00; issued 10, 11, 12, 13, 14, 10, ... a day
  (mean 12, sample variance 120/59); three purchase orders received after 8, 10 and 12
  days (lead time 10 days, sample standard deviation 2).
* PLANNED (kg, 2 decimals): issued 4 and 6 kg on alternate days (mean 5, sample variance
  60/59); one purchase receipt only, so its planned lead time of 14 days counts, exactly.
* SHORT: issued for the last 10 days only; IDLE: never issued; NOLEAD: issued for 30
  days, never bought, no planned lead time. Each is skipped, with its reason.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import NormalDist, mean, stdev
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from ledger.ids import item_id
from ledger.master_data.commands import PlanningParametersInput, RegisterItem, RegisterLocation
from ledger.master_data.item import Item
from ledger.orders.commands import (
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    CreateSalesOrder,
    OrderLineInput,
    ReceiptLineInput,
    ReceivePurchaseOrder,
)
from ledger.stock.commands import IssueStock, ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cli import app
from tests.support.servers import ServerProcess

cli = CliRunner()
D = Decimal
T = datetime.now(UTC).date()
WINDOW = 60
SERVICE, ORDERING, HOLDING = 0.95, 50.0, 0.25
GASKET_DAILY = [10 + k % 5 for k in range(WINDOW)]
PLANNED_DAILY = [4 if k % 2 else 6 for k in range(WINDOW)]
GASKET_LEAD_TIMES = [8, 10, 12]


def at(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def ago(days: int) -> datetime:
    return at(T - timedelta(days=days))


def open_ledger(url: str) -> Ledger:
    return Ledger(
        store_env(url), WriterSettings(batch_wait=0, backdating_window=timedelta(days=70))
    )


def build_history(ledger: Ledger) -> None:
    run = ledger.execute
    for cmd in (
        RegisterLocation(code="S", level="site"),
        RegisterLocation(code="W", level="warehouse", parent="S"),
        RegisterLocation(code="A", level="zone", parent="W"),
    ):
        run(cmd)
    for sku, uom, precision, lead in [
        ("GASKET", "ea", 0, 5), ("PLANNED", "kg", 2, 14), ("SHORT", "ea", 0, 7),
        ("IDLE", "ea", 0, 7), ("NOLEAD", "ea", 0, 0),
    ]:  # fmt: skip
        run(
            RegisterItem(
                sku=sku, description=sku.title(), kind="component", unit_of_measure=uom,
                precision=precision, effective_at=ago(65),
                planning=PlanningParametersInput(lead_time_days=lead, safety_stock=D(1)),
            )
        )  # fmt: skip
    for sku, quantity, cost, days in [
        ("GASKET", 2000, "2", 61), ("PLANNED", 1000, "3", 61), ("SHORT", 100, "1", 61),
        ("IDLE", 5, "1", 61), ("NOLEAD", 500, "1", 61),
    ]:  # fmt: skip
        run(
            ReceiveStock(
                sku=sku, location="A", quantity=D(quantity), unit_cost=D(cost),
                effective_at=ago(days),
            )
        )  # fmt: skip
    futures = []
    for k in range(WINDOW):
        when = ago(WINDOW - k)
        issues = [("GASKET", GASKET_DAILY[k]), ("PLANNED", PLANNED_DAILY[k])]
        if k >= WINDOW - 10:
            issues.append(("SHORT", 1))
        if k >= WINDOW - 30:
            issues.append(("NOLEAD", 5))
        futures += [
            ledger.submit(
                IssueStock(
                    sku=sku, location="A", quantity=D(q), target_kind="cost_center",
                    target="MAINT", effective_at=when,
                )
            )
            for sku, q in issues
        ]  # fmt: skip
    for future in futures:
        future.result(60)
    for n, (placed, lead) in enumerate(zip([50, 40, 30], GASKET_LEAD_TIMES, strict=True)):
        number = f"PO-G{n + 1}"
        line = OrderLineInput(line=1, sku="GASKET", quantity=D(100), due_date=T, unit_price=D(2))
        run(CreatePurchaseOrder(number=number, supplier="SEALS", lines=[line],
                                  effective_at=ago(placed)))  # fmt: skip
        run(ConfirmPurchaseOrder(number=number, effective_at=ago(placed)))
        run(
            ReceivePurchaseOrder(
                number=number, location="A", lines=[ReceiptLineInput(line=1, quantity=D(100))],
                effective_at=ago(placed - lead),
            )
        )  # fmt: skip
    line = OrderLineInput(line=1, sku="PLANNED", quantity=D(50), due_date=T, unit_price=D(3))
    run(CreatePurchaseOrder(number="PO-P1", supplier="RESIN", lines=[line],
                              effective_at=ago(20)))  # fmt: skip
    run(ConfirmPurchaseOrder(number="PO-P1", effective_at=ago(20)))
    run(
        ReceivePurchaseOrder(
            number="PO-P1", location="A", lines=[ReceiptLineInput(line=1, quantity=D(50))],
            effective_at=ago(15),
        )
    )  # fmt: skip
    # Demand for the MRP: a sales order of gaskets in two weeks.
    run(
        CreateSalesOrder(
            number="SO-1", customer="PUMPS",
            lines=[OrderLineInput(line=1, sku="GASKET", quantity=D(2500),
                                    due_date=T + timedelta(days=15))],
        )
    )  # fmt: skip


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/events.db"
    env = {
        "MIMS_DATABASE_URL": url,
        "MIMS_READ_MODEL_PATH": str(tmp_path / "read.duckdb"),
        "MIMS_PORT": "9",  # nothing listens there: the commands work locally
        "MIMS_BACKDATING_WINDOW_DAYS": "70",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    ledger = open_ledger(url)
    build_history(ledger)
    ledger.close()
    return env


def run(*args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.output


def expected(daily: list[int], lead: float, lead_std: float, cost: float, precision: int) -> Any:
    """The textbook formulas, computed here on their own."""
    d, s_d = mean(daily), stdev(daily)
    z = NormalDist().inv_cdf(SERVICE)
    ss = z * math.sqrt(lead * s_d**2 + d**2 * lead_std**2)
    eoq = math.sqrt(2 * d * 365 * ORDERING / (HOLDING * cost))
    step = 10**precision

    def up(x: float) -> float:
        return math.ceil(round(x * step, 6)) / step

    return {
        "demand_mean": d,
        "demand_std": s_d,
        "lead_time": lead,
        "lead_time_std": lead_std,
        "safety_stock": up(ss),
        "reorder_point": up(lead * d + ss),
        "eoq": math.floor(eoq * step + 0.5) / step,
    }


def test_policies_from_the_history_match_the_formulas(history: dict[str, str]) -> None:
    code, out = run("plan", "policies", "--from-ledger", "--days", "60", "--json")
    assert code == 0, out
    found = json.loads(out)
    proposals = {p["item"]: p for p in found["proposals"]}
    assert sorted(proposals) == ["GASKET", "PLANNED"]
    gasket = expected(GASKET_DAILY, mean(GASKET_LEAD_TIMES), stdev(GASKET_LEAD_TIMES), 2.0, 0)
    assert (gasket["lead_time"], gasket["lead_time_std"]) == (10, 2)
    planned = expected(PLANNED_DAILY, 14, 0, 3.0, 2)
    for item, want in [("GASKET", gasket), ("PLANNED", planned)]:
        got = proposals[item]
        assert got["history_days"] == WINDOW
        for key, value in want.items():
            if key in ("safety_stock", "reorder_point", "eoq"):  # quantities: exact decimals
                assert isinstance(got[key], str), (item, key)
                assert D(got[key]) == D(str(value)), (item, key)
            else:  # statistics: numbers
                assert got[key] == pytest.approx(value, rel=1e-9), (item, key)
    assert (proposals["GASKET"]["lead_time_source"], proposals["GASKET"]["receipts"]) == (
        "receipts", 3,
    )  # fmt: skip
    assert (proposals["PLANNED"]["lead_time_source"], proposals["PLANNED"]["receipts"]) == (
        "planned", 1,
    )  # fmt: skip
    # The numbers as a planner checks them: 41, 161 and 936 gaskets.
    assert (gasket["safety_stock"], gasket["reorder_point"], gasket["eoq"]) == (41, 161, 936)
    skipped = {s["item"]: s["reason"] for s in found["skipped"]}
    until = (T - timedelta(days=1)).isoformat()
    assert skipped == {
        "SHORT": f"10 days of consumption history (since"
        f" {(T - timedelta(days=10)).isoformat()}), fewer than 28",
        "IDLE": f"no issues in the 60 days to {until}",
        "NOLEAD": "no lead time: 0 purchase receipts (fewer than 3) and no planned lead time",
    }
    assert found["applied"] is None

    code, out = run("plan", "policies", "--from-ledger", "--days", "60", "--apply")
    assert code == 0, out
    assert "applied: 2 items changed" in out
    ledger = open_ledger(history["MIMS_DATABASE_URL"])
    try:
        item = ledger.find(Item, item_id("GASKET"))
        assert item is not None
        p = item.planning
        assert (p.lot_size_rule, p.lot_size_quantity, p.safety_stock, p.reorder_point) == (
            "eoq", D(936), D(41), D(161),
        )  # fmt: skip
        assert p.lead_time_days == 5  # kept: the planned lead time is the planner's
        changed = [
            e for e in ledger.app.events.get(item_id("GASKET"))
            if isinstance(e, Item.PlanningParametersChanged)
        ]  # fmt: skip
        assert len(changed) == 1
        assert changed[0].reason.startswith(f"inventory policies {found['run_id'][:12]}")
        assert "cycle service level 95.0%" in changed[0].reason
    finally:
        ledger.close()
    code, out = run("plan", "policies", "--from-ledger", "--days", "60", "--apply")
    assert "applied: 0 items changed, 2 already so" in out
    code, out = run("plan", "policies", "--days", "60")
    assert code != 0
    assert "--from-ledger" in out


def test_mrp_from_the_ledger_saves_a_run_and_the_next_supersedes_it(
    history: dict[str, str],
) -> None:
    code, out = run("plan", "mrp", "--from-ledger", "--dry-run", "--json", "--horizon", "4")
    assert code == 0, out
    preview = json.loads(out)
    assert preview["saved"] is None
    # GASKET: 2,000 + 300 received - 720 issued = 1,580 on hand; 2,500 due in week 3 and a
    # safety stock of 1: 921, all but one for the sales order.
    gaskets = [o for o in preview["planned_orders"] if o["item"] == "GASKET"]
    assert [(o["quantity"], o["due_date"], o["pegging"]) for o in gaskets] == [
        ("921", (T + timedelta(days=14)).isoformat(),
         [{"kind": "sales_order", "reference": "SO-1/1", "quantity": "920",
           "needed_on": (T + timedelta(days=15)).isoformat()},
          {"kind": "stock", "reference": "", "quantity": "1", "needed_on": None}]),
    ]  # fmt: skip
    code, out = run("plan", "mrp", "--from-ledger", "--run-id", "MRP-1", "--horizon", "4")
    assert code == 0, out
    assert "saved run MRP-1" in out
    assert "SO-1/1 920" in out
    code, out = run("plan", "mrp", "--from-ledger", "--run-id", "MRP-1")
    assert code == 1
    assert "MRP run MRP-1 was saved already" in out
    code, out = run("plan", "mrp", "--from-ledger", "--run-id", "MRP-2", "--horizon", "4")
    assert code == 0, out
    with duckdb.connect(history["MIMS_READ_MODEL_PATH"], read_only=True) as con:
        rows = con.execute(
            "SELECT number, status, superseded_by FROM planned_orders ORDER BY number"
        ).fetchall()
    assert rows == [
        ("MRP-1-0001", "superseded", "MRP-2"),
        ("MRP-2-0001", "proposed", None),
    ]
    code, out = run("plan", "mrp", "--from-ledger", "--bucket-days", "0")
    assert code != 0
    assert "bucket_days" in out


@pytest.mark.slow
def test_with_a_running_server_the_cli_asks_it(history: dict[str, str]) -> None:
    with ServerProcess(
        history["MIMS_DATABASE_URL"],
        MIMS_READ_MODEL_PATH=history["MIMS_READ_MODEL_PATH"],
        MIMS_BACKDATING_WINDOW_DAYS="70",
    ) as server:
        code, out = run(
            "plan", "mrp", "--from-ledger", "--json", "--run-id", "MRP-S", "--horizon", "4",
            "--url", server.url,
        )  # fmt: skip
        assert code == 0, out
        found = json.loads(out)
        assert found["saved"]["proposed"] == "1"
        assert [o["number"] for o in found["planned_orders"]] == ["MRP-S-0001"]
        code, out = run(
            "plan", "policies", "--from-ledger", "--days", "60", "--json", "--url", server.url
        )
        assert code == 0, out
        assert sorted(p["item"] for p in json.loads(out)["proposals"]) == ["GASKET", "PLANNED"]
        code, out = run("plan", "mrp", "--from-ledger", "--run-id", "MRP-S", "--url", server.url)
        assert code == 1
        assert "saved already" in out
