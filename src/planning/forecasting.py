"""Demand forecasting with statsforecast (Nixtla): models, forecasts, rolling-origin backtests.

The models are statsforecast's, not re-implemented here; this module names them in the
planner's terms, shapes the frames, and chooses a model per item by backtest.

Model names (``MODELS``):

* ``naive`` (last value), ``seasonal_naive`` (value one season ago), ``moving_average``
  (mean of the last ``window_size`` periods), ``ses`` (simple exponential smoothing,
  alpha optimised, or fixed when ``alpha`` is given), ``holt`` (ETS(A,A,N)),
  ``holt_winters`` (ETS(A,A,A), needs ``season_length`` >= 2), ``ets`` (AutoETS),
  ``arima`` (AutoARIMA);
* for intermittent demand: ``croston`` (classic, alpha 0.1), ``croston_sba`` (the
  Syntetos-Boylan approximation: Croston x 0.95), ``tsb`` (Teunter-Syntetos-Babai, smoothing
  ``alpha_d`` for demand size and ``alpha_p`` for probability, default 0.1 each), ``adida``
  and ``imapa`` (temporal aggregation).

History frame: item, period (Int64, consecutive buckets), quantity. Each item's series
runs from its first period to the last period in the whole frame, missing periods
counted as zero demand (demand history, not sales with gaps). A model that fails on a
series (too short for a seasonal model, say) falls back to ``naive`` for that series.

``forecast`` returns item, period, model, forecast for the ``horizon`` periods after the
last period. ``backtest`` runs rolling-origin evaluation (statsforecast
``cross_validation``: ``windows`` origins, ``step`` periods apart, each forecasting
``horizon`` periods from the data up to its cutoff), scores each item and model with
``accuracy.accuracy`` (MASE scaled on the history before the first cutoff), chooses per
item the model with the lowest ``metric`` (ties: the model listed first), and forecasts
each item with its chosen model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import polars as pl

from planning.accuracy import accuracy
from planning.errors import PlanningError
from planning.frames import Column, conform, require

ModelName = Literal[
    "naive",
    "seasonal_naive",
    "moving_average",
    "ses",
    "holt",
    "holt_winters",
    "ets",
    "arima",
    "croston",
    "croston_sba",
    "tsb",
    "adida",
    "imapa",
]
MODELS: tuple[ModelName, ...] = get_args(ModelName)
SEASONAL = {"seasonal_naive", "holt_winters"}
MIN_SEASON = 2
SELECTION_METRICS = ("mae", "rmse", "mse", "wape", "mase")
HISTORY_COLUMNS = (
    Column("item", pl.String(), doc="series key"),
    Column("period", pl.Int64(), doc="bucket number (consecutive)"),
    Column("quantity", pl.Float64(), doc="demand in the bucket"),
)


@dataclass(frozen=True)
class ModelSettings:
    season_length: int = 1
    window_size: int = 3
    alpha: float | None = None
    alpha_d: float = 0.1
    alpha_p: float = 0.1


def build_model(name: str, settings: ModelSettings) -> Any:
    """The statsforecast model object for ``name``, aliased with our name."""
    from statsforecast import models as sf

    m = settings.season_length
    factories: dict[str, Any] = {
        "naive": lambda: sf.Naive(alias=name),
        "seasonal_naive": lambda: sf.SeasonalNaive(season_length=m, alias=name),
        "moving_average": lambda: sf.WindowAverage(window_size=settings.window_size, alias=name),
        "ses": lambda: (
            sf.SimpleExponentialSmoothing(alpha=settings.alpha, alias=name)
            if settings.alpha is not None
            else sf.SimpleExponentialSmoothingOptimized(alias=name)
        ),
        "holt": lambda: sf.Holt(alias=name),
        "holt_winters": lambda: sf.HoltWinters(season_length=m, alias=name),
        "ets": lambda: sf.AutoETS(season_length=m, alias=name),
        "arima": lambda: sf.AutoARIMA(season_length=m, alias=name),
        "croston": lambda: sf.CrostonClassic(alias=name),
        "croston_sba": lambda: sf.CrostonSBA(alias=name),
        "tsb": lambda: sf.TSB(alpha_d=settings.alpha_d, alpha_p=settings.alpha_p, alias=name),
        "adida": lambda: sf.ADIDA(alias=name),
        "imapa": lambda: sf.IMAPA(alias=name),
    }
    return factories[name]()


def _check(models: Sequence[str], settings: ModelSettings, horizon: int) -> None:
    _check_models(models)
    if horizon < 1:
        raise PlanningError("must be at least 1 period", field="horizon")
    _check_settings(models, settings)


def _check_models(models: Sequence[str]) -> None:
    if not models:
        raise PlanningError("name at least one model", field="models")
    for name in models:
        if name not in MODELS:
            raise PlanningError(
                f"unknown model {name!r}; choose from {', '.join(MODELS)}", field="models"
            )
    if len(set(models)) != len(models):
        raise PlanningError("a model is listed twice", field="models")


def _check_settings(models: Sequence[str], settings: ModelSettings) -> None:
    if settings.season_length < 1:
        raise PlanningError("must be at least 1", field="season_length")
    if SEASONAL & set(models) and settings.season_length < MIN_SEASON:
        raise PlanningError("seasonal models need season_length >= 2", field="season_length")
    if settings.window_size < 1:
        raise PlanningError("must be at least 1", field="window_size")
    for field, value in (
        ("alpha", settings.alpha),
        ("alpha_d", settings.alpha_d),
        ("alpha_p", settings.alpha_p),
    ):
        if value is not None and not 0 < value <= 1:
            raise PlanningError("must lie in (0, 1]", field=field)


def demand_series(history: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """History as statsforecast's long frame (unique_id, ds, y), gaps filled with zeros."""
    hist = conform(history, "history", HISTORY_COLUMNS)
    if hist.height == 0:
        raise PlanningError("no history to forecast from", field="history")
    require(pl.col("quantity") >= 0, hist, "history.quantity", "must not be negative")
    hist = hist.group_by("item", "period").agg(pl.col("quantity").sum())
    last = int(hist.get_column("period").to_numpy().max())
    spans = hist.group_by("item").agg(pl.col("period").min().alias("first"))
    grid = spans.select(
        pl.col("item"), pl.int_ranges(pl.col("first"), last + 1, dtype=pl.Int64()).alias("period")
    ).explode("period")
    return (
        grid.join(hist, on=["item", "period"], how="left")
        .select(
            pl.col("item").alias("unique_id"),
            pl.col("period").alias("ds"),
            pl.col("quantity").fill_null(0.0).alias("y"),
        )
        .sort("unique_id", "ds")
    )


