"""Work orders: released against a snapshot of the BOM and routing in effect, consuming
component lots, reporting operations, receiving output lots, closed with variances.

Costs (all fixed in the events):

* WIP value = material issued (the cost layers the issues drew) + conversion reported
  (hours x the work center's rates at release) - output received.
* An output receipt of q takes ``WIP x q / units still to come`` (planned, less received,
  less scrapped): a work order received in one go costs exactly its consumed layers plus
  its conversion, scrap included.
* The standard the order is measured against is rolled up at release: per unit of
  output, each component's gross quantity (scrap included) at its cost then, plus each
  operation's setup (spread over the planned quantity) and run hours at its rates.
* At close, with G the good quantity received: material price variance = issued value -
  issued quantity x standard price; material usage variance = (issued quantity -
  G x quantity per unit) x standard price; efficiency variance = conversion cost -
  (setup + G x run hours) x rate; yield variance = setup cost not absorbed because G fell
  short of the plan. Their sum is the actual cost minus G x standard, and the WIP left is
  written off.

By-products are components with a negative quantity: produced, not consumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Self

from ledger.aggregate import LedgerAggregate
from ledger.engineering.aggregates import Backflush
from ledger.errors import InvalidMasterData, LedgerError, OutOfRange, PrecisionExceeded
from ledger.ids import derived_id
from ledger.values import VALUE, ZERO, Meta, round_value


class WorkOrderState(LedgerError):
    """The work order's status does not allow this (not released, closed, cancelled)."""

    type = "work-order-state"
    title = "Not allowed in the work order's status"


class OverReported(LedgerError):
    """More good and scrap reported, or output received, than the order has started."""

    type = "over-reported"
    title = "More than was started"


class NotInWorkOrder(LedgerError):
    """The component is not in the work order's bill of materials."""

    type = "not-in-work-order"
    title = "Component not in the work order"
    kind = "invalid"


def work_order_id(number: str) -> object:
    return derived_id("work-order", number)


@dataclass(frozen=True, kw_only=True)
class Requirement:
    """One component of the released order (phantoms exploded)."""

    component: str
    per_unit: Decimal  # gross, scrap included, per unit of output; negative: by-product
    required: Decimal  # per_unit x planned quantity
    standard_cost: Decimal  # the component's unit cost at release
    backflush: Backflush
    operation: int | None


@dataclass(frozen=True, kw_only=True)
class PlannedOperation:
    seq: int
    work_center: str
    setup_hours: Decimal
    run_hours_per_unit: Decimal
    labour_rate: Decimal
    machine_rate: Decimal

    @property
    def rate(self) -> Decimal:
        return self.labour_rate + self.machine_rate


@dataclass(frozen=True, kw_only=True)
class Progress:
    good: Decimal = ZERO
    scrap: Decimal = ZERO
    rework: Decimal = ZERO
    labour_hours: Decimal = ZERO
    machine_hours: Decimal = ZERO
    conversion: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class LotUse:
    component: str
    lot: str
    quantity: Decimal


@dataclass(frozen=True, kw_only=True)
class Shortage:
    component: str
    required: Decimal
    reserved: Decimal


