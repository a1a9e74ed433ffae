"""./scripts/bench planning: the MRP at plant scale and forecasting at catalogue scale.

Figures (each beside a baseline measured in the same run):

* ``mrp_10k_items_s``: the vectorised MRP over 10,000 items in 5 bill levels with shared
  components, 52 weekly buckets, every lot-sizing rule in the mix (median of 3 runs after
  a warm-up; target under 2 s), beside the naive reference MRP (plain loops over exact
  fractions) on a 1,000-item problem of the same shape.
* ``mrp_1k_items_s``: the vectorised MRP on that 1,000-item problem, beside the naive
  reference on the same problem (their plans are checked equal first).
* ``forecast_10k_backtest_s``: rolling-origin backtest (3 windows of 8 weeks) of 8
  models over 10,000 intermittent weekly series (2 years), choosing a model per series,
  plus its forecast of the 8 held-out weeks; beside seasonal naive fitted and forecast
  alone on the same series.
* ``forecast_rmse``, ``forecast_wape``, ``forecast_mase``: accuracy on the 8 held-out
  weeks of the chosen models, beside seasonal naive's (lower is better).

Options: ``--quick`` shrinks every problem tenfold (for a smoke run).
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

import numpy as np
import polars as pl

from benchmarks.report import Report, stopwatch
from planning.accuracy import accuracy, summarise
from planning.forecasting import ModelSettings, backtest, forecast
from planning.lot_sizing import RULE_NAMES
from planning.mrp import run_mrp
from planning.mrp_reference import reference_mrp

PERIODS = 52
LEVELS = 5


def _count(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def mrp_problem(n_items: int, seed: int = 7) -> dict[str, Any]:
    """A plant-shaped problem: level sizes 1:2:4:6:7, each parent using 2-4 components of
    the next level (so components are shared by several parents) and, one time in five, a
    component two or more levels down (so low-level codes matter)."""
    rng = np.random.default_rng(seed)
    weights = np.array([1, 2, 4, 6, 7], dtype=float)
    sizes = np.floor(weights / weights.sum() * n_items).astype(int)
    sizes[-1] += n_items - sizes.sum()
    starts = np.r_[0, np.cumsum(sizes)]
    names = [f"L{level}-{k:05d}" for level, size in enumerate(sizes) for k in range(size)]
    level_of = np.repeat(np.arange(LEVELS), sizes)
    parents: list[str] = []
    components: list[str] = []
    per: list[float] = []
    for level in range(LEVELS - 1):
        pool = np.arange(starts[level + 1], starts[level + 2])
        for p in range(starts[level], starts[level + 1]):
            chosen = list(
                rng.choice(pool, size=min(int(rng.integers(2, 5)), pool.size), replace=False)
            )
            if level + 2 < LEVELS and rng.random() < 0.2:
                chosen.append(int(rng.integers(starts[level + 2], starts[LEVELS])))
            for c in chosen:
                parents.append(names[p])
                components.append(names[c])
                per.append(float(rng.choice([1, 2, 3, 4, 0.5])))
    n = len(names)
    scale = 4.0**level_of
    items = pl.DataFrame(
        {
            "item": names,
            "lead_time": rng.integers(0, 4, n),
            "on_hand": rng.integers(0, 200, n).astype(float) * scale,
            "safety_stock": rng.choice([0.0, 0.0, 10.0, 25.0], n) * scale,
            "lot_size_rule": rng.choice(RULE_NAMES, n),
            "lot_size_quantity": rng.choice([50.0, 100.0, 250.0], n) * scale,
            "minimum_lot": rng.choice([0.0, 40.0, 120.0], n) * scale,
            "periods_of_supply": rng.integers(0, 4, n),
            "ordering_cost": rng.choice([25.0, 50.0, 150.0], n),
            "holding_cost": rng.choice([0.2, 0.5, 1.0], n),
            "precision": rng.choice([0, 0, 0, 1, 2], n),
        }
    )
    bom = pl.DataFrame({"parent": parents, "component": components, "quantity_per": per})
    ends = np.flatnonzero(level_of == 0)
    d_item = np.repeat(ends, PERIODS)
    d_period = np.tile(np.arange(1, PERIODS + 1), ends.size)
    keep = rng.random(d_item.size) < 0.7
    demand = pl.DataFrame(
        {
            "item": [names[i] for i in d_item[keep]],
            "period": d_period[keep],
            "quantity": rng.integers(1, 60, int(keep.sum())).astype(float),
        }
    )
    r_items = rng.integers(0, n, n // 3)
    receipts = pl.DataFrame(
        {
            "item": [names[i] for i in r_items],
            "period": rng.integers(-1, 10, r_items.size),
            "quantity": rng.integers(10, 300, r_items.size).astype(float) * scale[r_items],
        }
    )
    return {"items": items, "bom": bom, "demand": demand, "receipts": receipts}


def run_vectorised(problem: dict[str, Any]) -> Any:
    return run_mrp(
        problem["items"], problem["bom"], problem["demand"], problem["receipts"], horizon=PERIODS
    )


def run_naive(problem: dict[str, Any]) -> Any:
    return reference_mrp(
        problem["items"].to_dicts(),
        problem["bom"].to_dicts(),
        problem["demand"].to_dicts(),
        problem["receipts"].to_dicts(),
        PERIODS,
    )


def same_plan(plan: Any, reference: Any) -> bool:
    ours = sorted(
        (r["item"], r["release_period"], r["receipt_period"], round(r["quantity"], 6))
        for r in plan.planned_orders.iter_rows(named=True)
    )
    theirs = sorted((i, a, b, float(q)) for i, a, b, q in reference.planned_orders)
    return ours == theirs


def bench_mrp(report: Report, n_large: int, n_small: int) -> None:
    large = mrp_problem(n_large)
    run_vectorised(large)  # warm-up: imports, allocator, polars thread pool
    times = []
    for _ in range(3):
        with stopwatch() as t:
            plan = run_vectorised(large)
        times.append(t[0])
    small = mrp_problem(n_small, seed=11)
    with stopwatch() as t_small:
        small_plan = run_vectorised(small)
    with stopwatch() as t_naive:
        reference = run_naive(small)
    if not same_plan(small_plan, reference):
        sys.exit("the vectorised MRP and the naive reference disagree on the benchmark problem")
    print(
        f"MRP: {n_large:,} items, {large['bom'].height:,} bill lines, {PERIODS} buckets, "
        f"{plan.planned_orders.height:,} planned orders, {plan.exceptions.height:,} exceptions; "
        f"naive reference on {n_small:,} items agrees",
        file=sys.stderr,
    )
    report.add(
        f"mrp_{_count(n_large)}_items_s",
        statistics.median(times),
        "s",
        baseline=t_naive[0],
        target="< 2 s (baseline: naive on the 1k problem)",
    )
    report.add(
        f"mrp_{_count(n_small)}_items_s",
        t_small[0],
        "s",
        baseline=t_naive[0],
        target="baseline: naive, same problem",
    )


INTERMITTENT_MODELS = [
    "croston",
    "croston_sba",
    "tsb",
    "adida",
    "imapa",
    "ses",
    "moving_average",
    "seasonal_naive",
]


def demand_history(n_series: int, weeks: int, seed: int = 5) -> pl.DataFrame:
    """Intermittent weekly demand: each series has its own demand probability (5-50%), size
    (Poisson around 1-20) and a yearly seasonal swing of up to 50%."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    probability = rng.uniform(0.05, 0.5, n_series)[:, None]
    size = rng.uniform(1, 20, n_series)[:, None]
    swing = rng.uniform(0, 0.5, n_series)[:, None] * np.sin(2 * np.pi * t / 52)[None, :]
    occurs = rng.random((n_series, weeks)) < probability * (1 + swing)
    quantity = occurs * (1 + rng.poisson(size * (1 + swing)))
    return pl.DataFrame(
        {
            "item": np.repeat([f"S{i:05d}" for i in range(n_series)], weeks),
            "period": np.tile(t + 1, n_series),
            "quantity": quantity.ravel().astype(float),
        }
    )


