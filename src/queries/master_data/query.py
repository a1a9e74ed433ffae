"""Master data's root fields: an item, the items of a kind, a location. Items are the
plant's catalogue, shared by every site; a location belongs to its site."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from queries.context import Context, described
from queries.enums import ItemKind
from queries.master_data.types import Item, Location
from queries.pagination import page_size


@strawberry.type
class MasterDataQuery:
    @strawberry.field
    async def item(self, info: Info[Context, None], sku: str) -> Item | None:
        rows = await info.context.rows(f"SELECT {Item.COLUMNS} FROM items WHERE sku = ?", [sku])
        return Item.from_row(rows[0]) if rows else None

    @strawberry.field
    async def items(
        self,
        info: Info[Context, None],
        kind: ItemKind | None = None,
        first: int = 100,
        after: str | None = None,
    ) -> list[Item]:
        size = page_size(first)
        rows = await info.context.rows(
            f"SELECT {Item.COLUMNS} FROM items WHERE (? IS NULL OR kind = ?)"
            f" AND (? IS NULL OR sku > ?) ORDER BY sku LIMIT {size}",
            [kind and kind.value, kind and kind.value, after, after],
        )
        return [Item.from_row(r) for r in rows]

    @described(
        "A location, with its parent's code and its children: of the places the caller may"
        " read (another site's location is not found)."
    )
    async def location(self, info: Info[Context, None], code: str) -> Location | None:
        here, here_params = info.context.in_scope("location", "code")
        rows = await info.context.rows(
            f"SELECT {Location.COLUMNS} FROM locations WHERE code = ? AND {here}",
            [code, *here_params],
        )
        return Location.from_row(rows[0]) if rows else None
