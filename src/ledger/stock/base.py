"""What every part of the stock card sees of the whole: its state, and the checks and
events the parts share.

``Stock`` (``card.py``) is one aggregate, one stream per item, saved at once; its decisions
are written in parts (``holds.py``, ``reservations.py``, ``lots.py``) that it inherits.
Each part declares here, for the type checker only, what it uses of the card; at run time
``CardBase`` is an empty class.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.values import CostingMethod, StockStatus

AVAILABLE = StockStatus.AVAILABLE
HELD = StockStatus.HELD

if TYPE_CHECKING:
    from ledger.aggregate import LedgerAggregate
    from ledger.master_data.item import Item
    from ledger.stock.card import Place
    from ledger.stock.costing import Bucket, Draw, Layer
    from ledger.stock.holds import HoldOnCard
    from ledger.stock.lots import Lot
    from ledger.stock.reservations import Reservation


class CardBase:
    if TYPE_CHECKING:
        sku: str
        costing_method: CostingMethod
        standard_cost: Decimal | None
        balances: dict[Bucket, Decimal]
        layers: dict[Bucket, tuple[Layer, ...]]
        lots: dict[str, Lot]
        lot_available: dict[str, Decimal]
        reservations: dict[str, Reservation]
        pinned: dict[tuple[str, str], Decimal]
        on_hand: Decimal
        available: Decimal
        reserved: Decimal
        value: Decimal
        next_seq: int
        last_unit_cost: Decimal
        holds: dict[str, HoldOnCard]
        hold_claims: dict[tuple[str, str, str], Decimal]
        inspected: dict[str, bool]
        inspected_by: dict[str, str]

        # The card's events (nested in ``Stock``, where their stored topics name them).
        StatusChanged: type[LedgerAggregate.Event]
        HoldApplied: type[LedgerAggregate.Event]
        HoldLifted: type[LedgerAggregate.Event]
        LotInspected: type[LedgerAggregate.Event]
        Disposed: type[LedgerAggregate.Event]
        Reserved: type[LedgerAggregate.Event]
        ReservationReleased: type[LedgerAggregate.Event]
        LotSplit: type[LedgerAggregate.Event]
        LotsMerged: type[LedgerAggregate.Event]

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...
        def quantity_in(self, bucket: Bucket) -> Decimal: ...
        def draw(self, bucket: Bucket, quantity: Decimal) -> Draw: ...
        @staticmethod
        def _check_quantity(item: Item, quantity: Decimal, field: str = "quantity") -> None: ...
        @staticmethod
        def _check_lot(item: Item, lot: str | None, quantity: Decimal | None) -> str: ...
        @staticmethod
        def _check_place(place: Place, field: str = "location") -> None: ...
        def _check_not_expired(self, lot: str, today: date) -> None: ...
        def _check_has(self, bucket: Bucket, quantity: Decimal) -> None: ...
        # across the parts
        def holds_on(self, location: str, lot: str) -> list[dict[str, str]]: ...
        def unavailable(
            self, today: date, location: str | None = None, lot: str | None = None
        ) -> dict[str, object]: ...
        def hold_arrivals(self, *, meta: Any, location: str, lot: str) -> None: ...
        def free_to_promise(self, today: date) -> Decimal: ...
        def expired_available(self, today: date) -> Decimal: ...
        def _check_unreserved(
            self,
            bucket: Bucket,
            quantity: Decimal,
            today: date,
            reservation: Reservation | None = None,
        ) -> None: ...
