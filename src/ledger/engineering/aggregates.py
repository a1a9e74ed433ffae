"""Engineering master data: work centers, bills of materials and routings, by version.

A BOM or routing is a version of one item's structure, effective over a date range. The
``Engineering`` aggregate (one stream for the plant) indexes every version and the
product structure graph: defining a BOM changes the BOM and the index in one save, so a
BOM that would contain itself is refused atomically even when two engineers define the
two halves of a cycle at the same time (the second save conflicts and is decided again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Self
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.errors import InvalidMasterData, LedgerError
from ledger.ids import derived_id
from ledger.values import ZERO, Meta

ENGINEERING_ID = derived_id("engineering", "plant")


class Backflush(StrEnum):
    NONE = "none"  # issued by pick list
    OPERATION = "operation"  # consumed when its operation is reported
    COMPLETION = "completion"  # consumed when output is received


class BomCycle(LedgerError):
    """The BOM would contain its own parent, directly or through a sub-assembly."""

    type = "bom-cycle"
    title = "A BOM cannot contain itself"
    kind = "invalid"


class NoEffectiveVersion(LedgerError):
    """No BOM or routing version of the item is effective on that date."""

    type = "no-effective-version"
    title = "No effective BOM or routing"


@dataclass(frozen=True, kw_only=True)
class BomLine:
    component: str
    quantity: Decimal  # per output_quantity of the parent
    scrap_factor: Decimal  # 0.05 = 5% more is consumed than the net quantity
    phantom: bool  # a kit: its own components are used instead of it
    by_product: bool  # produced, not consumed
    backflush: Backflush
    operation: int | None  # the routing operation it is consumed at


@dataclass(frozen=True, kw_only=True)
class Operation:
    seq: int
    work_center: str
    description: str
    setup_hours: Decimal
    run_hours_per_unit: Decimal
    move_queue_hours: Decimal


@dataclass(frozen=True, kw_only=True)
class Version:
    version: str
    effective_from: date
    effective_to: date | None
    stream: UUID

    def effective_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


def bom_id(parent: str, version: str) -> UUID:
    return derived_id("bom", f"{parent}:{version}")


def routing_id(item: str, version: str) -> UUID:
    return derived_id("routing", f"{item}:{version}")


def work_center_id(code: str) -> UUID:
    return derived_id("work-center", code)


class WorkCenter(LedgerAggregate, stored_as="ledger.engineering"):
    if TYPE_CHECKING:
        code: str
        name: str
        capacity_hours_per_day: Decimal
        working_days: tuple[int, ...]
        labour_rate: Decimal
        machine_rate: Decimal

    class Defined(LedgerAggregate.Created):
        code: str
        name: str
        capacity_hours_per_day: Decimal
        working_days: tuple[int, ...]
        labour_rate: Decimal
        machine_rate: Decimal

        def apply(self, aggregate: WorkCenter) -> None:
            aggregate.code = self.code
            aggregate.name = self.name
            aggregate.capacity_hours_per_day = self.capacity_hours_per_day
            aggregate.working_days = self.working_days
            aggregate.labour_rate = self.labour_rate
            aggregate.machine_rate = self.machine_rate

    @classmethod
    def define(
        cls,
        *,
        meta: Meta,
        code: str,
        name: str,
        capacity_hours_per_day: Decimal,
        working_days: tuple[int, ...],
        labour_rate: Decimal,
        machine_rate: Decimal,
    ) -> Self:
        return cls._create(
            cls.Defined,
            id=work_center_id(code),
            meta=meta,
            code=code,
            name=name,
            capacity_hours_per_day=capacity_hours_per_day,
            working_days=working_days,
            labour_rate=labour_rate,
            machine_rate=machine_rate,
        )

    @property
    def hourly_rate(self) -> Decimal:
        return self.labour_rate + self.machine_rate


class BillOfMaterials(LedgerAggregate, stored_as="ledger.engineering"):
    if TYPE_CHECKING:
        parent: str
        revision: str
        effective_from: date
        effective_to: date | None
        output_quantity: Decimal
        lines: tuple[BomLine, ...]

    class Defined(LedgerAggregate.Created):
        parent: str
        revision: str
        effective_from: date
        effective_to: date | None
        output_quantity: Decimal
        lines: tuple[BomLine, ...]

        def apply(self, aggregate: BillOfMaterials) -> None:
            aggregate.parent = self.parent
            aggregate.revision = self.revision
            aggregate.effective_from = self.effective_from
            aggregate.effective_to = self.effective_to
            aggregate.output_quantity = self.output_quantity
            aggregate.lines = self.lines

    @classmethod
    def define(
        cls,
        *,
        meta: Meta,
        parent: str,
        revision: str,
        effective_from: date,
        effective_to: date | None,
        output_quantity: Decimal,
        lines: tuple[BomLine, ...],
    ) -> Self:
        if not lines:
            raise InvalidMasterData("a BOM needs at least one line", field="lines")
        if not any(not line.by_product for line in lines):
            raise InvalidMasterData("a BOM needs a component, not only by-products", field="lines")
        seen: set[str] = set()
        for n, line in enumerate(lines):
            if line.component == parent:
                raise BomCycle(
                    f"{parent} cannot be its own component", field=f"lines.{n}.component"
                )
            if line.component in seen:
                raise InvalidMasterData(
                    f"{line.component} appears twice: give one line with the total",
                    field=f"lines.{n}.component",
                )
            seen.add(line.component)
        if effective_to is not None and effective_to < effective_from:
            raise InvalidMasterData("effective_to is before effective_from", field="effective_to")
        return cls._create(
            cls.Defined,
            id=bom_id(parent, revision),
            meta=meta,
            parent=parent,
            revision=revision,
            effective_from=effective_from,
            effective_to=effective_to,
            output_quantity=output_quantity,
            lines=lines,
        )


class Routing(LedgerAggregate, stored_as="ledger.engineering"):
    if TYPE_CHECKING:
        item: str
        revision: str
        effective_from: date
        effective_to: date | None
        operations: tuple[Operation, ...]

    class Defined(LedgerAggregate.Created):
        item: str
        revision: str
        effective_from: date
        effective_to: date | None
        operations: tuple[Operation, ...]

        def apply(self, aggregate: Routing) -> None:
            aggregate.item = self.item
            aggregate.revision = self.revision
            aggregate.effective_from = self.effective_from
            aggregate.effective_to = self.effective_to
            aggregate.operations = self.operations

    @classmethod
    def define(
        cls,
        *,
        meta: Meta,
        item: str,
        revision: str,
        effective_from: date,
        effective_to: date | None,
        operations: tuple[Operation, ...],
    ) -> Self:
        seqs = [op.seq for op in operations]
        if not operations:
            raise InvalidMasterData("a routing needs at least one operation", field="operations")
        if seqs != sorted(set(seqs)):
            raise InvalidMasterData(
                "operation numbers must be unique and in order", field="operations"
            )
        return cls._create(
            cls.Defined,
            id=routing_id(item, revision),
            meta=meta,
            item=item,
            revision=revision,
            effective_from=effective_from,
            effective_to=effective_to,
            operations=operations,
        )


class Engineering(LedgerAggregate, stored_as="ledger.engineering"):
    """The plant's index of BOM and routing versions and its product structure graph."""

    if TYPE_CHECKING:
        boms: dict[str, tuple[Version, ...]]
        routings: dict[str, tuple[Version, ...]]
        components: dict[str, frozenset[str]]  # parent -> every component of any version

    class Started(LedgerAggregate.Created):
        def apply(self, aggregate: Engineering) -> None:
            aggregate.boms = {}
            aggregate.routings = {}
            aggregate.components = {}

    class BomIndexed(LedgerAggregate.Event):
        parent: str
        version: Version
        components: tuple[str, ...]

        def apply(self, aggregate: Engineering) -> None:
            versions = aggregate.boms.get(self.parent, ())
            aggregate.boms[self.parent] = (*versions, self.version)
            aggregate.components[self.parent] = aggregate.components.get(
                self.parent, frozenset()
            ) | frozenset(self.components)

    class RoutingIndexed(LedgerAggregate.Event):
        item: str
        version: Version

        def apply(self, aggregate: Engineering) -> None:
            aggregate.routings[self.item] = (*aggregate.routings.get(self.item, ()), self.version)

    @classmethod
    def start(cls, *, meta: Meta) -> Self:
        return cls._create(cls.Started, id=ENGINEERING_ID, meta=meta)

    def _path(self, start: str, goal: str) -> list[str] | None:
        """A chain of components from ``start`` down to ``goal``, if there is one."""
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            if node == goal:
                return path
            if node in seen:
                continue
            seen.add(node)
            stack.extend((child, [*path, child]) for child in self.components.get(node, ()))
        return None

    def index_bom(self, *, meta: Meta, bom: BillOfMaterials) -> None:
        for line in bom.lines:
            if line.by_product:
                continue
            path = self._path(line.component, bom.parent)
            if path is not None:
                raise BomCycle(
                    f"{bom.parent} would contain itself: {' > '.join([bom.parent, *path])}",
                    field="lines",
                    cycle=[bom.parent, *path],
                )
        for other in self.boms.get(bom.parent, ()):
            if other.version == bom.revision:
                raise InvalidMasterData(
                    f"BOM {bom.parent} version {bom.revision} exists", field="version"
                )
        self.trigger_event(
            self.BomIndexed,
            meta=meta,
            parent=bom.parent,
            version=Version(
                version=bom.revision,
                effective_from=bom.effective_from,
                effective_to=bom.effective_to,
                stream=bom.id,
            ),
            components=tuple(line.component for line in bom.lines if not line.by_product),
        )

    def index_routing(self, *, meta: Meta, routing: Routing) -> None:
        for other in self.routings.get(routing.item, ()):
            if other.version == routing.revision:
                raise InvalidMasterData(
                    f"routing {routing.item} version {routing.revision} exists", field="version"
                )
        self.trigger_event(
            self.RoutingIndexed,
            meta=meta,
            item=routing.item,
            version=Version(
                version=routing.revision,
                effective_from=routing.effective_from,
                effective_to=routing.effective_to,
                stream=routing.id,
            ),
        )

    @staticmethod
    def _effective(versions: tuple[Version, ...], day: date) -> Version | None:
        """The latest-starting version effective on ``day``."""
        candidates = [v for v in versions if v.effective_on(day)]
        return max(candidates, key=lambda v: (v.effective_from, v.version)) if candidates else None

    def effective_bom(self, item: str, day: date) -> Version | None:
        return self._effective(self.boms.get(item, ()), day)

    def effective_routing(self, item: str, day: date) -> Version | None:
        return self._effective(self.routings.get(item, ()), day)


def required(line: BomLine, quantity: Decimal, output_quantity: Decimal) -> Decimal:
    """Gross quantity of a component for ``quantity`` of the parent, with its scrap."""
    return quantity * line.quantity / output_quantity * (1 + line.scrap_factor)


__all__ = [
    "ZERO",
    "Backflush",
    "BillOfMaterials",
    "BomCycle",
    "BomLine",
    "Engineering",
    "NoEffectiveVersion",
    "Operation",
    "Routing",
    "Version",
    "WorkCenter",
    "bom_id",
    "required",
    "routing_id",
    "work_center_id",
]