def _engine(models: Sequence[str], settings: ModelSettings, n_jobs: int) -> Any:
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    return StatsForecast(
        models=[build_model(name, settings) for name in models],
        freq=1,
        n_jobs=n_jobs,
        fallback_model=Naive(),
    )


def _long(frame: pl.DataFrame, models: Sequence[str], keep: Sequence[str]) -> pl.DataFrame:
    return frame.unpivot(
        index=list(keep), on=list(models), variable_name="model", value_name="forecast"
    )


def forecast(
    history: pl.DataFrame | pl.LazyFrame,
    *,
    horizon: int,
    models: Sequence[str] = ("naive",),
    settings: ModelSettings | None = None,
    n_jobs: int = 1,
) -> pl.DataFrame:
    """Forecasts for the ``horizon`` periods after the history: item, period, model, forecast."""
    settings = settings or ModelSettings()
    _check(models, settings, horizon)
    series = demand_series(history)
    result = _engine(models, settings, n_jobs).forecast(h=horizon, df=series)
    return (
        _long(result, models, ["unique_id", "ds"])
        .select(
            pl.col("unique_id").alias("item"),
            pl.col("ds").cast(pl.Int64()).alias("period"),
            pl.col("model"),
            pl.col("forecast").cast(pl.Float64()),
        )
        .sort("item", "model", "period")
    )


