"""Planned orders: what an MRP run proposes, and what a planner makes of it.

A run of the planning engine is saved whole, in one transaction: a ``PlannedOrder`` per
proposal (``Proposed``, with the requirements it is pegged to) and a ``RunProposed`` on
the plant's ``PlanningBoard``, which remembers the latest run's proposals. The next run
supersedes those still unfirmed (``Superseded``) in the same save, so at any time the
proposals in force are exactly the latest run's, plus whatever planners firmed.

Firming turns a proposal into a real order, a purchase order or a work order, saved with
``Firmed`` in one transaction: a proposal is firmed once, and never after a later run
replaced it. Two concurrent runs, or a run and a firm, meet on the same streams (the
board, the proposal) and the writer decides the later one again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Self
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.errors import LedgerError, NotFound
from ledger.ids import derived_id
from ledger.values import Meta

PLANNING_BOARD_ID = derived_id("planning-board", "plant")


class PlannedOrderKind(StrEnum):
    PURCHASE = "purchase"  # bought: firmed into a purchase order
    PRODUCTION = "production"  # made (the item has a BOM): firmed into a work order


class PegKind(StrEnum):
    """What a planned order's quantity is for."""

    SALES_ORDER = "sales_order"
    WORK_ORDER = "work_order"  # an open work order's components
    PLANNED_ORDER = "planned_order"  # a parent's planned order of the same run
    STOCK = "stock"  # safety stock, or what the lot-size rule rounded up


class ExceptionKind(StrEnum):
    PAST_DUE_RELEASE = "past_due_release"
    RESCHEDULE_IN = "reschedule_in"
    RESCHEDULE_OUT = "reschedule_out"
    CANCEL = "cancel"


class PlannedOrderStatus(StrEnum):
    PROPOSED = "proposed"
    FIRMED = "firmed"
    SUPERSEDED = "superseded"


class UnknownPlannedOrder(NotFound):
    """No planned order has this number."""

    type = "unknown-planned-order"
    title = "Unknown planned order"


class PlannedOrderFirmed(LedgerError):
    """The planned order was firmed already, into the order named: it is firmed once."""

    type = "planned-order-firmed"
    title = "The planned order is firmed already"


class PlannedOrderSuperseded(LedgerError):
    """A later MRP run replaced this proposal: firm one of that run's proposals instead."""

    type = "planned-order-superseded"
    title = "The planned order was superseded"


class FirmingIncomplete(LedgerError):
    """A purchase proposal is firmed with a supplier; a production proposal with its
    output and supply locations."""

    type = "firming-incomplete"
    title = "Firming needs more facts"
    kind = "invalid"


def planned_order_id(number: str) -> UUID:
    return derived_id("planned-order", number)


@dataclass(frozen=True, kw_only=True)
class Peg:
    """One requirement a planned order covers: a sales-order line, a work order's
    components, a parent's planned order, or stock (safety stock, a lot's surplus)."""

    kind: PegKind
    reference: str  # SO-1001/1, WO-7, MRP-...-0003; "" for stock
    quantity: Decimal
    needed_on: date | None


@dataclass(frozen=True, kw_only=True)
class PlanningException:
    """An exception message of the run: act on an open order, or on a late proposal."""

    item: str
    exception: ExceptionKind
    reference: str  # the order concerned (PO-1/2, WO-7, or a planned order's number)
    scheduled_date: date  # its release or due date as it stands
    suggested_date: date | None  # None for cancel
    quantity: Decimal
    message: str