def bench_forecast(report: Report, n_series: int) -> None:
    weeks, horizon = 104, 8
    history = demand_history(n_series, weeks)
    train = history.filter(pl.col("period") <= weeks - horizon)
    test = history.filter(pl.col("period") > weeks - horizon).rename({"quantity": "actual"})
    settings = ModelSettings(season_length=52, window_size=4)
    with stopwatch() as t_backtest:
        chosen = backtest(
            train,
            horizon=horizon,
            models=INTERMITTENT_MODELS,
            windows=3,
            metric="rmse",
            settings=settings,
        )
    with stopwatch() as t_baseline:
        seasonal = forecast(train, horizon=horizon, models=["seasonal_naive"], settings=settings)
    evaluations = pl.concat(
        [
            chosen.forecasts.with_columns(pl.lit("chosen").alias("model")),
            seasonal.with_columns(pl.lit("seasonal_naive").alias("model")),
        ]
    ).join(test, on=["item", "period"])
    per_item = accuracy(evaluations, train, season_length=1)
    overall = {r["model"]: r for r in summarise(evaluations, per_item).iter_rows(named=True)}
    counts = chosen.selection.get_column("model").value_counts().sort("count", descending=True)
    print(
        f"forecast: {n_series:,} series x {weeks} weeks; chosen models: "
        + ", ".join(f"{m} {c}" for m, c in counts.iter_rows()),
        file=sys.stderr,
    )
    report.add(
        f"forecast_{_count(n_series)}_backtest_s",
        t_backtest[0],
        "s",
        baseline=t_baseline[0],
        target="baseline: seasonal naive alone",
    )
    for metric, unit in (("rmse", "units"), ("wape", "%"), ("mase", "ratio")):
        report.add(
            f"forecast_{metric}",
            overall["chosen"][metric],
            unit,
            baseline=overall["seasonal_naive"][metric],
            target="baseline: seasonal naive (lower is better)",
        )


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    report = Report("planning")
    bench_mrp(report, 1_000 if quick else 10_000, 100 if quick else 1_000)
    bench_forecast(report, 1_000 if quick else 10_000)
    report.print()
