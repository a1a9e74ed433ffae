"""Locations: the plant's hierarchy site > warehouse > zone > bin, with a kind and a block."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.errors import InvalidMasterData
from ledger.values import PARENT_LEVEL, STOCKABLE_KINDS, LocationKind, LocationLevel, Meta


class Location(LedgerAggregate, stored_as="ledger.location"):
    if TYPE_CHECKING:
        code: str
        name: str
        level: LocationLevel
        kind: LocationKind
        parent: str | None
        site: str
        blocked: bool
        blocked_reason: str
        gln: str | None

    class Registered(LedgerAggregate.Created):
        """Version 2 adds ``gln``, the location's GS1 Global Location Number (None when it
        has none, and in a version 1 event)."""

        class_version = 2

        code: str
        name: str
        level: LocationLevel
        kind: LocationKind
        parent: str | None
        site: str
        gln: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["gln"] = None

        def apply(self, aggregate: Location) -> None:
            aggregate.code = self.code
            aggregate.name = self.name
            aggregate.level = self.level
            aggregate.kind = self.kind
            aggregate.parent = self.parent
            aggregate.site = self.site
            aggregate.gln = self.gln
            aggregate.blocked = False
            aggregate.blocked_reason = ""

    class Blocked(LedgerAggregate.Event):
        reason: str

        def apply(self, aggregate: Location) -> None:
            aggregate.blocked = True
            aggregate.blocked_reason = self.reason

    class Unblocked(LedgerAggregate.Event):
        reason: str

        def apply(self, aggregate: Location) -> None:
            aggregate.blocked = False
            aggregate.blocked_reason = ""

    @classmethod
    def register(
        cls,
        *,
        id: UUID,  # noqa: A002
        meta: Meta,
        code: str,
        name: str,
        level: LocationLevel,
        kind: LocationKind,
        parent: Location | None,
        gln: str | None = None,
    ) -> Self:
        expected = PARENT_LEVEL[level]
        if expected is None and parent is not None:
            raise InvalidMasterData("a site has no parent", field="parent")
        if expected is not None:
            if parent is None:
                raise InvalidMasterData(f"a {level} needs a parent {expected}", field="parent")
            if parent.level is not expected:
                raise InvalidMasterData(
                    f"a {level} belongs under a {expected}, and {parent.code} is a {parent.level}",
                    field="parent",
                )
        return cls._create(
            cls.Registered,
            id=id,
            meta=meta,
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent=parent.code if parent else None,
            site=parent.site if parent else code,
            gln=gln,
        )

    @property
    def holds_stock(self) -> bool:
        return self.level in (LocationLevel.ZONE, LocationLevel.BIN) and (
            self.kind in STOCKABLE_KINDS
        )

    def block(self, *, meta: Meta, reason: str) -> None:
        if not self.blocked or reason != self.blocked_reason:
            self.trigger_event(self.Blocked, meta=meta, reason=reason)

    def unblock(self, *, meta: Meta, reason: str) -> None:
        if self.blocked:
            self.trigger_event(self.Unblocked, meta=meta, reason=reason)
