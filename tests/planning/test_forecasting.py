"""Forecasting through statsforecast, accuracy metrics, and model choice by backtest."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from planning.accuracy import accuracy, summarise
from planning.errors import PlanningError
from planning.forecasting import ModelSettings, backtest, forecast


def history(series: dict[str, list[float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "item": [k for k, v in series.items() for _ in v],
            "period": [t + 1 for v in series.values() for t in range(len(v))],
            "quantity": [float(x) for v in series.values() for x in v],
        }
    )


def test_naive_seasonal_naive_and_moving_average() -> None:
    data = history({"a": [1, 2, 3, 4, 5, 6, 7, 8]})
    result = forecast(
        data,
        horizon=3,
        models=["naive", "seasonal_naive", "moving_average"],
        settings=ModelSettings(season_length=4, window_size=3),
    )
    got = {(r["model"], r["period"]): r["forecast"] for r in result.iter_rows(named=True)}
    assert [got["naive", t] for t in (9, 10, 11)] == [8, 8, 8]
    assert [got["seasonal_naive", t] for t in (9, 10, 11)] == [5, 6, 7]
    assert got["moving_average", 9] == pytest.approx(7)


def test_ses_with_a_fixed_alpha_matches_the_recursion() -> None:
    """SES with alpha 0.5 on 10, 20, 30: level 10 -> 15 -> 22.5, so the forecast is 22.5
    (statsforecast initialises the level with the first observation)."""
    result = forecast(
        history({"a": [10, 20, 30]}), horizon=1, models=["ses"], settings=ModelSettings(alpha=0.5)
    )
    assert result.item(0, "forecast") == pytest.approx(22.5)


def test_croston_sba_and_tsb_by_hand() -> None:
    """Series 0, 4, 0, 0, 6, 0, 2, 0, 0, 0, 5, 0 (alpha 0.1 throughout, levels start at the
    first value). Croston: sizes 4, 6, 2, 5 smooth to 4 -> 4.2 -> 3.98 -> 4.082; intervals
    2, 3, 2, 4 smooth to 2 -> 2.1 -> 2.09 -> 2.281; forecast 4.082 / 2.281 = 1.78957. SBA:
    0.95 of it. TSB: the demand probability 0, 1, 0, 0, 1, ... smooths to 0.231747 over the
    twelve periods; forecast 0.231747 x 4.082 = 0.94599."""
    data = history({"a": [0, 4, 0, 0, 6, 0, 2, 0, 0, 0, 5, 0]})
    result = forecast(data, horizon=2, models=["croston", "croston_sba", "tsb", "adida", "imapa"])
    first = result.filter(pl.col("period") == 13)
    got = {r["model"]: r["forecast"] for r in first.iter_rows(named=True)}
    assert got["croston"] == pytest.approx(4.082 / 2.281, abs=1e-6)
    assert got["croston_sba"] == pytest.approx(0.95 * 4.082 / 2.281, abs=1e-6)
    assert got["tsb"] == pytest.approx(0.23174651 * 4.082, abs=1e-6)
    assert 0 < got["adida"] < 6
    assert 0 < got["imapa"] < 6


def test_every_model_runs() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(36)
    series = 20 + 0.3 * t + 5 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, t.size)
    models = [
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
    result = forecast(
        history({"a": list(series)}),
        horizon=6,
        models=models,
        settings=ModelSettings(season_length=12),
    )
    assert set(result.get_column("model")) == set(models)
    assert result.height == 6 * len(models)
    assert result.get_column("forecast").is_finite().all()


def test_accuracy_metrics_and_their_signs() -> None:
    """Actuals 10, 0, 20; forecasts 12, 1, 15: errors (forecast - actual) +2, +1, -5.
    MAE 8/3, MSE 30/3 = 10, RMSE 3.162, MAPE over non-zero actuals (20% + 25%)/2 = 22.5%,
    WAPE 8/30 = 26.67%, bias -2/3 (under-forecast), bias% -2/30. History 4, 6, 5, 9: naive
    in-sample MAE (2 + 1 + 4)/3 = 7/3, MASE (8/3)/(7/3) = 8/7."""
    evaluations = pl.DataFrame(
        {"item": ["a"] * 3, "period": [5, 6, 7], "actual": [10.0, 0, 20], "forecast": [12.0, 1, 15]}
    )
    hist = history({"a": [4, 6, 5, 9]})
    r = accuracy(evaluations, hist).row(0, named=True)
    assert r["n"] == 3
    assert r["mae"] == pytest.approx(8 / 3)
    assert r["mse"] == pytest.approx(10)
    assert r["rmse"] == pytest.approx(10**0.5)
    assert r["mape"] == pytest.approx(22.5)
    assert r["wape"] == pytest.approx(800 / 30)
    assert r["bias"] == pytest.approx(-2 / 3)
    assert r["bias_percent"] == pytest.approx(-200 / 30)
    assert r["mase"] == pytest.approx(8 / 7)
    overall = summarise(evaluations, accuracy(evaluations, hist)).row(0, named=True)
    assert overall["wape"] == pytest.approx(800 / 30)


def test_mape_is_null_when_every_actual_is_zero() -> None:
    evaluations = pl.DataFrame({"item": ["a"], "period": [1], "actual": [0.0], "forecast": [1.0]})
    r = accuracy(evaluations).row(0, named=True)
    assert r["mape"] is None
    assert r["wape"] is None
    assert r["mase"] is None


def test_backtest_chooses_the_model_that_fits_each_item() -> None:
    """A pure season of 4 is forecast perfectly by seasonal naive; a constant series by any
    model, where the listed order decides (naive first)."""
    seasonal = [1, 9, 3, 7] * 6
    flat = [5] * 24
    result = backtest(
        history({"seasonal": seasonal, "flat": flat}),
        horizon=4,
        models=["naive", "seasonal_naive", "moving_average"],
        windows=2,
        settings=ModelSettings(season_length=4),
    )
    chosen = dict(result.selection.select("item", "model").iter_rows())
    assert chosen == {"flat": "naive", "seasonal": "seasonal_naive"}
    assert result.evaluations.get_column("cutoff").unique().sort().to_list() == [16, 20]
    seasonal_forecast = result.forecasts.filter(pl.col("item") == "seasonal")
    assert seasonal_forecast.get_column("forecast").to_list() == [1, 9, 3, 7]


def test_backtest_needs_enough_history() -> None:
    with pytest.raises(PlanningError) as caught:
        backtest(history({"a": [1, 2, 3]}), horizon=2, models=["naive"], windows=2)
    assert caught.value.field == "history"


def test_seasonal_models_need_a_season() -> None:
    with pytest.raises(PlanningError) as caught:
        forecast(history({"a": [1, 2, 3]}), horizon=1, models=["holt_winters"])
    assert caught.value.field == "season_length"
