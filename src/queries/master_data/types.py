"""GraphQL types of master data: items with their planning parameters, locations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from queries.context import Context, described
from queries.enums import CostingMethod, ItemKind


@strawberry.type
class PlanningParameters:
    lead_time_days: int
    lot_size_rule: str
    lot_size_quantity: Decimal
    minimum_lot: Decimal
    safety_stock: Decimal
    reorder_point: Decimal


@strawberry.type
class Item:
    sku: str
    description: str
    kind: ItemKind
    unit_of_measure: str
    precision: int
    tracking: str
    costing_method: CostingMethod
    standard_cost: Decimal | None
    shelf_life_days: int | None
    inspection_required: bool
    planning: PlanningParameters

    COLUMNS = (
        "sku, description, kind, unit_of_measure, precision, tracking, costing_method,"
        " standard_cost, shelf_life_days, inspection_required, lead_time_days, lot_size_rule,"
        " lot_size_quantity, minimum_lot, safety_stock, reorder_point"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Item:
        (sku, description, kind, unit, precision, tracking, costing, standard, shelf,
         inspection, lead, rule, lsq, minimum, safety, rop) = row  # fmt: skip
        return cls(
            sku=sku,
            description=description,
            kind=ItemKind(kind),
            unit_of_measure=unit,
            precision=precision,
            tracking=tracking,
            costing_method=CostingMethod(costing),
            standard_cost=standard,
            shelf_life_days=shelf,
            inspection_required=inspection,
            planning=PlanningParameters(
                lead_time_days=lead,
                lot_size_rule=rule,
                lot_size_quantity=lsq,
                minimum_lot=minimum,
                safety_stock=safety,
                reorder_point=rop,
            ),
        )


@strawberry.type
class Location:
    code: str
    name: str
    level: str
    kind: str
    parent: str | None
    site: str
    path: str | None
    blocked: bool
    blocked_reason: str | None

    COLUMNS = "code, name, level, kind, parent, site, path, blocked, blocked_reason"

    @described("The locations directly under this one")
    async def children(self, info: Info[Context, None]) -> list[Location]:
        here, here_params = info.context.in_scope("location", "code")
        rows = await info.context.rows(
            f"SELECT {Location.COLUMNS} FROM locations WHERE parent = ? AND {here} ORDER BY code",
            [self.code, *here_params],
        )
        return [Location.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Location:
        code, name, level, kind, parent, site, path, blocked, reason = row
        return cls(
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent=parent,
            site=site,
            path=path,
            blocked=blocked,
            blocked_reason=reason or None,
        )
