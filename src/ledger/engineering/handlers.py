"""Engineering handlers: work centers, BOMs and routings, and the BOM explosion work orders use.

A handler never saves; the writer saves every aggregate the unit of work changed, together
with the command's receipt, in one transaction. ``ledger/dispatch.py`` lists which handler
decides which command.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.engineering.aggregates import (
    ENGINEERING_ID,
    Backflush,
    BillOfMaterials,
    BomLine,
    Engineering,
    NoEffectiveVersion,
    Operation,
    Routing,
    WorkCenter,
    work_center_id,
)
from ledger.engineering.commands import DefineBom, DefineRouting, DefineWorkCenter
from ledger.errors import AlreadyExists, NotFound
from ledger.unit_of_work import UnitOfWork
from ledger.values import (
    ZERO,
)


class UnknownWorkCenter(NotFound):
    """No work center has this code."""

    type = "unknown-work-center"
    title = "Unknown work center"


def engineering_index(uow: UnitOfWork, *, to_change: bool) -> Engineering | None:
    """The plant's BOM index; taken ``to_change`` when the command adds to it (its version
    is then checked at the save), else only read (a release explodes through it)."""
    if to_change:
        return uow.find(Engineering, ENGINEERING_ID)
    return uow.peek(Engineering, ENGINEERING_ID)


def define_work_center(uow: UnitOfWork, cmd: DefineWorkCenter) -> dict[str, str]:
    if uow.peek(WorkCenter, work_center_id(cmd.code)) is not None:
        raise AlreadyExists(f"work center {cmd.code} exists", field="code")
    uow.add(
        WorkCenter.define(
            meta=uow.meta(),
            code=cmd.code,
            name=cmd.name or cmd.code,
            capacity_hours_per_day=cmd.capacity_hours_per_day,
            working_days=tuple(sorted(set(cmd.working_days))),
            labour_rate=cmd.labour_rate,
            machine_rate=cmd.machine_rate,
        )
    )
    return {"code": cmd.code}


def _engineering_to_change(uow: UnitOfWork) -> Engineering:
    engineering = engineering_index(uow, to_change=True)
    if engineering is None:
        engineering = Engineering.start(meta=uow.meta())
        uow.add(engineering)
    return engineering


def define_bom(uow: UnitOfWork, cmd: DefineBom) -> dict[str, str]:
    uow.item(cmd.parent, "parent")
    for n, line in enumerate(cmd.lines):
        uow.item(line.component, f"lines.{n}.component")
    engineering = _engineering_to_change(uow)
    bom = BillOfMaterials.define(
        meta=uow.meta(),
        parent=cmd.parent,
        revision=cmd.version,
        effective_from=cmd.effective_from,
        effective_to=cmd.effective_to,
        output_quantity=cmd.output_quantity,
        lines=tuple(
            BomLine(
                component=line.component,
                quantity=line.quantity,
                scrap_factor=line.scrap_factor,
                phantom=line.phantom,
                by_product=line.by_product,
                backflush=Backflush(line.backflush),
                operation=line.operation,
            )
            for line in cmd.lines
        ),
    )
    engineering.index_bom(meta=uow.meta(), bom=bom)
    uow.add(bom)
    return {"parent": cmd.parent, "version": cmd.version}


def define_routing(uow: UnitOfWork, cmd: DefineRouting) -> dict[str, str]:
    uow.item(cmd.item, "item")
    for n, op in enumerate(cmd.operations):
        if uow.peek(WorkCenter, work_center_id(op.work_center)) is None:
            raise UnknownWorkCenter(
                f"no work center {op.work_center}", field=f"operations.{n}.work_center"
            )
    engineering = _engineering_to_change(uow)
    routing = Routing.define(
        meta=uow.meta(),
        item=cmd.item,
        revision=cmd.version,
        effective_from=cmd.effective_from,
        effective_to=cmd.effective_to,
        operations=tuple(
            Operation(
                seq=op.seq,
                work_center=op.work_center,
                description=op.description,
                setup_hours=op.setup_hours,
                run_hours_per_unit=op.run_hours_per_unit,
                move_queue_hours=op.move_queue_hours,
            )
            for op in cmd.operations
        ),
    )
    engineering.index_routing(meta=uow.meta(), routing=routing)
    uow.add(routing)
    return {"item": cmd.item, "version": cmd.version}


def explode(
    uow: UnitOfWork, engineering: Engineering, item: str, day: date
) -> tuple[BillOfMaterials, dict[str, tuple[Decimal, BomLine]]]:
    """The BOM effective on ``day`` and its components per unit of the parent, gross of
    scrap, with phantoms replaced by their own components (summed where they meet)."""
    version = engineering.effective_bom(item, day)
    if version is None:
        raise NoEffectiveVersion(
            f"{item} has no BOM effective on {day.isoformat()}", field="item", item=item
        )
    bom = uow.peek(BillOfMaterials, version.stream)
    if bom is None:
        raise NoEffectiveVersion(f"BOM {item} {version.version} is missing", item=item)
    found: dict[str, tuple[Decimal, BomLine]] = {}

    def add(b: BillOfMaterials, factor: Decimal) -> None:
        for line in b.lines:
            per_unit = factor * line.quantity / b.output_quantity * (1 + line.scrap_factor)
            if line.phantom and not line.by_product:
                _, phantom = explode(uow, engineering, line.component, day)
                for component, (quantity, inner) in phantom.items():
                    sofar = found.get(component, (ZERO, inner))[0]
                    found[component] = (sofar + per_unit * quantity, inner)
                continue
            signed = -per_unit if line.by_product else per_unit
            sofar = found.get(line.component, (ZERO, line))[0]
            found[line.component] = (sofar + signed, line)

    add(bom, Decimal(1))
    return bom, found
