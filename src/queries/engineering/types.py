"""GraphQL types of engineering: a BOM's multi-level explosion, and where an item is used."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.type
class ExplosionLine:
    level: int
    parent: str
    component: str
    quantity: Decimal
    phantom: bool
    path: str


@strawberry.type
class ComponentTotal:
    component: str
    quantity: Decimal


@strawberry.type(description="A multi-level explosion: every path, and the total per component")
class BomExplosion:
    item: str
    quantity: Decimal
    lines: list[ExplosionLine]
    totals: list[ComponentTotal]


@strawberry.type
class WhereUsed:
    level: int
    parent: str
    component: str
    quantity_per: Decimal
    path: str
