"""Engineering's root fields: BOM explosion and where-used, on a date (BOM effectivity)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from projections.frames import EFFECTIVE_BOMS
from queries.context import Context, described
from queries.engineering.types import BomExplosion, ComponentTotal, ExplosionLine, WhereUsed


@strawberry.type
class EngineeringQuery:
    @described("Explode an item's BOM on a date through every level; totals add every path")
    async def bom_explosion(
        self,
        info: Info[Context, None],
        item: str,
        quantity: Decimal = Decimal(1),
        on: date | None = None,
    ) -> BomExplosion:
        day = on or datetime.now(UTC).date()
        rows = await info.context.rows(
            f"""WITH RECURSIVE eff AS ({EFFECTIVE_BOMS}),
            l AS (SELECT b.*, e.output_quantity FROM bom_lines b JOIN eff e USING (parent, version)
                  WHERE NOT b.by_product),
            x(level, parent, component, quantity, phantom, path) AS (
                SELECT 1, parent, component,
                    CAST(? * quantity / output_quantity * (1 + scrap_factor) AS DECIMAL(38,10)),
                    phantom, parent || ' > ' || component
                FROM l WHERE parent = ?
                UNION ALL
                SELECT x.level + 1, l.parent, l.component,
                    CAST(x.quantity * l.quantity / l.output_quantity * (1 + l.scrap_factor)
                         AS DECIMAL(38,10)),
                    l.phantom, x.path || ' > ' || l.component
                FROM x JOIN l ON l.parent = x.component WHERE x.level < 64)
            SELECT level, parent, component, quantity, phantom, path FROM x ORDER BY path""",
            [day, day, quantity, item],
        )
        lines = [
            ExplosionLine(level=lv, parent=p, component=c, quantity=q, phantom=ph, path=path)
            for lv, p, c, q, ph, path in rows
        ]
        totals: dict[str, Decimal] = {}
        for line in lines:
            if not line.phantom:  # a phantom is never stocked: its components are counted
                totals[line.component] = totals.get(line.component, Decimal(0)) + line.quantity
        return BomExplosion(
            item=item,
            quantity=quantity,
            lines=lines,
            totals=[ComponentTotal(component=c, quantity=totals[c]) for c in sorted(totals)],
        )

    @described("Every item that uses this one, directly or through sub-assemblies")
    async def where_used(
        self, info: Info[Context, None], item: str, on: date | None = None
    ) -> list[WhereUsed]:
        day = on or datetime.now(UTC).date()
        rows = await info.context.rows(
            f"""WITH RECURSIVE eff AS ({EFFECTIVE_BOMS}),
            l AS (SELECT b.*, e.output_quantity FROM bom_lines b JOIN eff e USING (parent, version)
                  WHERE NOT b.by_product),
            u(level, parent, component, quantity_per, path) AS (
                SELECT 1, parent, component, quantity / output_quantity,
                    component || ' < ' || parent
                FROM l WHERE component = ?
                UNION ALL
                SELECT u.level + 1, l.parent, l.component, l.quantity / l.output_quantity,
                    u.path || ' < ' || l.parent
                FROM u JOIN l ON l.component = u.parent WHERE u.level < 64)
            SELECT level, parent, component, quantity_per, path FROM u ORDER BY level, path""",
            [day, day, item],
        )
        return [
            WhereUsed(level=lv, parent=p, component=c, quantity_per=q, path=path)
            for lv, p, c, q, path in rows
        ]
