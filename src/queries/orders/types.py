"""GraphQL types of orders: sales-order allocations and shipments."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.type
class Allocation:
    reservation_id: str
    number: str
    line: int
    item: str
    location: str
    lot: str | None
    quantity: Decimal


@strawberry.type
class Shipment:
    shipment: str
    number: str
    line: int
    customer: str
    item: str
    lot: str | None
    quantity: Decimal
    value: Decimal
