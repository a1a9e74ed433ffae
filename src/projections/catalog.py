"""Every projection, in the order a page is applied (master data first), and every view."""

from __future__ import annotations

from projections.genealogy_models import GENEALOGY_PROJECTIONS, GENEALOGY_VIEWS
from projections.planning_models import PLANNING_PROJECTIONS, PLANNING_VIEWS
from projections.production_models import PRODUCTION_PROJECTIONS, PRODUCTION_VIEWS
from projections.read_models import (
    DECIMAL_ARITHMETIC,
    STOCK_PROJECTIONS,
    STOCK_VIEWS,
    USES_MOVEMENTS,
    Projection,
)

PROJECTIONS: tuple[Projection, ...] = (
    STOCK_PROJECTIONS + PRODUCTION_PROJECTIONS + GENEALOGY_PROJECTIONS + PLANNING_PROJECTIONS
)
BY_NAME = {p.name: p for p in PROJECTIONS}
VIEWS = DECIMAL_ARITHMETIC + STOCK_VIEWS + PRODUCTION_VIEWS + GENEALOGY_VIEWS + PLANNING_VIEWS

__all__ = ["BY_NAME", "PROJECTIONS", "USES_MOVEMENTS", "VIEWS", "Projection"]
