"""Item master data: what a SKU is, how it is counted, tracked, costed and planned."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Self
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.errors import InvalidMasterData
from ledger.values import (
    CostingMethod,
    ItemKind,
    Meta,
    PlanningParameters,
    Tracking,
)

MAX_PRECISION = 6


class Item(LedgerAggregate):
    if TYPE_CHECKING:
        sku: str
        description: str
        kind: ItemKind
        unit_of_measure: str
        precision: int
        tracking: Tracking
        costing_method: CostingMethod
        standard_cost: Decimal | None
        shelf_life_days: int | None
        inspection_required: bool
        planning: PlanningParameters

    class Registered(LedgerAggregate.Created):
        sku: str
        description: str
        kind: ItemKind
        unit_of_measure: str
        precision: int
        tracking: Tracking
        costing_method: CostingMethod
        standard_cost: Decimal | None
        shelf_life_days: int | None
        inspection_required: bool
        planning: PlanningParameters

        def apply(self, aggregate: Item) -> None:
            aggregate.sku = self.sku
            aggregate.description = self.description
            aggregate.kind = self.kind
            aggregate.unit_of_measure = self.unit_of_measure
            aggregate.precision = self.precision
            aggregate.tracking = self.tracking
            aggregate.costing_method = self.costing_method
            aggregate.standard_cost = self.standard_cost
            aggregate.shelf_life_days = self.shelf_life_days
            aggregate.inspection_required = self.inspection_required
            aggregate.planning = self.planning

    class PlanningParametersChanged(LedgerAggregate.Event):
        planning: PlanningParameters
        reason: str

        def apply(self, aggregate: Item) -> None:
            aggregate.planning = self.planning

    class StandardCostChanged(LedgerAggregate.Event):
        standard_cost: Decimal

        def apply(self, aggregate: Item) -> None:
            aggregate.standard_cost = self.standard_cost

    @classmethod
    def register(
        cls,
        *,
        id: UUID,  # noqa: A002
        meta: Meta,
        sku: str,
        description: str,
        kind: ItemKind,
        unit_of_measure: str,
        precision: int,
        tracking: Tracking,
        costing_method: CostingMethod,
        standard_cost: Decimal | None,
        shelf_life_days: int | None,
        inspection_required: bool,
        planning: PlanningParameters,
    ) -> Self:
        if not 0 <= precision <= MAX_PRECISION:
            raise InvalidMasterData(
                f"precision must be 0..{MAX_PRECISION} decimals", field="precision"
            )
        if tracking is Tracking.SERIAL and precision != 0:
            raise InvalidMasterData(
                "serial-tracked items are counted in whole units (precision 0)",
                field="precision",
            )
        if costing_method is CostingMethod.STANDARD and standard_cost is None:
            raise InvalidMasterData("standard costing needs a standard_cost", field="standard_cost")
        return cls._create(
            cls.Registered,
            id=id,
            meta=meta,
            sku=sku,
            description=description,
            kind=kind,
            unit_of_measure=unit_of_measure,
            precision=precision,
            tracking=tracking,
            costing_method=costing_method,
            standard_cost=standard_cost,
            shelf_life_days=shelf_life_days,
            inspection_required=inspection_required,
            planning=planning,
        )

    def change_planning_parameters(
        self, *, meta: Meta, planning: PlanningParameters, reason: str
    ) -> None:
        if planning != self.planning:
            self.trigger_event(
                self.PlanningParametersChanged, meta=meta, planning=planning, reason=reason
            )

    def change_standard_cost(self, *, meta: Meta, standard_cost: Decimal) -> None:
        if self.costing_method is not CostingMethod.STANDARD:
            raise InvalidMasterData(
                f"{self.sku} is costed by {self.costing_method}, not at standard",
                field="standard_cost",
            )
        self.trigger_event(self.StandardCostChanged, meta=meta, standard_cost=standard_cost)
