"""Extreme but valid figures, through the commands, into every read model.

The ranges of ``ledger.values`` hold from a command's validation to every read-model
column: whatever the commands accept, every projection applies (none fails), every table
and view reads back, the read models equal the ledger's own fold exactly, and no value is
rounded on the way (a receipt's value is its quantity times its unit cost, to the digit).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.commands import Command
from ledger.engineering.commands import (
    BomLineInput,
    DefineBom,
    DefineRouting,
    DefineWorkCenter,
    OperationInput,
)
from ledger.errors import LedgerError
from ledger.master_data.commands import ChangeStandardCost
from ledger.orders.commands import (
    AllocateSalesOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    CreateSalesOrder,
    OrderLineInput,
    ReceiptLineInput,
    ReceivePurchaseOrder,
)
from ledger.production.commands import (
    CloseWorkOrder,
    CreateWorkOrder,
    IssueToWorkOrder,
    ReceiveWorkOrderOutput,
    ReleaseWorkOrder,
    ReportOperation,
)
from ledger.stock.commands import (
    AdjustStock,
    ChangeStockStatus,
    CountStock,
    IssueStock,
    MoveStock,
    ReceiveStock,
    ReserveStock,
)
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.audit import verify
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from queries.stock.query import as_of_stock
from tests.support.identity import register, signature
from tests.support.plant import Plant

D = Decimal
QA = "qa"  # runs the steps, and signs the corrections and releases
EXACT = decimal.Context(prec=100)


class Declared:
    """The range a command declares for a field (its JSON Schema says the same)."""

    def __init__(self, command: type[Command], field: str) -> None:
        found = {
            name: getattr(m, name)
            for m in command.model_fields[field].metadata
            for name in ("max_digits", "decimal_places")
            if getattr(m, name, None) is not None
        }
        self.decimals = int(found["decimal_places"])
        self.quantum = D(1).scaleb(-self.decimals)
        self.largest = D(10) ** (int(found["max_digits"]) - self.decimals) - self.quantum


QUANTITY = Declared(ReceiveStock, "quantity")
UNIT_COST = Declared(ReceiveStock, "unit_cost")
ITEMS = {
    "FIFO": {},
    "AVG": {"costing_method": "moving_average"},
    "STD": {"costing_method": "standard", "standard_cost": UNIT_COST.largest},
    "LOT": {"tracking": "lot"},
}
LOCATIONS = ["A", "B"]

quantities = st.one_of(
    st.sampled_from(
        [QUANTITY.quantum, D(1), QUANTITY.largest, QUANTITY.largest / 3, D("123456.789012")]
    ).map(lambda q: q.quantize(QUANTITY.quantum)),
    st.decimals(min_value=QUANTITY.quantum, max_value=QUANTITY.largest, places=6),
)
costs = st.one_of(
    st.sampled_from(
        [D(0), UNIT_COST.quantum, D(1), UNIT_COST.largest, D("0.3333333333"), D("1e6")]
    ).map(lambda x: x.quantize(UNIT_COST.quantum)),
    st.decimals(min_value=0, max_value=UNIT_COST.largest, places=10),
)
step = st.tuples(
    st.sampled_from(
        [
            *["receive", "receive", "issue", "move", "adjust+", "adjust-", "count"],
            *["hold", "unhold", "reserve", "restandard"],
        ]
    ),
    st.sampled_from(list(ITEMS)),
    st.sampled_from(LOCATIONS),
    quantities,
    costs,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("extreme")


def command(kind: str, sku: str, location: str, quantity: Decimal, cost: Decimal) -> Command:
    lot = "L1" if sku == "LOT" else None
    match kind:
        case "receive":
            return ReceiveStock(
                sku=sku, location=location, quantity=quantity, unit_cost=cost, lot=lot
            )
        case "issue":
            return IssueStock(
                sku=sku,
                location=location,
                quantity=quantity,
                lot=lot,
                target_kind="work_order",
                target="WO-1",
            )
        case "move":
            other = next(x for x in LOCATIONS if x != location)
            return MoveStock(
                sku=sku, from_location=location, to_location=other, quantity=quantity, lot=lot
            )
        case "adjust+" | "adjust-":
            delta = quantity if kind == "adjust+" else -quantity
            return AdjustStock(
                sku=sku,
                location=location,
                lot=lot,
                reason_code="FOUND",
                quantity_delta=delta,
                unit_cost=cost,
                signature=signature("found"),
            )
        case "count":
            return CountStock(sku=sku, location=location, lot=lot, counted_quantity=quantity)
        case "hold" | "unhold":
            held = kind == "hold"
            return ChangeStockStatus(
                sku=sku,
                location=location,
                lot=lot,
                quantity=quantity,
                from_status="available" if held else "held",
                to_status="held" if held else "available",
                reason=kind,
                signature=None if held else signature("cleared"),
            )
        case "reserve":
            return ReserveStock(sku=sku, quantity=quantity, reference="SO-1")
        case _:
            return ChangeStandardCost(sku="STD", standard_cost=cost)


def every_relation(models: ReadModels) -> Iterator[str]:
    with models.reader() as con:
        rows = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary"
            " UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"
        ).fetchall()
    yield from sorted(name for (name,) in rows)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=14))
def test_extreme_figures_reach_every_read_model_exactly(
    folder: Path, steps: list[tuple[str, str, str, Decimal, Decimal]]
) -> None:
    ledger = Ledger(store_env("memory://"), WriterSettings(batch_wait=0))
    models = ReadModels(None)
    try:
        plant = Plant(ledger)
        for sku, fields in ITEMS.items():
            plant.item(sku, precision=6, **fields)
        register(ledger, QA)
        for kind, sku, location, quantity, cost in steps:
            try:
                outcome = ledger.execute(command(kind, sku, location, quantity, cost), actor=QA)
            except LedgerError:  # e.g. the value or the balance would leave the range
                continue
            if kind == "receive" and sku != "STD":
                # Not rounded: the value is the product, to the last of its decimals.
                assert D(outcome.data["value"]) == EXACT.multiply(quantity, cost)
        runner = ProjectionRunner(ledger.app.recorder, models, page_size=7)
        runner.catch_up()
        failed = [(s.name, s.error) for s in runner.statuses() if s.status != "running"]
        assert failed == []
        assert {s.position for s in runner.statuses()} == {ledger.max_position()}
        with models.reader() as con:
            for relation in every_relation(models):
                con.execute(f"SELECT * FROM {relation}").fetchall()
            # GraphQL's asOf answers from the ledger rows with SQL of its own.
            as_of = con.execute(as_of_stock("effective_at <= now()")).fetchall()
            live = con.execute("SELECT * FROM stock_on_hand").fetchall()
            assert sorted(as_of, key=repr) == sorted(live, key=repr)
        assert [str(d) for d in verify(ledger, models, runner, attempts=1)] == []
    finally:
        models.close()
        ledger.close()


def test_a_receipt_beyond_the_value_range_is_refused_and_changes_nothing() -> None:
    """The issue's receipt (1e12 at 1e11) and its read side: refused whole, at once."""
    ledger = Ledger(store_env("memory://"), WriterSettings(batch_wait=0))
    try:
        plant = Plant(ledger)
        plant.item("BIG", precision=0)
        with pytest.raises(ValueError, match="12 digits before the decimal point"):
            ReceiveStock(sku="BIG", location="A", quantity=D(10**12), unit_cost=D(1))
        before = ledger.max_position()
        with pytest.raises(LedgerError) as refused:
            plant.receive("BIG", "999999999999", cost="100000000000")
        assert refused.value.type == "out-of-range"
        assert refused.value.field == "quantity"
        assert ledger.max_position() == before
    finally:
        ledger.close()


