"""ABC and XYZ classification of items.

ABC ranks items by annual value (``annual_value``, or ``annual_quantity x unit_cost``),
highest first (ties by item key), with either of the two common rules:

* ``value_share`` (Pareto): class A holds the items whose cumulative share of total value,
  counting the item itself, is at most ``a`` (default 0.80); B those up to ``b`` (0.95);
  C the rest.
* ``item_share``: the top ``a`` share of the items by count (default 0.20, rounded half up
  to whole items) are A, the next ``b`` share (0.30) B, the rest C (Heizer and Render's
  "20% of the items, 70-80% of the value" reading).

XYZ classifies demand variability by the coefficient of variation of demand per period
(standard deviation / mean, sample standard deviation by default: ``ddof`` 1), over the
periods given (``periods``; by default every period that appears in the history, with an
item's missing periods counted as zero demand): CV <= ``x`` (0.5) is X, <= ``y`` (1.0) Y,
else Z; an item with zero mean demand is Z with a null CV.

Input frames: ``items`` (item; annual_value, or annual_quantity and unit_cost) for ABC;
``history`` (item, period, quantity) for XYZ.
"""

from __future__ import annotations

import polars as pl

from planning.errors import PlanningError
from planning.frames import Column, conform, optional, require

ABC_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    optional("annual_value", pl.Float64(), None, "value used per year; or give the next two"),
    optional("annual_quantity", pl.Float64(), None, "units used per year"),
    optional("unit_cost", pl.Float64(), None, "cost per unit"),
)
HISTORY_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    Column("period", pl.Int64(), doc="period number"),
    Column("quantity", pl.Float64(), doc="demand (or consumption) in the period"),
)


def abc(
    items: pl.DataFrame | pl.LazyFrame,
    *,
    rule: str = "value_share",
    a: float | None = None,
    b: float | None = None,
) -> pl.DataFrame:
    """ABC classes; ``a``/``b`` default to 0.80/0.95 (value_share) or 0.20/0.30 (item_share)."""
    it = conform(items, "items", ABC_COLUMNS)
    value = pl.coalesce(pl.col("annual_value"), pl.col("annual_quantity") * pl.col("unit_cost"))
    it = it.with_columns(value.alias("annual_value"))
    if it.get_column("annual_value").null_count():
        raise PlanningError(
            "give annual_value, or annual_quantity and unit_cost", field="items.annual_value"
        )
    require(pl.col("annual_value") >= 0, it, "items.annual_value", "must not be negative")
    if rule not in {"value_share", "item_share"}:
        raise PlanningError("must be value_share or item_share", field="rule")
    a = a if a is not None else (0.8 if rule == "value_share" else 0.2)
    b = b if b is not None else (0.95 if rule == "value_share" else 0.3)
    if not 0 < a <= 1 or not 0 <= b <= 1:
        raise PlanningError("thresholds must lie in (0, 1]", field="a")
    if rule == "value_share" and b < a:
        raise PlanningError("the B threshold must not be below the A threshold", field="b")
    if rule == "item_share" and a + b > 1:
        raise PlanningError("the A and B shares of items must add up to at most 1", field="b")
    total = float(it.get_column("annual_value").sum())
    ranked = (
        it.sort(["annual_value", "item"], descending=[True, False])
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64()).alias("rank"),
            (pl.col("annual_value") / total if total > 0 else pl.lit(0.0)).alias("share"),
        )
        .with_columns(pl.col("share").cum_sum().alias("cumulative_share"))
    )
    eps = 1e-12
    if rule == "value_share":
        klass = (
            pl.when(pl.col("cumulative_share") <= a + eps)
            .then(pl.lit("A"))
            .when(pl.col("cumulative_share") <= b + eps)
            .then(pl.lit("B"))
            .otherwise(pl.lit("C"))
        )
    else:
        n = ranked.height
        a_items = int(a * n + 0.5)
        b_items = int((a + b) * n + 0.5)
        klass = (
            pl.when(pl.col("rank") <= a_items)
            .then(pl.lit("A"))
            .when(pl.col("rank") <= b_items)
            .then(pl.lit("B"))
            .otherwise(pl.lit("C"))
        )
    return ranked.select(
        "item", "annual_value", "share", "cumulative_share", "rank", klass.alias("class")
    )


def xyz(
    history: pl.DataFrame | pl.LazyFrame,
    *,
    x: float = 0.5,
    y: float = 1.0,
    ddof: int = 1,
    periods: list[int] | None = None,
) -> pl.DataFrame:
    """XYZ classes by coefficient of variation of demand per period."""
    hist = conform(history, "history", HISTORY_COLUMNS)
    if not 0 <= x <= y:
        raise PlanningError("thresholds must satisfy 0 <= x <= y", field="x")
    if ddof not in (0, 1):
        raise PlanningError("must be 0 (population) or 1 (sample)", field="ddof")
    grid = sorted(set(periods) if periods is not None else set(hist.get_column("period").to_list()))
    if len(grid) <= ddof:
        raise PlanningError(f"need more than {ddof} periods of history", field="history.period")
    hist = hist.filter(pl.col("period").is_in(grid))
    items = hist.select("item").unique(maintain_order=True)
    full = items.join(pl.DataFrame({"period": grid}, schema={"period": pl.Int64()}), how="cross")
    filled = full.join(
        hist.group_by("item", "period").agg(pl.col("quantity").sum()),
        on=["item", "period"],
        how="left",
    ).with_columns(pl.col("quantity").fill_null(0.0))
    stats = filled.group_by("item", maintain_order=True).agg(
        pl.col("quantity").mean().alias("mean"),
        pl.col("quantity").std(ddof=ddof).alias("std"),
        pl.len().alias("periods"),
    )
    cv = pl.when(pl.col("mean") > 0).then(pl.col("std") / pl.col("mean")).otherwise(None)
    return (
        stats.with_columns(cv.alias("coefficient_of_variation"))
        .with_columns(
            pl.when(pl.col("coefficient_of_variation").is_null())
            .then(pl.lit("Z"))
            .when(pl.col("coefficient_of_variation") <= x)
            .then(pl.lit("X"))
            .when(pl.col("coefficient_of_variation") <= y)
            .then(pl.lit("Y"))
            .otherwise(pl.lit("Z"))
            .alias("class")
        )
        .sort("item")
    )
