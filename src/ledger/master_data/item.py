"""Item master data: what a SKU is, how it is counted, tracked, costed and planned."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, kw_only=True)
class Characteristic:
    """One measured property of the item's specification, with its limits."""

    name: str
    unit: str
    lower: Decimal | None
    upper: Decimal | None

    def accepts(self, value: Decimal) -> bool:
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value <= self.upper
        )


class Item(LedgerAggregate, stored_as="ledger.item"):
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
        specification: tuple[Characteristic, ...]
        independent_release: bool
        gtin: str | None

    class Registered(LedgerAggregate.Created):
        """Version 2 adds ``gtin``, the item's GS1 trade item number as 14 digits (None
        when it has none, and in a version 1 event)."""

        class_version = 2

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
        gtin: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["gtin"] = None

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
            aggregate.gtin = self.gtin
            aggregate.specification = ()
            aggregate.independent_release = False

    class SpecificationDefined(LedgerAggregate.Event):
        """The quality specification: what an inspection measures, within which limits,
        and whether a release must be signed by someone other than who held the stock."""

        characteristics: tuple[Characteristic, ...]
        independent_release: bool

        def apply(self, aggregate: Item) -> None:
            aggregate.specification = self.characteristics
            aggregate.independent_release = self.independent_release

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
        gtin: str | None = None,
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
            gtin=gtin,
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

    def define_specification(
        self,
        *,
        meta: Meta,
        characteristics: tuple[Characteristic, ...],
        independent_release: bool,
    ) -> None:
        names = [x.name for x in characteristics]
        if len(set(names)) != len(names):
            raise InvalidMasterData("each characteristic is named once", field="characteristics")
        for n, x in enumerate(characteristics):
            if x.lower is not None and x.upper is not None and x.lower > x.upper:
                raise InvalidMasterData(
                    f"{x.name}: lower limit {x.lower} above upper limit {x.upper}",
                    field=f"characteristics.{n}",
                )
        self.trigger_event(
            self.SpecificationDefined,
            meta=meta,
            characteristics=characteristics,
            independent_release=independent_release,
        )