HOURS = Declared(ReportOperation, "labour_hours")
hours = st.sampled_from([D(0), HOURS.quantum, D(1), HOURS.largest])
flow = st.fixed_dictionaries(
    {
        "rate": costs,
        "price": costs,
        "per": quantities,
        "made": quantities,
        "bought": quantities,
        "issued": quantities,
        "good": quantities,
        "hours": hours,
        "output": quantities,
        "shipped": quantities,
    }
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(figures=flow)
def test_extreme_figures_through_orders_and_work_orders(figures: dict[str, Decimal]) -> None:
    """Buy, make and ship at the ranges' edges: every command the flow takes either is
    refused as a whole or reaches every read model, exactly."""
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    ledger = Ledger(store_env("memory://"), WriterSettings(batch_wait=0))
    models = ReadModels(None)
    try:
        plant = Plant(ledger)
        plant.item("RAW", precision=6)
        plant.item("MADE", precision=6, kind="finished_good")
        f = figures
        for command in (
            DefineWorkCenter(code="WC", labour_rate=f["rate"], machine_rate=f["rate"]),
            DefineBom(
                parent="MADE", version="A", effective_from=today - timedelta(days=1),
                lines=[BomLineInput(component="RAW", quantity=f["per"])],
            ),
            DefineRouting(
                item="MADE", version="A", effective_from=today - timedelta(days=1),
                operations=[OperationInput(seq=10, work_center="WC", setup_hours=f["hours"],
                                             run_hours_per_unit=f["hours"])],
            ),
            CreatePurchaseOrder(
                number="PO-1", supplier="SUP",
                lines=[OrderLineInput(line=1, sku="RAW", quantity=f["bought"],
                                        due_date=today, unit_price=f["price"])],
            ),
            ConfirmPurchaseOrder(number="PO-1"),
            ReceivePurchaseOrder(
                number="PO-1", location="A",
                lines=[ReceiptLineInput(line=1, quantity=f["bought"])],
            ),
            CreateWorkOrder(
                number="WO-1", item="MADE", quantity=f["made"], due_date=today,
                output_location="B", supply_location="A",
            ),
            ReleaseWorkOrder(number="WO-1"),
            IssueToWorkOrder(number="WO-1", component="RAW", location="A", quantity=f["issued"]),
            ReportOperation(
                number="WO-1", operation=10, good=f["good"], labour_hours=f["hours"],
                machine_hours=f["hours"],
            ),
            ReceiveWorkOrderOutput(number="WO-1", quantity=f["output"]),
            CloseWorkOrder(number="WO-1"),
            CreateSalesOrder(
                number="SO-1", customer="CUST",
                lines=[OrderLineInput(line=1, sku="MADE", quantity=f["shipped"],
                                        due_date=today, unit_price=f["price"])],
            ),
            AllocateSalesOrder(number="SO-1"),
        ):  # fmt: skip
            try:
                ledger.execute(command)
            except LedgerError:
                continue
        runner = ProjectionRunner(ledger.app.recorder, models, page_size=5)
        runner.catch_up()
        failed = [(s.name, s.error) for s in runner.statuses() if s.status != "running"]
        assert failed == []
        with models.reader() as con:
            for relation in every_relation(models):
                con.execute(f"SELECT * FROM {relation}").fetchall()
        assert [str(d) for d in verify(ledger, models, runner, attempts=1)] == []
    finally:
        models.close()
        ledger.close()
