"""Lots on the stock card: their attributes, and splits and merges of them.

A lot made by a split or a merge keeps the earliest expiry of its sources and their
supplier lot when they share one; held and rejected stock keeps its lot until quality
decides on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ledger.errors import (
    InsufficientStock,
    LotRuleViolated,
    StockNotAvailable,
    UnknownLot,
)
from ledger.stock.base import AVAILABLE, HELD, CardBase
from ledger.stock.costing import Layer
from ledger.values import (
    ZERO,
    Meta,
    StockStatus,
    Tracking,
)

if TYPE_CHECKING:
    from ledger.master_data.item import Item
    from ledger.stock.card import Place


@dataclass(frozen=True, kw_only=True)
class Lot:
    lot: str
    supplier_lot: str | None
    expiry: date | None
    first_received: date
    supplier: str | None = None


@dataclass(frozen=True, kw_only=True)
class LotPart:
    """One source lot of a merge, with the cost it carried."""

    lot: str
    quantity: Decimal
    value: Decimal
    layers: tuple[Layer, ...]


class Lots(CardBase):
    """Lot splits and merges of the stock card (a part of ``Stock``)."""

    def _inherit_lot(self, lot: str, sources: tuple[str, ...], today: date) -> None:
        """A lot made by a split or a merge keeps the earliest expiry of its sources and
        their supplier lot when they share one."""
        if lot in self.lots:
            return
        infos = [self.lots[x] for x in sources if x in self.lots]
        expiries = [x.expiry for x in infos if x.expiry is not None]
        supplier_lots = {x.supplier_lot for x in infos}
        self.lots[lot] = Lot(
            lot=lot,
            supplier_lot=supplier_lots.pop() if len(supplier_lots) == 1 else None,
            expiry=min(expiries) if expiries else None,
            first_received=min((x.first_received for x in infos), default=today),
        )

    def split_lot(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        lot: str,
        new_lot: str,
        quantity: Decimal,
        status: StockStatus,
        reason: str,
    ) -> None:
        """Relabel part of a lot as a new lot, at the same place and status."""
        self._check_quantity(item, quantity)
        self._check_lot(item, lot, quantity)
        self._check_lot(item, new_lot, quantity)
        self._check_splittable(status)
        if new_lot in self.lots:
            raise LotRuleViolated(f"lot {new_lot} of {self.sku} exists already", field="new_lot")
        bucket = (place.code, lot, status)
        self._check_has(bucket, quantity)
        if status is AVAILABLE and self.quantity_in(bucket) - quantity < self.pinned.get(
            (place.code, lot), ZERO
        ):
            raise InsufficientStock(
                f"{self.sku} at {place.code} lot {lot}: reserved there, cannot be split off",
                sku=self.sku, location=place.code, lot=lot, requested=quantity,
            )  # fmt: skip
        drawn = self.draw(bucket, quantity)
        self.trigger_event(
            self.LotSplit, meta=meta, location=place.code, status=status, from_lot=lot,
            to_lot=new_lot, quantity=quantity, value=drawn.value, layers=drawn.layers,
            reason=reason,
        )  # fmt: skip
        if status is AVAILABLE:
            self.hold_arrivals(meta=meta, location=place.code, lot=new_lot)

    def merge_lots(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        lots: tuple[str, ...],
        new_lot: str,
        status: StockStatus,
        reason: str,
    ) -> Decimal:
        """Combine every unit of several lots at one place into a new lot."""
        self._check_splittable(status)
        self._check_lot(item, new_lot, None)
        if item.tracking is not Tracking.LOT:
            raise LotRuleViolated(f"{self.sku} is not lot-tracked: nothing to merge", field="lots")
        if len(set(lots)) != len(lots) or len(lots) < 2:  # noqa: PLR2004 - a merge needs two
            raise LotRuleViolated("a merge names two or more different lots", field="lots")
        if new_lot in self.lots:
            raise LotRuleViolated(f"lot {new_lot} of {self.sku} exists already", field="new_lot")
        parts = []
        for n, lot in enumerate(lots):
            bucket = (place.code, lot, status)
            quantity = self.quantity_in(bucket)
            if quantity <= 0:
                raise UnknownLot(
                    f"{self.sku} has no {status} stock of lot {lot} at {place.code}",
                    field=f"lots.{n}", lot=lot,
                )  # fmt: skip
            if self.pinned.get((place.code, lot), ZERO) and status is AVAILABLE:
                raise InsufficientStock(
                    f"{self.sku} lot {lot} at {place.code} is reserved there: release it first",
                    sku=self.sku, location=place.code, lot=lot,
                )  # fmt: skip
            drawn = self.draw(bucket, quantity)
            parts.append(
                LotPart(lot=lot, quantity=quantity, value=drawn.value, layers=drawn.layers)
            )
        total = sum((p.quantity for p in parts), ZERO)
        self.trigger_event(
            self.LotsMerged, meta=meta, location=place.code, status=status, to_lot=new_lot,
            parts=tuple(parts), quantity=total, value=sum((p.value for p in parts), ZERO),
            reason=reason,
        )  # fmt: skip
        if status is AVAILABLE:
            self.hold_arrivals(meta=meta, location=place.code, lot=new_lot)
        return total

    @staticmethod
    def _check_splittable(status: StockStatus) -> None:
        if status in (HELD, StockStatus.REJECTED):
            raise StockNotAvailable(
                f"{status} stock keeps its lot until quality decides on it",
                field="status", stock_status=str(status),
            )  # fmt: skip