@dataclass(frozen=True)
class Backtest:
    evaluations: pl.DataFrame  # item, cutoff, period, model, actual, forecast
    metrics: pl.DataFrame  # item, model, n, mae, ... (accuracy.METRICS)
    selection: pl.DataFrame  # item, model (chosen), score
    forecasts: pl.DataFrame  # item, period, model, forecast (chosen model per item)


def backtest(
    history: pl.DataFrame | pl.LazyFrame,
    *,
    horizon: int,
    models: Sequence[str],
    windows: int = 3,
    step: int | None = None,
    metric: str = "mae",
    settings: ModelSettings | None = None,
    n_jobs: int = 1,
) -> Backtest:
    """Rolling-origin backtest, model choice per item, and forecasts from the chosen models."""
    settings = settings or ModelSettings()
    _check(models, settings, horizon)
    if windows < 1:
        raise PlanningError("must be at least 1", field="windows")
    step = horizon if step is None else step
    if step < 1:
        raise PlanningError("must be at least 1", field="step")
    if metric not in SELECTION_METRICS:
        raise PlanningError(f"must be one of {', '.join(SELECTION_METRICS)}", field="metric")
    series = demand_series(history)
    test_size = horizon + step * (windows - 1)
    shortest = int(series.group_by("unique_id").len().get_column("len").to_numpy().min())
    if shortest <= test_size:
        raise PlanningError(
            f"every series needs more than {test_size} periods for {windows} windows of "
            f"{horizon} (the shortest has {shortest})",
            field="history",
        )
    engine = _engine(models, settings, n_jobs)
    cv = engine.cross_validation(h=horizon, df=series, n_windows=windows, step_size=step)
    evaluations = _long(cv, models, ["unique_id", "ds", "cutoff", "y"]).select(
        pl.col("unique_id").alias("item"),
        pl.col("cutoff").cast(pl.Int64()),
        pl.col("ds").cast(pl.Int64()).alias("period"),
        pl.col("model"),
        pl.col("y").cast(pl.Float64()).alias("actual"),
        pl.col("forecast").cast(pl.Float64()),
    )
    first_cutoff = int(evaluations.get_column("cutoff").to_numpy().min())
    in_sample = series.filter(pl.col("ds") <= first_cutoff).select(
        pl.col("unique_id").alias("item"),
        pl.col("ds").alias("period"),
        pl.col("y").alias("quantity"),
    )
    metrics = accuracy(evaluations, in_sample, season_length=settings.season_length)
    order = {name: rank for rank, name in enumerate(models)}
    selection = (
        metrics.with_columns(
            pl.col("model").replace_strict(order, return_dtype=pl.Int64()).alias("_rank"),
            pl.col(metric).fill_null(float("inf")).fill_nan(float("inf")).alias("score"),
        )
        .sort("item", "score", "_rank")
        .group_by("item", maintain_order=True)
        .first()
        .select("item", "model", "score")
    )
    # Each item is forecast by its chosen model only: one statsforecast run per model.
    chosen = []
    for (name,), picked in selection.group_by("model"):
        subset = series.join(picked.select(pl.col("item").alias("unique_id")), on="unique_id")
        result = _engine([str(name)], settings, n_jobs).forecast(h=horizon, df=subset)
        chosen.append(
            result.select(
                pl.col("unique_id").alias("item"),
                pl.col("ds").cast(pl.Int64()).alias("period"),
                pl.lit(str(name)).alias("model"),
                pl.col(str(name)).cast(pl.Float64()).alias("forecast"),
            )
        )
    return Backtest(
        evaluations=evaluations,
        metrics=metrics,
        selection=selection,
        forecasts=pl.concat(chosen).sort("item", "period"),
    )
