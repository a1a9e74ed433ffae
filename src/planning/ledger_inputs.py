"""The MRP inside the product: inputs read from the read models, planned orders out.

``read_inputs(con, settings)`` turns the read models (``projections.frames``) into
``run_mrp``'s frames; ``plan(inputs, run_id)`` runs the MRP and dates, numbers and pegs
its planned orders; ``LedgerMrpRun.command()`` is the ``ProposePlannedOrders`` that saves
the run as events. The conventions, in the planner's terms:

* **Buckets.** Period 1 starts on ``settings.start`` (today); period p covers the days
  ``start + (p - 1) B`` to ``start + p B - 1``, B = ``bucket_days`` (default 7). A date
  maps to ``floor((date - start) / B) + 1``: a past date gives a period <= 0, which
  ``run_mrp`` counts in period 1 (past due); a date after the horizon is outside the plan.
  Planned orders are dated at the start of their periods (due = receipt period's first
  day, release = release period's first day, in the past for a past-due release).
* **Lead times** in periods: ``ceil(lead_time_days / B)``.
* **On hand** is usable stock only: available and unexpired (``frames.on_hand``); held,
  quarantined, rejected and expired stock never counts. **Allocated** is only what was
  reserved by hand (a reservation for neither a sales order nor a work order), at most
  the usable stock: sales-order allocations and released work orders' reservations stand
  for lines already in the open demand, so subtracting them as well would count the same
  requirement twice.
* **Demand**: open sales-order lines at their due dates; the components still to issue
  of released work orders, and the components of created (not yet released) work orders
  exploded through today's effective BOM, both at the order's planned start (its due
  period less its item's lead time) with the source ``WO-...``.
* **Scheduled receipts**: open purchase-order lines (draft or confirmed) and the output
  still to come of created and released work orders, at their due dates.
* **BOM**: today's effective single-level bill, scrap allowance in, by-products out;
  phantom lines are replaced by the phantom's own components (recursively), so a phantom
  is driven through, never planned as a component.
* **Make or buy**: an item with an effective BOM gets planned work orders
  (``production``), any other item planned purchase orders (``purchase``).
* **Lot sizing**: the item's rule (the ledger's ``LotSizeRule``, which the planning uses),
  lot size quantity and minimum lot; ``fixed_order_quantity`` and ``multiple`` without a
  quantity fall back to lot-for-lot, and quantities finer than the unit are rounded up to
  it, each with a warning. ``ordering_cost`` (per order) and ``holding_rate`` (per year,
  of the unit cost) feed the cost-based rules: holding cost per unit per period =
  ``unit_cost x holding_rate x B / 365``.
* **Pegging** of a planned order: per item, supply (usable on hand, then scheduled and
  planned receipts by arrival, scheduled first) is consumed first in, first out by the
  requirements in period order; each planned order lists the requirements it covers (a
  sales-order line, a work order's components, a parent's planned order) and what is
  left (``stock``: safety stock, or a lot rounded up by its rule).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import duckdb
import numpy as np
import polars as pl

from ledger.planning.aggregates import ExceptionKind, PegKind, PlannedOrderKind
from ledger.planning.commands import (
    PegInput,
    PlannedOrderInput,
    PlanningExceptionInput,
    ProposePlannedOrders,
)
from ledger.values import LotSizeRule
from planning.mrp import MrpPlan, run_mrp
from planning.quantities import QUANTITY_DECIMALS, round_to_precision, snap
from projections import frames

NEEDS_QUANTITY = frozenset({LotSizeRule.FIXED_ORDER_QUANTITY, LotSizeRule.MULTIPLE})
DAYS_PER_YEAR = 365
PHANTOM_DEPTH = 64  # the ledger refuses BOM cycles; this only bounds a corrupt read model


@dataclass(frozen=True, kw_only=True)
class MrpSettings:
    start: date
    bucket_days: int = 7
    horizon: int = 12
    ordering_cost: float = 0.0
    holding_rate: float = 0.0
    reschedule_tolerance: int = 0

    def __post_init__(self) -> None:
        if self.bucket_days < 1 or self.horizon < 1:
            msg = "bucket_days and horizon must be at least 1"
            raise ValueError(msg)
        if self.ordering_cost < 0 or self.holding_rate < 0:
            msg = "ordering_cost and holding_rate must not be negative"
            raise ValueError(msg)

    def period(self, day: date) -> int:
        return (day - self.start).days // self.bucket_days + 1

    def period_start(self, period: int) -> date:
        return self.start + timedelta(days=(period - 1) * self.bucket_days)

    def lead_periods(self, days: int) -> int:
        return -(-days // self.bucket_days)

    @property
    def end(self) -> date:
        """The last day of the horizon."""
        return self.period_start(self.horizon + 1) - timedelta(days=1)


@dataclass(frozen=True)
class MrpInputs:
    """``run_mrp``'s frames as read from the ledger, with what the adapter needs besides:
    ``items`` has ``kind`` (purchase or production) and ``unit_cost``; ``demand`` and
    ``receipts`` have ``due_date``, ``kind`` and ``reference``."""

    settings: MrpSettings
    items: pl.DataFrame
    bom: pl.DataFrame
    demand: pl.DataFrame
    receipts: pl.DataFrame
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PegLine:
    kind: PegKind
    reference: str
    quantity: Decimal
    needed_on: date | None


@dataclass(frozen=True, kw_only=True)
class ProposedOrder:
    number: str
    item: str
    kind: PlannedOrderKind
    quantity: Decimal
    low_level_code: int
    release_period: int
    receipt_period: int
    release_date: date
    due_date: date
    past_due: bool
    pegging: tuple[PegLine, ...]
    messages: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ExceptionLine:
    item: str
    exception: ExceptionKind
    reference: str
    period: int
    suggested_period: int | None
    scheduled_date: date
    suggested_date: date | None
    quantity: Decimal
    message: str


@dataclass(frozen=True)
class LedgerMrpRun:
    run_id: str
    settings: MrpSettings
    orders: tuple[ProposedOrder, ...]
    exceptions: tuple[ExceptionLine, ...]
    records: pl.DataFrame
    warnings: tuple[str, ...] = field(default=())

    def command(self, command_id: str | None = None) -> ProposePlannedOrders:
        """The command that saves this run (its proposals and exception messages)."""
        return ProposePlannedOrders(
            command_id=command_id,
            run_id=self.run_id,
            start_date=self.settings.start,
            bucket_days=self.settings.bucket_days,
            horizon=self.settings.horizon,
            orders=[
                PlannedOrderInput(
                    number=o.number,
                    item=o.item,
                    kind=o.kind,
                    quantity=o.quantity,
                    release_date=o.release_date,
                    due_date=o.due_date,
                    pegging=[
                        PegInput(
                            kind=p.kind,
                            reference=p.reference,
                            quantity=p.quantity,
                            needed_on=p.needed_on,
                        )
                        for p in o.pegging
                    ],
                    messages=list(o.messages),
                )
                for o in self.orders
            ],
            exceptions=[
                PlanningExceptionInput(
                    item=x.item,
                    exception=x.exception,
                    reference=x.reference,
                    scheduled_date=x.scheduled_date,
                    suggested_date=x.suggested_date,
                    quantity=x.quantity,
                    message=x.message,
                )
                for x in self.exceptions
            ],
        )


def to_decimal(value: float, places: int = QUANTITY_DECIMALS) -> Decimal:
    """A planning float as the exact decimal it stands for (quantities sit on a grid)."""
    found = Decimal(f"{value:.{places}f}")
    return found.quantize(Decimal(1)) if found == found.to_integral_value() else found.normalize()


# --- reading the inputs ------------------------------------------------------------------


def explode_phantoms(bom: pl.DataFrame) -> pl.DataFrame:
    """Replace every phantom line by the phantom's own components, multiplied through
    (recursively, summed where they meet); a phantom without a BOM stays a component."""
    lines: dict[str, list[tuple[str, float, bool]]] = defaultdict(list)
    for parent, component, per, phantom in bom.select(
        "parent", "component", "quantity_per", "phantom"
    ).iter_rows():
        lines[parent].append((component, per, bool(phantom)))

    def expand(parent: str, factor: float, into: dict[str, float], depth: int) -> None:
        for component, per, phantom in lines[parent]:
            quantity = factor * per
            if phantom and component in lines and depth < PHANTOM_DEPTH:
                expand(component, quantity, into, depth + 1)
            else:
                into[component] = into.get(component, 0.0) + quantity

    rows = []
    for parent in sorted(lines):
        found: dict[str, float] = {}
        expand(parent, 1.0, found, 0)
        rows += [(parent, k, round(v, 12)) for k, v in sorted(found.items())]
    return pl.DataFrame(
        rows,
        schema={"parent": pl.String(), "component": pl.String(), "quantity_per": pl.Float64()},
        orient="row",
    )


def _item_frame(
    con: duckdb.DuckDBPyConnection, s: MrpSettings, made: set[str]
) -> tuple[pl.DataFrame, list[str]]:
    items = frames.items(con)
    usable = frames.on_hand(con).select("item", "on_hand")
    by_hand = (
        frames.reservations(con)
        .filter(pl.col("purpose") == "other")
        .group_by("item")
        .agg(pl.col("quantity").sum().alias("reserved_by_hand"))
    )
    costs = frames.unit_costs(con)
    warnings: list[str] = []
    rows = []
    joined = (
        items.join(usable, on="item", how="left")
        .join(by_hand, on="item", how="left")
        .join(costs, on="item", how="left")
    )
    for row in joined.iter_rows(named=True):
        sku, precision = row["item"], int(row["precision"])
        rule = LotSizeRule(row["lot_size_rule"])
        quantity, minimum = row["lot_size_quantity"], row["minimum_lot"]
        for name in ("lot_size_quantity", "minimum_lot"):
            value = row[name]
            rounded = math.ceil(round(value * 10**precision, 6)) / 10**precision
            if rounded != value:
                warnings.append(
                    f"{sku}: {name} {value:g} rounded up to {rounded:g}"
                    f" ({row['unit_of_measure']} allows {precision} decimals)"
                )
            if name == "lot_size_quantity":
                quantity = rounded
            else:
                minimum = rounded
        if rule in NEEDS_QUANTITY and quantity <= 0:
            warnings.append(f"{sku}: {rule} without a lot size quantity: planned lot for lot")
            rule = LotSizeRule.LOT_FOR_LOT
        on_hand = max(0.0, row["on_hand"] or 0.0)
        unit_cost = row["unit_cost"]
        rows.append(
            {
                "item": sku,
                "kind": str(
                    PlannedOrderKind.PRODUCTION if sku in made else PlannedOrderKind.PURCHASE
                ),
                "lead_time": s.lead_periods(int(row["lead_time_days"])),
                "lead_time_days": int(row["lead_time_days"]),
                "on_hand": on_hand,
                "allocated": min(on_hand, row["reserved_by_hand"] or 0.0),
                "safety_stock": row["safety_stock"],
                "lot_size_rule": str(rule),
                "lot_size_quantity": quantity,
                "minimum_lot": minimum,
                "ordering_cost": s.ordering_cost,
                "holding_cost": (unit_cost or 0.0) * s.holding_rate * s.bucket_days / DAYS_PER_YEAR,
                "precision": precision,
                "unit_cost": unit_cost,
                "unit_of_measure": row["unit_of_measure"],
            }
        )
    schema = {
        "item": pl.String(), "kind": pl.String(), "lead_time": pl.Int64(),
        "lead_time_days": pl.Int64(), "on_hand": pl.Float64(), "allocated": pl.Float64(),
        "safety_stock": pl.Float64(), "lot_size_rule": pl.String(),
        "lot_size_quantity": pl.Float64(), "minimum_lot": pl.Float64(),
        "ordering_cost": pl.Float64(), "holding_cost": pl.Float64(), "precision": pl.Int64(),
        "unit_cost": pl.Float64(), "unit_of_measure": pl.String(),
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row"), warnings


DEMAND_SCHEMA = {
    "item": pl.String(),
    "period": pl.Int64(),
    "quantity": pl.Float64(),
    "source": pl.String(),
    "due_date": pl.Date(),
    "kind": pl.String(),
    "reference": pl.String(),
}
RECEIPT_SCHEMA = {
    "item": pl.String(),
    "period": pl.Int64(),
    "quantity": pl.Float64(),
    "order": pl.String(),
    "due_date": pl.Date(),
    "kind": pl.String(),
    "reference": pl.String(),
}


def _demand(
    con: duckdb.DuckDBPyConnection, s: MrpSettings, items: pl.DataFrame, bom: pl.DataFrame
) -> pl.DataFrame:
    lead = dict(zip(items["item"], items["lead_time"], strict=True))
    precision = dict(zip(items["item"], items["precision"], strict=True))
    rows: list[tuple[object, ...]] = []
    open_demand = frames.open_demand(con)
    for kind, reference, line, item, due, quantity in open_demand.filter(
        pl.col("kind") == "sales_order"
    ).iter_rows():
        ref = f"{reference}/{line}"
        rows.append((item, s.period(due), quantity, f"{kind}:{ref}", due, kind, ref))
    orders = frames.work_orders(con)
    starts = {}  # a work order's planned start: its components are required then
    for number, item, _status, due, _quantity, _received in orders.iter_rows():
        period = s.period(due) - lead.get(item, 0)
        starts[number] = (period, s.period_start(period))
    for _kind, number, _line, component, due, quantity in open_demand.filter(
        pl.col("kind") == "work_order"
    ).iter_rows():
        period, needed_on = starts.get(number, (s.period(due), due))
        rows.append(
            (component, period, quantity, f"work_order:{number}", needed_on, "work_order", number)
        )
    per_unit: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for parent, component, per in bom.iter_rows():
        per_unit[parent].append((component, per))
    for number, item, status, _due, quantity, received in orders.iter_rows():
        if status != "created":
            continue  # a released order's components are in the open demand already
        period, needed_on = starts[number]
        for component, per in per_unit.get(item, []):
            # What the release will reserve: the requirement rounded to the unit (half up).
            required = float(
                round_to_precision(
                    np.array([(quantity - received) * per]), precision.get(component, 0)
                )[0]
            )
            if required > 0:
                rows.append(
                    (component, period, required, f"work_order:{number}", needed_on,
                     "work_order", number)
                )  # fmt: skip
    return pl.DataFrame(rows, schema=DEMAND_SCHEMA, orient="row").filter(pl.col("quantity") > 0)


def _receipts(con: duckdb.DuckDBPyConnection, s: MrpSettings) -> pl.DataFrame:
    rows = []
    for kind, reference, line, item, due, quantity in frames.open_supply(con).iter_rows():
        ref = f"{reference}/{line}" if kind == "purchase_order" else reference
        rows.append((item, s.period(due), quantity, f"{kind}:{ref}", due, kind, ref))
    return pl.DataFrame(rows, schema=RECEIPT_SCHEMA, orient="row")


def read_inputs(con: duckdb.DuckDBPyConnection, settings: MrpSettings) -> MrpInputs:
    """Everything the MRP needs, from the read models (``ReadModels.reader()``)."""
    effective = frames.bom(con, settings.start)
    made = set(effective.get_column("parent").to_list())
    items, warnings = _item_frame(con, settings, made)
    bom = explode_phantoms(effective)
    return MrpInputs(
        settings=settings,
        items=items,
        bom=bom,
        demand=_demand(con, settings, items, bom),
        receipts=_receipts(con, settings),
        warnings=tuple(warnings),
    )


# --- running and explaining the plan -----------------------------------------------------


def _numbered(plan: MrpPlan, inputs: MrpInputs, run_id: str) -> pl.DataFrame:
    kinds = inputs.items.select("item", "kind", "precision")
    return (
        plan.planned_orders.with_row_index("row")
        .join(kinds, on="item", how="left")
        .sort("release_period", "low_level_code", "item", "receipt_period", "row")
        .with_row_index("seq", offset=1)
        .with_columns(
            pl.format("{}-{}", pl.lit(run_id), pl.col("seq").cast(pl.String).str.zfill(4)).alias(
                "number"
            )
        )
    )


@dataclass
class _Supply:
    number: str | None  # None: on hand or a scheduled receipt
    left: float
    pegs: list[PegLine] = field(default_factory=list)


def _supplies(numbered: pl.DataFrame, inputs: MrpInputs) -> dict[str, list[_Supply]]:
    """Each item's supply in the order it is consumed: usable on hand, then scheduled
    and planned receipts by arrival period (scheduled first)."""
    s = inputs.settings
    found: dict[str, list[tuple[int, int, _Supply]]] = defaultdict(list)
    for item, on_hand, allocated in inputs.items.select("item", "on_hand", "allocated").iter_rows():
        found[item].append((0, 0, _Supply(None, on_hand - allocated)))
    inside = inputs.receipts.filter(pl.col("period") <= s.horizon).sort("period", "order")
    for item, period, quantity in inside.select("item", "period", "quantity").iter_rows():
        found[item].append((max(period, 1), 1, _Supply(None, quantity)))
    for item, receipt, quantity, number in (
        numbered.sort("receipt_period", "seq")
        .select("item", "receipt_period", "quantity", "number")
        .iter_rows()
    ):
        found[item].append((receipt, 2, _Supply(number, quantity)))
    return {
        item: [x[2] for x in sorted(rows, key=lambda x: (x[0], x[1]))]
        for item, rows in found.items()
    }


def _snapped(value: float) -> float:
    return float(snap(np.array([value]))[0])


def _consume(queue: deque[_Supply], need: float, peg: Callable[[float], PegLine]) -> None:
    while need > 0 and queue:
        head = queue[0]
        used = _snapped(min(need, head.left))
        if head.number is not None and used > 0:
            head.pegs.append(peg(used))
        head.left = _snapped(head.left - used)
        need = _snapped(need - used)
        if head.left <= 0:
            queue.popleft()


def _requirements(
    plan: MrpPlan, numbered: pl.DataFrame, inputs: MrpInputs
) -> list[tuple[str, int, tuple[object, ...], PegKind, str, date | None, float]]:
    """Every gross requirement with what it is for, in the order supply meets it: by
    item and period; in a period, independent demand by date and reference, then the
    parents' planned orders by number."""
    s = inputs.settings
    by_parent: dict[tuple[str, int, int], list[tuple[int, str]]] = defaultdict(list)
    for item, release, receipt, seq, number in (
        numbered.sort("row")
        .select("item", "release_period", "receipt_period", "seq", "number")
        .iter_rows()
    ):
        by_parent[(item, release, receipt)].append((seq, number))
    demand_dates = {
        (item, source): due
        for item, source, due in inputs.demand.select("item", "source", "due_date").iter_rows()
    }
    taken: dict[tuple[str, str, int, int], int] = defaultdict(int)
    found: list[tuple[str, int, tuple[object, ...], PegKind, str, date | None, float]] = []
    for row in plan.pegging.iter_rows(named=True):
        item, period, quantity = row["item"], row["period"], row["quantity"]
        if row["source"] == "planned_order":
            # Identical planned orders of a parent (lots of a fixed quantity) share their
            # periods: each takes one of the rows.
            key = (item, row["parent"], row["parent_release_period"], row["parent_receipt_period"])
            parents = by_parent[key[1:]]
            seq, number = parents[taken[key] % len(parents)]
            taken[key] += 1
            needed_on = s.period_start(max(row["parent_release_period"], 1))
            found.append(
                (item, period, (1, seq), PegKind.PLANNED_ORDER, number, needed_on, quantity)
            )
        else:
            source, reference = row["reference"].split(":", 1)
            due = demand_dates.get((item, row["reference"]))
            order = (0, due or date.min, reference)
            found.append((item, period, order, PegKind(source), reference, due, quantity))
    return sorted(found, key=lambda r: (r[0], r[1], r[2]))


