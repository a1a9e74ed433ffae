"""Forecast accuracy metrics, with their sign and scaling conventions stated once.

For each series (item) and model, over the evaluated periods t with actual A_t and
forecast F_t, the error is **forecast minus actual**, e_t = F_t - A_t (Chopra and Meindl's
convention), so a positive bias means over-forecasting (too much stock), a negative one
under-forecasting (shortages).

* n: number of evaluated periods.
* mae = mean |e_t| (units); mse = mean e_t^2 (units^2); rmse = sqrt(mse) (units).
* mape = 100 x mean(|e_t| / |A_t|) over the periods with A_t != 0 only (percent; null when
  every actual is zero: MAPE is undefined there, which is why intermittent demand is
  judged by WAPE and MASE instead).
* wape = 100 x sum |e_t| / sum |A_t| (percent; null when all actuals are zero).
* bias = mean e_t (units, signed as above); bias_percent = 100 x sum e_t / sum A_t.
* mase = mae / s, with s the in-sample mean absolute error of the seasonal naive forecast
  over the series' *history* (training data): s = mean_{t>m} |y_t - y_{t-m}|, m =
  ``season_length`` (1: the naive forecast) (Hyndman and Koehler 2006). MASE < 1 beats
  the in-sample naive forecast. Null without history or when s = 0.

``summarise`` aggregates per model across items: mae, rmse over all evaluated points; wape
and bias_percent from the totals; mase as the mean of the items' MASE (items with a null
MASE left out).
"""

from __future__ import annotations

import polars as pl

from planning.frames import Column, conform, optional

EVALUATION_COLUMNS = (
    Column("item", pl.String(), doc="series key"),
    Column("period", pl.Int64(), doc="period evaluated"),
    Column("actual", pl.Float64(), doc="what happened"),
    Column("forecast", pl.Float64(), doc="what was forecast"),
    optional("model", pl.String(), "forecast", "model name, to compare several"),
)
HISTORY_COLUMNS = (
    Column("item", pl.String(), doc="series key"),
    Column("period", pl.Int64(), doc="period"),
    Column("quantity", pl.Float64(), doc="observed demand"),
)
METRICS = ("n", "mae", "mse", "rmse", "mape", "wape", "bias", "bias_percent", "mase")


def naive_scale(history: pl.DataFrame, season_length: int = 1) -> pl.DataFrame:
    """Per item, the in-sample MAE of the seasonal naive forecast (MASE's denominator)."""
    hist = conform(history, "history", HISTORY_COLUMNS).sort("item", "period")
    return (
        hist.with_columns(
            (pl.col("quantity") - pl.col("quantity").shift(season_length).over("item"))
            .abs()
            .alias("naive_error")
        )
        .group_by("item")
        .agg(pl.col("naive_error").mean().alias("scale"))
    )


def accuracy(
    evaluations: pl.DataFrame | pl.LazyFrame,
    history: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    season_length: int = 1,
) -> pl.DataFrame:
    """Metrics per item and model; see the module docstring for the conventions."""
    ev = conform(evaluations, "evaluations", EVALUATION_COLUMNS)
    error = pl.col("forecast") - pl.col("actual")
    actual_abs = pl.col("actual").abs()
    metrics = ev.group_by("item", "model", maintain_order=True).agg(
        pl.len().cast(pl.Int64()).alias("n"),
        error.abs().mean().alias("mae"),
        (error**2).mean().alias("mse"),
        (100 * (error.abs() / actual_abs).filter(pl.col("actual") != 0).mean()).alias("mape"),
        error.abs().sum().alias("_abs_error"),
        actual_abs.sum().alias("_abs_actual"),
        error.mean().alias("bias"),
        error.sum().alias("_error"),
        pl.col("actual").sum().alias("_actual"),
    )
    if history is not None:
        scale = naive_scale(conform(history, "history", HISTORY_COLUMNS), season_length)
    else:
        scale = pl.DataFrame(schema={"item": pl.String(), "scale": pl.Float64()})
    return (
        metrics.join(scale, on="item", how="left")
        .with_columns(
            pl.col("mse").sqrt().alias("rmse"),
            pl.when(pl.col("_abs_actual") > 0)
            .then(100 * pl.col("_abs_error") / pl.col("_abs_actual"))
            .alias("wape"),
            pl.when(pl.col("_actual") != 0)
            .then(100 * pl.col("_error") / pl.col("_actual"))
            .alias("bias_percent"),
            pl.when(pl.col("scale") > 0).then(pl.col("mae") / pl.col("scale")).alias("mase"),
        )
        .select("item", "model", *METRICS)
        .sort("item", "model")
    )


def summarise(evaluations: pl.DataFrame, per_item: pl.DataFrame) -> pl.DataFrame:
    """Per model across items (see the module docstring)."""
    ev = conform(evaluations, "evaluations", EVALUATION_COLUMNS)
    error = pl.col("forecast") - pl.col("actual")
    totals = ev.group_by("model", maintain_order=True).agg(
        pl.len().cast(pl.Int64()).alias("n"),
        error.abs().mean().alias("mae"),
        (error**2).mean().sqrt().alias("rmse"),
        (100 * error.abs().sum() / pl.col("actual").abs().sum()).alias("wape"),
        (100 * error.sum() / pl.col("actual").sum()).alias("bias_percent"),
    )
    mase = per_item.group_by("model").agg(pl.col("mase").drop_nulls().mean().alias("mase"))
    return totals.join(mase, on="model", how="left").sort("model")
