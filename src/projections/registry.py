"""Every projection, in the order a page is applied (master data first), and every view.

The engine applies what this registry lists; each feature module declares its own
projections and views and imports only ``projections.engine.projection``.
"""

from __future__ import annotations

from projections.engine.projection import DECIMAL_ARITHMETIC, Projection
from projections.engineering import engineering
from projections.master_data import catalog
from projections.orders import orders
from projections.planning import PLANNING_PROJECTIONS, PLANNING_VIEWS
from projections.production import PRODUCTION_PROJECTIONS, PRODUCTION_VIEWS
from projections.quality import QUALITY_PROJECTIONS, QUALITY_VIEWS
from projections.stock import STOCK_PROJECTIONS, STOCK_VIEWS, USES_MOVEMENTS

PROJECTIONS: tuple[Projection, ...] = (
    catalog,
    *STOCK_PROJECTIONS,
    engineering,
    *PRODUCTION_PROJECTIONS,
    orders,
    *QUALITY_PROJECTIONS,
    *PLANNING_PROJECTIONS,
)
BY_NAME = {p.name: p for p in PROJECTIONS}
VIEWS = DECIMAL_ARITHMETIC + STOCK_VIEWS + PRODUCTION_VIEWS + QUALITY_VIEWS + PLANNING_VIEWS

__all__ = ["BY_NAME", "PROJECTIONS", "USES_MOVEMENTS", "VIEWS", "Projection"]