def _peg(plan: MrpPlan, numbered: pl.DataFrame, inputs: MrpInputs) -> dict[str, list[PegLine]]:
    """First in, first out: see the module docstring."""
    supplies = _supplies(numbered, inputs)
    queues = {item: deque(found) for item, found in supplies.items()}
    for item, _, _, kind, reference, needed_on, quantity in _requirements(plan, numbered, inputs):
        _consume(
            queues.get(item, deque()), quantity, partial(_peg_line, kind, reference, needed_on)
        )
    pegs: dict[str, list[PegLine]] = {}
    for supply in (x for found in supplies.values() for x in found if x.number is not None):
        if supply.left > 0:
            supply.pegs.append(_peg_line(PegKind.STOCK, "", None, supply.left))
        pegs[str(supply.number)] = supply.pegs
    return pegs


def _peg_line(kind: PegKind, reference: str, needed_on: date | None, quantity: float) -> PegLine:
    return PegLine(
        kind=kind, reference=reference, quantity=to_decimal(quantity), needed_on=needed_on
    )


def _quantity_text(quantity: Decimal, unit: str) -> str:
    return f"{quantity} {unit}"


def _exceptions(
    plan: MrpPlan, inputs: MrpInputs, orders: tuple[ProposedOrder, ...]
) -> tuple[ExceptionLine, ...]:
    s = inputs.settings
    units = dict(inputs.items.select("item", "unit_of_measure").iter_rows())
    due = {
        (item, order): day
        for item, order, day in inputs.receipts.select("item", "order", "due_date").iter_rows()
    }
    found = [
        ExceptionLine(
            item=o.item,
            exception=ExceptionKind.PAST_DUE_RELEASE,
            reference=o.number,
            period=o.release_period,
            suggested_period=1,
            scheduled_date=o.release_date,
            suggested_date=s.start,
            quantity=o.quantity,
            message=o.messages[0],
        )
        for o in orders
        if o.past_due
    ]
    receipts = plan.exceptions.filter(pl.col("exception") != "past_due_release")
    for row in receipts.iter_rows(named=True):
        item, exception = row["item"], ExceptionKind(row["exception"])
        reference = row["order"].split(":", 1)[1]
        scheduled = due[(item, row["order"])]
        suggested = row["suggested_period"]
        suggested_date = None if suggested is None else s.period_start(suggested)
        what = f"{reference} ({_quantity_text(to_decimal(row['quantity']), units[item])} {item})"
        if exception is ExceptionKind.CANCEL:
            message = f"cancel {what}: not needed by {s.end.isoformat()}"
        elif exception is ExceptionKind.RESCHEDULE_IN:
            message = f"reschedule {what} in from {scheduled} to {suggested_date}"
        elif row["period"] < 1:
            message = f"{what} was due {scheduled}: reschedule it to {suggested_date}"
        else:
            message = f"reschedule {what} out from {scheduled} to {suggested_date}"
        found.append(
            ExceptionLine(
                item=item,
                exception=exception,
                reference=reference,
                period=row["period"],
                suggested_period=suggested,
                scheduled_date=scheduled,
                suggested_date=suggested_date,
                quantity=to_decimal(row["quantity"]),
                message=message,
            )
        )
    return tuple(found)