class PlannedOrder(LedgerAggregate, stored_as="ledger.planned_orders"):
    if TYPE_CHECKING:
        number: str
        run_id: str
        item: str
        kind: PlannedOrderKind
        quantity: Decimal
        release_date: date
        due_date: date
        status: PlannedOrderStatus
        firmed_into: str | None
        superseded_by: str | None

    class Proposed(LedgerAggregate.Created):
        run_id: str
        number: str
        item: str
        kind: PlannedOrderKind
        quantity: Decimal
        release_date: date
        due_date: date
        pegging: tuple[Peg, ...]
        messages: tuple[str, ...]

        def apply(self, aggregate: PlannedOrder) -> None:
            aggregate.number = self.number
            aggregate.run_id = self.run_id
            aggregate.item = self.item
            aggregate.kind = self.kind
            aggregate.quantity = self.quantity
            aggregate.release_date = self.release_date
            aggregate.due_date = self.due_date
            aggregate.status = PlannedOrderStatus.PROPOSED
            aggregate.firmed_into = aggregate.superseded_by = None

    class Firmed(LedgerAggregate.Event):
        order_kind: str  # purchase_order | work_order
        order_number: str
        quantity: Decimal
        due_date: date

        def apply(self, aggregate: PlannedOrder) -> None:
            aggregate.status = PlannedOrderStatus.FIRMED
            aggregate.firmed_into = self.order_number

    class Superseded(LedgerAggregate.Event):
        by_run: str

        def apply(self, aggregate: PlannedOrder) -> None:
            aggregate.status = PlannedOrderStatus.SUPERSEDED
            aggregate.superseded_by = self.by_run

    @classmethod
    def propose(
        cls,
        *,
        meta: Meta,
        run_id: str,
        number: str,
        item: str,
        kind: PlannedOrderKind,
        quantity: Decimal,
        release_date: date,
        due_date: date,
        pegging: tuple[Peg, ...],
        messages: tuple[str, ...],
    ) -> Self:
        return cls._create(
            cls.Proposed,
            id=planned_order_id(number),
            meta=meta,
            run_id=run_id,
            number=number,
            item=item,
            kind=kind,
            quantity=quantity,
            release_date=release_date,
            due_date=due_date,
            pegging=pegging,
            messages=messages,
        )

    def must_be_open(self) -> None:
        """Firming needs a proposal in force: not firmed, not replaced by a later run."""
        if self.status is PlannedOrderStatus.FIRMED:
            raise PlannedOrderFirmed(
                f"planned order {self.number} was firmed into {self.firmed_into}",
                field="number",
                number=self.number,
                order_number=self.firmed_into,
            )
        if self.status is PlannedOrderStatus.SUPERSEDED:
            raise PlannedOrderSuperseded(
                f"planned order {self.number} was superseded by run {self.superseded_by}",
                field="number",
                number=self.number,
                superseded_by=self.superseded_by,
            )

    def firm(
        self, *, meta: Meta, order_kind: str, order_number: str, quantity: Decimal, due_date: date
    ) -> None:
        self.must_be_open()
        self.trigger_event(
            self.Firmed,
            meta=meta,
            order_kind=order_kind,
            order_number=order_number,
            quantity=quantity,
            due_date=due_date,
        )

    def supersede(self, *, meta: Meta, by_run: str) -> bool:
        """Replace the proposal if it is still only a proposal; firmed orders stay."""
        if self.status is not PlannedOrderStatus.PROPOSED:
            return False
        self.trigger_event(self.Superseded, meta=meta, by_run=by_run)
        return True


class PlanningBoard(LedgerAggregate, stored_as="ledger.planned_orders"):
    """The plant's record of MRP runs: which runs were saved, and which proposals the
    latest one made (the ones the next run supersedes unless they were firmed)."""

    if TYPE_CHECKING:
        runs: frozenset[str]
        latest: tuple[str, ...]

    class Opened(LedgerAggregate.Created):
        def apply(self, aggregate: PlanningBoard) -> None:
            aggregate.runs = frozenset()
            aggregate.latest = ()

    class RunProposed(LedgerAggregate.Event):
        run_id: str
        start_date: date  # period 1 starts on this day
        bucket_days: int
        horizon: int
        planned_orders: tuple[str, ...]
        superseded: tuple[str, ...]
        exceptions: tuple[PlanningException, ...]

        def apply(self, aggregate: PlanningBoard) -> None:
            aggregate.runs = aggregate.runs | {self.run_id}
            aggregate.latest = self.planned_orders

    @classmethod
    def open(cls, *, meta: Meta) -> Self:
        return cls._create(cls.Opened, id=PLANNING_BOARD_ID, meta=meta)

    def record_run(
        self,
        *,
        meta: Meta,
        run_id: str,
        start_date: date,
        bucket_days: int,
        horizon: int,
        planned_orders: tuple[str, ...],
        superseded: tuple[str, ...],
        exceptions: tuple[PlanningException, ...],
    ) -> None:
        self.trigger_event(
            self.RunProposed,
            meta=meta,
            run_id=run_id,
            start_date=start_date,
            bucket_days=bucket_days,
            horizon=horizon,
            planned_orders=planned_orders,
            superseded=superseded,
            exceptions=exceptions,
        )