class WorkOrder(LedgerAggregate, stored_as="ledger.work_order"):
    if TYPE_CHECKING:
        number: str
        item: str
        quantity: Decimal
        due_date: date
        output_location: str
        supply_location: str
        status: str
        bom_version: str | None
        routing_version: str | None
        requirements: tuple[Requirement, ...]
        operations: tuple[PlannedOperation, ...]
        reservations: dict[str, str]
        issued: dict[str, tuple[Decimal, Decimal]]
        lots: dict[tuple[str, str], Decimal]
        progress: dict[int, Progress]
        received: Decimal
        received_value: Decimal
        output_lots: tuple[str, ...]

    class Created(LedgerAggregate.Created):
        number: str
        item: str
        quantity: Decimal
        due_date: date
        output_location: str
        supply_location: str
        reference: str

        def apply(self, aggregate: WorkOrder) -> None:
            aggregate.number = self.number
            aggregate.item = self.item
            aggregate.quantity = self.quantity
            aggregate.due_date = self.due_date
            aggregate.output_location = self.output_location
            aggregate.supply_location = self.supply_location
            aggregate.status = "created"
            aggregate.bom_version = aggregate.routing_version = None
            aggregate.requirements = ()
            aggregate.operations = ()
            aggregate.reservations = {}
            aggregate.issued = {}
            aggregate.lots = {}
            aggregate.progress = {}
            aggregate.received = aggregate.received_value = ZERO
            aggregate.output_lots = ()

    class Released(LedgerAggregate.Event):
        bom_version: str
        routing_version: str | None
        requirements: tuple[Requirement, ...]
        operations: tuple[PlannedOperation, ...]
        reservations: dict[str, str]
        shortages: tuple[Shortage, ...]

        def apply(self, aggregate: WorkOrder) -> None:
            aggregate.status = "released"
            aggregate.bom_version = self.bom_version
            aggregate.routing_version = self.routing_version
            aggregate.requirements = self.requirements
            aggregate.operations = self.operations
            aggregate.reservations = dict(self.reservations)
            aggregate.progress = {op.seq: Progress() for op in self.operations}

    class MaterialIssued(LedgerAggregate.Event):
        component: str
        lot: str
        location: str
        quantity: Decimal
        value: Decimal
        operation: int | None
        backflushed: bool

        def apply(self, aggregate: WorkOrder) -> None:
            aggregate._use(self.component, self.lot, self.quantity, self.value)

    class MaterialReturned(LedgerAggregate.Event):
        component: str
        lot: str
        location: str
        quantity: Decimal
        value: Decimal

        def apply(self, aggregate: WorkOrder) -> None:
            aggregate._use(self.component, self.lot, -self.quantity, -self.value)

    class OperationReported(LedgerAggregate.Event):
        operation: int
        work_center: str
        good: Decimal
        scrap: Decimal
        rework: Decimal
        labour_hours: Decimal
        machine_hours: Decimal
        conversion_value: Decimal

        def apply(self, aggregate: WorkOrder) -> None:
            p = aggregate.progress[self.operation]
            aggregate.progress[self.operation] = Progress(
                good=p.good + self.good,
                scrap=p.scrap + self.scrap,
                rework=p.rework + self.rework,
                labour_hours=p.labour_hours + self.labour_hours,
                machine_hours=p.machine_hours + self.machine_hours,
                conversion=p.conversion + self.conversion_value,
            )

    class OutputReceived(LedgerAggregate.Event):
        item: str
        quantity: Decimal
        lot: str
        location: str
        value: Decimal
        consumed_lots: tuple[LotUse, ...]

        def apply(self, aggregate: WorkOrder) -> None:
            aggregate.received += self.quantity
            aggregate.received_value += self.value
            if self.lot and self.lot not in aggregate.output_lots:
                aggregate.output_lots = (*aggregate.output_lots, self.lot)

    class Closed(LedgerAggregate.Event):
        good: Decimal
        actual_cost: Decimal
        standard_cost: Decimal
        material_price_variance: Decimal
        material_usage_variance: Decimal
        efficiency_variance: Decimal
        yield_variance: Decimal
        wip_written_off: Decimal
        released_reservations: tuple[str, ...]

        def apply(self, aggregate: WorkOrder) -> None:
            aggregate.status = "closed"
            aggregate.reservations = {}

    class Cancelled(LedgerAggregate.Event):
        reason: str
        released_reservations: tuple[str, ...]

        def apply(self, aggregate: WorkOrder) -> None:
            aggregate.status = "cancelled"
            aggregate.reservations = {}

    def _use(self, component: str, lot: str, quantity: Decimal, value: Decimal) -> None:
        q, v = self.issued.get(component, (ZERO, ZERO))
        self.issued[component] = (q + quantity, v + value)
        key = (component, lot)
        left = self.lots.get(key, ZERO) + quantity
        if left:
            self.lots[key] = left
        else:
            self.lots.pop(key, None)

    # --- figures -----------------------------------------------------------------------

    @property
    def material_value(self) -> Decimal:
        return sum((v for _, v in self.issued.values()), ZERO)

    @property
    def conversion_value(self) -> Decimal:
        return sum((p.conversion for p in self.progress.values()), ZERO)

    @property
    def wip_value(self) -> Decimal:
        return self.material_value + self.conversion_value - self.received_value

    def requirement(self, component: str) -> Requirement:
        for r in self.requirements:
            if r.component == component:
                return r
        raise NotInWorkOrder(
            f"{component} is not in work order {self.number}'s bill of materials",
            field="component",
            component=component,
        )

    def started_at(self, seq: int) -> Decimal:
        """Units that reached operation ``seq``: the order's quantity at the first, the good
        output of the operation before at the others."""
        seqs = [op.seq for op in self.operations]
        at = seqs.index(seq)
        return self.quantity if at == 0 else self.progress[seqs[at - 1]].good

    def receivable(self) -> Decimal:
        if self.operations:
            return self.progress[self.operations[-1].seq].good - self.received
        return self.quantity - self.received

    def unit_standard(self) -> tuple[Decimal, Decimal]:
        """(material, conversion) standard cost per unit of output."""
        material = sum((r.per_unit * r.standard_cost for r in self.requirements), ZERO)
        conversion = sum(
            (
                (op.setup_hours / self.quantity + op.run_hours_per_unit) * op.rate
                for op in self.operations
            ),
            ZERO,
        )
        return material, conversion

    # --- commands ----------------------------------------------------------------------

    def _must_be(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise WorkOrderState(
                f"work order {self.number} is {self.status}",
                number=self.number,
                work_order_status=self.status,
            )

    @classmethod
    def create(
        cls,
        *,
        meta: Meta,
        number: str,
        item: str,
        quantity: Decimal,
        due_date: date,
        output_location: str,
        supply_location: str,
        reference: str,
    ) -> Self:
        return cls._create(
            cls.Created,
            id=derived_id("work-order", number),
            meta=meta,
            number=number,
            item=item,
            quantity=quantity,
            due_date=due_date,
            output_location=output_location,
            supply_location=supply_location,
            reference=reference,
        )

    def release(
        self,
        *,
        meta: Meta,
        bom_version: str,
        routing_version: str | None,
        requirements: tuple[Requirement, ...],
        operations: tuple[PlannedOperation, ...],
        reservations: dict[str, str],
        shortages: tuple[Shortage, ...],
    ) -> None:
        self._must_be("created")
        self.trigger_event(
            self.Released,
            meta=meta,
            bom_version=bom_version,
            routing_version=routing_version,
            requirements=requirements,
            operations=operations,
            reservations=reservations,
            shortages=shortages,
        )

    def record_issue(
        self,
        *,
        meta: Meta,
        component: str,
        lot: str,
        location: str,
        quantity: Decimal,
        value: Decimal,
        operation: int | None,
        backflushed: bool,
    ) -> None:
        self._must_be("released")
        self.requirement(component)
        self.trigger_event(
            self.MaterialIssued,
            meta=meta,
            component=component,
            lot=lot,
            location=location,
            quantity=quantity,
            value=value,
            operation=operation,
            backflushed=backflushed,
        )

    def return_value(self, component: str, lot: str, quantity: Decimal) -> Decimal:
        """What a return of ``quantity`` is worth: the average cost it was issued at."""
        self._must_be("released")
        self.requirement(component)
        used = self.lots.get((component, lot), ZERO)
        if quantity > used:
            raise OverReported(
                f"{self.number} consumed {used} of {component}"
                + (f" lot {lot}" if lot else "")
                + f", not {quantity}",
                field="quantity",
                consumed=used,
            )
        issued_qty, issued_value = self.issued[component]
        if quantity == issued_qty:
            return issued_value
        return round_value(issued_value * quantity / issued_qty)

    def record_return(
        self,
        *,
        meta: Meta,
        component: str,
        lot: str,
        location: str,
        quantity: Decimal,
        value: Decimal,
    ) -> None:
        self.trigger_event(
            self.MaterialReturned,
            meta=meta,
            component=component,
            lot=lot,
            location=location,
            quantity=quantity,
            value=value,
        )

    def report(
        self,
        *,
        meta: Meta,
        operation: int,
        good: Decimal,
        scrap: Decimal,
        rework: Decimal,
        labour_hours: Decimal,
        machine_hours: Decimal,
    ) -> None:
        self._must_be("released")
        planned = next((op for op in self.operations if op.seq == operation), None)
        if planned is None:
            raise InvalidMasterData(
                f"work order {self.number} has no operation {operation}", field="operation"
            )
        done = self.progress[operation]
        started = self.started_at(operation)
        if done.good + done.scrap + good + scrap > started:
            raise OverReported(
                f"operation {operation} of {self.number}: {started} started,"
                f" {done.good + done.scrap} already reported, {good + scrap} more asked",
                field="good",
                started=started,
                reported=done.good + done.scrap,
            )
        conversion = labour_hours * planned.labour_rate + machine_hours * planned.machine_rate
        for figure in (conversion, self.wip_value + conversion):
            if not VALUE.holds(figure):  # the WIP (and the output it values) stays in range
                raise OutOfRange(
                    f"operation {operation} of {self.number} would bring the work in progress"
                    f" to {figure}, beyond the largest value {VALUE.largest}",
                    field="labour_hours",
                    largest=VALUE.largest,
                )
        self.trigger_event(
            self.OperationReported,
            meta=meta,
            operation=operation,
            work_center=planned.work_center,
            good=good,
            scrap=scrap,
            rework=rework,
            labour_hours=labour_hours,
            machine_hours=machine_hours,
            conversion_value=conversion,
        )

    @property
    def scrapped(self) -> Decimal:
        return sum((p.scrap for p in self.progress.values()), ZERO)

    def output_value(self, quantity: Decimal) -> Decimal:
        """The WIP share of ``quantity`` output among the units that can still come out
        (planned, less received, less scrapped): all of it when these are the last, so
        scrap is carried by the good units."""
        still = max(self.quantity - self.received - self.scrapped, quantity)
        if quantity >= still:
            return self.wip_value
        return round_value(self.wip_value * quantity / still)

    def check_receivable(self, quantity: Decimal) -> None:
        self._must_be("released")
        if quantity > self.receivable():
            raise OverReported(
                f"{self.number}: {self.receivable()} good units can be received, not {quantity}",
                field="quantity",
                receivable=self.receivable(),
            )

    def receive_output(
        self, *, meta: Meta, quantity: Decimal, lot: str, location: str, value: Decimal
    ) -> None:
        self.trigger_event(
            self.OutputReceived,
            meta=meta,
            item=self.item,
            quantity=quantity,
            lot=lot,
            location=location,
            value=value,
            consumed_lots=tuple(
                LotUse(component=c, lot=lot_, quantity=q)
                for (c, lot_), q in sorted(self.lots.items())
                if q > 0
            ),
        )

    def close(self, *, meta: Meta) -> None:
        self._must_be("released")
        good = self.received
        material_std = {r.component: r for r in self.requirements}
        issued_at_std = ZERO
        usage = ZERO
        for component, (quantity, _value) in self.issued.items():
            r = material_std[component]
            issued_at_std += quantity * r.standard_cost
            usage += (quantity - good * r.per_unit) * r.standard_cost
        # Components never issued are used at zero: all of their standard is usage gain.
        for r in self.requirements:
            if r.component not in self.issued:
                usage -= good * r.per_unit * r.standard_cost
        efficiency = self.conversion_value - sum(
            ((op.setup_hours + good * op.run_hours_per_unit) * op.rate for op in self.operations),
            ZERO,
        )
        yield_variance = sum(
            (op.setup_hours * op.rate * (1 - good / self.quantity) for op in self.operations),
            ZERO,
        )
        material_unit, conversion_unit = self.unit_standard()
        self.trigger_event(
            self.Closed,
            meta=meta,
            good=good,
            actual_cost=self.material_value + self.conversion_value,
            standard_cost=good * (material_unit + conversion_unit),
            material_price_variance=self.material_value - issued_at_std,
            material_usage_variance=usage,
            efficiency_variance=efficiency,
            yield_variance=yield_variance,
            wip_written_off=self.wip_value,
            released_reservations=tuple(sorted(self.reservations.values())),
        )

    def cancel(self, *, meta: Meta, reason: str) -> None:
        self._must_be("created", "released")
        if self.issued or self.received:
            raise WorkOrderState(
                f"work order {self.number} has consumed material or received output:"
                " return the material, or close it",
                number=self.number,
                work_order_status=self.status,
            )
        self.trigger_event(
            self.Cancelled,
            meta=meta,
            reason=reason,
            released_reservations=tuple(sorted(self.reservations.values())),
        )


def check_quantity(quantity: Decimal, precision: int, field: str) -> None:
    if quantity != quantity.quantize(Decimal(1).scaleb(-precision)):
        raise PrecisionExceeded(
            f"{quantity} has more than {precision} decimals", field=field, precision=precision
        )