def plan(inputs: MrpInputs, run_id: str) -> LedgerMrpRun:
    """Run the MRP on ``inputs``; number the planned orders ``{run_id}-0001``..."""
    s = inputs.settings
    result = run_mrp(
        inputs.items,
        inputs.bom,
        inputs.demand,
        inputs.receipts,
        horizon=s.horizon,
        reschedule_tolerance=s.reschedule_tolerance,
    )
    numbered = _numbered(result, inputs, run_id)
    pegs = _peg(result, numbered, inputs)
    units = dict(inputs.items.select("item", "unit_of_measure").iter_rows())
    orders = []
    for row in numbered.sort("seq").iter_rows(named=True):
        quantity = to_decimal(row["quantity"], row["precision"])
        release_date = s.period_start(row["release_period"])
        late = (
            f"release {row['number']} ({_quantity_text(quantity, units[row['item']])}"
            f" {row['item']}) now or expedite: it should have been released on"
            f" {release_date.isoformat()}"
        )
        messages = (late,) if row["past_due"] else ()
        orders.append(
            ProposedOrder(
                number=row["number"],
                item=row["item"],
                kind=PlannedOrderKind(row["kind"]),
                quantity=quantity,
                low_level_code=row["low_level_code"],
                release_period=row["release_period"],
                receipt_period=row["receipt_period"],
                release_date=release_date,
                due_date=s.period_start(row["receipt_period"]),
                past_due=row["past_due"],
                pegging=tuple(pegs.get(row["number"], ())),
                messages=messages,
            )
        )
    records = result.records.with_columns(
        (pl.lit(s.start) + pl.duration(days=(pl.col("period") - 1) * s.bucket_days)).alias(
            "start_date"
        )
    )
    return LedgerMrpRun(
        run_id=run_id,
        settings=s,
        orders=tuple(orders),
        exceptions=_exceptions(result, inputs, tuple(orders)),
        records=records,
        warnings=inputs.warnings,
    )


def plan_from_read_models(
    con: duckdb.DuckDBPyConnection, settings: MrpSettings, run_id: str
) -> LedgerMrpRun:
    return plan(read_inputs(con, settings), run_id)
