"""Master data handlers: register and change items and locations.

A handler never saves; the writer saves every aggregate the unit of work changed, together
with the command's receipt, in one transaction. ``ledger/dispatch.py`` lists which handler
decides which command.
"""

from __future__ import annotations

from ledger.errors import AlreadyExists
from ledger.ids import item_id, location_id, stock_id
from ledger.master_data.commands import (
    BlockLocation,
    ChangePlanningParameters,
    ChangeStandardCost,
    PlanningParametersInput,
    RegisterItem,
    RegisterLocation,
    UnblockLocation,
)
from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.stock.card import Stock
from ledger.unit_of_work import UnitOfWork
from ledger.values import PlanningParameters


def _planning(given: PlanningParametersInput) -> PlanningParameters:
    return PlanningParameters(**given.model_dump())


def register_item(uow: UnitOfWork, cmd: RegisterItem) -> dict[str, str]:
    if uow.peek(Item, item_id(cmd.sku)) is not None:
        raise AlreadyExists(f"item {cmd.sku} is already registered", field="sku", sku=cmd.sku)
    meta = uow.meta()
    item = Item.register(
        id=item_id(cmd.sku),
        meta=meta,
        sku=cmd.sku,
        description=cmd.description,
        kind=cmd.kind,
        unit_of_measure=cmd.unit_of_measure,
        precision=cmd.precision,
        tracking=cmd.tracking,
        costing_method=cmd.costing_method,
        standard_cost=cmd.standard_cost,
        shelf_life_days=cmd.shelf_life_days,
        inspection_required=cmd.inspection_required,
        planning=_planning(cmd.planning),
        gtin=cmd.gtin,
    )
    uow.add(item)
    uow.add(Stock.open(id=stock_id(cmd.sku), meta=meta, item=item))
    return {"sku": cmd.sku}


def change_planning_parameters(uow: UnitOfWork, cmd: ChangePlanningParameters) -> dict[str, str]:
    uow.item(cmd.sku, to_change=True).change_planning_parameters(
        meta=uow.meta(), planning=_planning(cmd.planning), reason=cmd.reason
    )
    return {"sku": cmd.sku}


def change_standard_cost(uow: UnitOfWork, cmd: ChangeStandardCost) -> dict[str, str]:
    item = uow.item(cmd.sku, to_change=True)
    item.change_standard_cost(meta=uow.meta(), standard_cost=cmd.standard_cost)
    stock = uow.stock(cmd.sku)
    stock.revalue(meta=uow.meta(), new_unit_cost=cmd.standard_cost)
    revalued: Stock.Revalued = stock.pending_events[-1]  # type: ignore[assignment]
    return {"sku": cmd.sku, "value_delta": str(revalued.value_delta)}


def register_location(uow: UnitOfWork, cmd: RegisterLocation) -> dict[str, str]:
    if uow.peek(Location, location_id(cmd.code)) is not None:
        raise AlreadyExists(
            f"location {cmd.code} is already registered", field="code", location=cmd.code
        )
    parent = uow.location(cmd.parent, "parent") if cmd.parent else None
    location = Location.register(
        id=location_id(cmd.code),
        meta=uow.meta(parent.site if parent else cmd.code),
        code=cmd.code,
        name=cmd.name or cmd.code,
        level=cmd.level,
        kind=cmd.kind,
        parent=parent,
        gln=cmd.gln,
    )
    uow.add(location)
    return {"code": cmd.code, "site": location.site}


def block_location(uow: UnitOfWork, cmd: BlockLocation) -> dict[str, str]:
    location = uow.location(cmd.code, "code", to_change=True)
    location.block(meta=uow.meta(location.site), reason=cmd.reason)
    return {"code": cmd.code}


def unblock_location(uow: UnitOfWork, cmd: UnblockLocation) -> dict[str, str]:
    location = uow.location(cmd.code, "code", to_change=True)
    location.unblock(meta=uow.meta(location.site), reason=cmd.reason)
    return {"code": cmd.code}
