"""Orders' root fields: what is allocated to sales-order lines, and what was shipped, at
the places the caller may read (an order carries no site: its allocations and shipments
are at a location)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from queries.context import Context
from queries.orders.types import Allocation, Shipment


@strawberry.type
class OrdersQuery:
    @strawberry.field
    async def allocations(
        self, info: Info[Context, None], number: str | None = None, item: str | None = None
    ) -> list[Allocation]:
        here, here_params = info.context.in_scope("allocations", "location")
        rows = await info.context.rows(
            "SELECT reservation_id, number, line, sku, location, lot, quantity FROM allocations"
            f" WHERE (? IS NULL OR number = ?) AND (? IS NULL OR sku = ?) AND {here}"
            " ORDER BY number, line, reservation_id",
            [number, number, item, item, *here_params],
        )
        return [
            Allocation(
                reservation_id=r,
                number=n,
                line=ln,
                item=i,
                location=loc,
                lot=lot or None,
                quantity=q,
            )
            for r, n, ln, i, loc, lot, q in rows
        ]

    @strawberry.field
    async def shipments(
        self, info: Info[Context, None], number: str | None = None, lot: str | None = None
    ) -> list[Shipment]:
        here, here_params = info.context.in_scope("shipments", "location")
        rows = await info.context.rows(
            "SELECT shipment, number, line, customer, sku, lot, quantity, value FROM shipments"
            f" WHERE (? IS NULL OR number = ?) AND (? IS NULL OR lot = ?) AND {here}"
            " ORDER BY position",
            [number, number, lot, lot, *here_params],
        )
        return [
            Shipment(
                shipment=s,
                number=n,
                line=ln,
                customer=cu,
                item=i,
                lot=lot_ or None,
                quantity=q,
                value=v,
            )
            for s, n, ln, cu, i, lot_, q, v in rows
        ]
