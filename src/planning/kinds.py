"""The kinds of ``mims plan KIND``: input model, output model and a solver per kind.

A solver turns the validated input model into the frames of one pure planning function,
calls it, and shapes its frames into the output model. ``KINDS`` is what the CLI mounts
and what the JSON Schemas under ``schemas/planning/`` are generated from.

Each solver imports its planning module when it is called: `mims plan eoq` then never
imports scipy (1.2 s), which only the stochastic models use.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import polars as pl
from pydantic import BaseModel

from planning import io_models as io
from planning.errors import PlanningError
from planning.frames import Column

R = TypeVar("R", bound=BaseModel)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    return value


def to_frame(
    model: type[BaseModel], rows: Sequence[BaseModel], columns: Sequence[Column]
) -> pl.DataFrame:
    """Rows of an input model as a frame with the declared dtypes of ``columns``."""
    fields = set(model.model_fields)
    schema = {c.name: c.dtype for c in columns if c.name in fields}
    records = [{k: _plain(v) for k, v in row.model_dump().items() if k in schema} for row in rows]
    return (
        pl.DataFrame(records, schema=schema, orient="row")
        if records
        else pl.DataFrame(schema=schema)
    )


def from_frame(model: type[R], frame: pl.DataFrame) -> list[R]:
    """Frame rows as output models; NaN and infinities (no JSON for them) become null."""

    def clean(value: Any) -> Any:
        return None if isinstance(value, float) and not math.isfinite(value) else value

    return [model.model_validate({k: clean(v) for k, v in row.items()}) for row in frame.to_dicts()]


@dataclass(frozen=True)
class Kind:
    name: str
    summary: str
    problem: type[BaseModel]
    result: type[BaseModel]
    solve: Callable[[Any], BaseModel]


def solve_mrp(p: io.MrpProblem) -> io.MrpResult:
    from planning.mrp import BOM_COLUMNS, DEMAND_COLUMNS, ITEM_COLUMNS, RECEIPT_COLUMNS, run_mrp

    plan = run_mrp(
        to_frame(io.MrpItem, p.items, ITEM_COLUMNS),
        to_frame(io.BomLine, p.bom, BOM_COLUMNS),
        to_frame(io.DemandLine, p.demand, DEMAND_COLUMNS),
        to_frame(io.ScheduledReceipt, p.scheduled_receipts, RECEIPT_COLUMNS),
        horizon=p.horizon,
        reschedule_tolerance=p.reschedule_tolerance,
    )
    return io.MrpResult(
        items=from_frame(io.MrpItemSummary, plan.items),
        records=from_frame(io.MrpRecord, plan.records),
        planned_orders=from_frame(io.PlannedOrder, plan.planned_orders),
        pegging=from_frame(io.Pegging, plan.pegging),
        exceptions=from_frame(io.MrpException, plan.exceptions),
    )


def solve_lot_size(p: io.LotSizeProblem) -> io.LotSizeResult:
    from planning.lot_sizing import PARAMETER_COLUMNS, REQUIREMENTS_COLUMNS, lot_size

    labels = [option.label or option.rule.value for option in p.rules]
    if len(set(labels)) != len(labels):
        raise PlanningError(
            "two rules share a label; give each a distinct label", field="rules.label"
        )
    periods = len(p.net_requirements)
    requirements = pl.DataFrame(
        {
            "item": [label for label in labels for _ in range(periods)],
            "period": [t + 1 for _ in labels for t in range(periods)],
            "net_requirements": [float(q) for _ in labels for q in p.net_requirements],
        },
        schema={c.name: c.dtype for c in REQUIREMENTS_COLUMNS},
    )
    parameters = pl.DataFrame(
        [
            {
                "item": label,
                "lot_size_rule": option.rule.value,
                "lot_size_quantity": float(option.lot_size_quantity),
                "minimum_lot": float(option.minimum_lot),
                "periods_of_supply": option.periods_of_supply,
                "ordering_cost": p.ordering_cost,
                "holding_cost": p.holding_cost,
                "precision": p.precision,
                "average_demand": float(p.average_demand),
            }
            for label, option in zip(labels, p.rules, strict=True)
        ],
        schema={c.name: c.dtype for c in PARAMETER_COLUMNS},
    )
    plan = lot_size(requirements, parameters)
    plans = []
    for label, option in zip(labels, p.rules, strict=True):
        rows = plan.schedule.filter(pl.col("item") == label).sort("period")
        summary = plan.summary.filter(pl.col("item") == label).row(0, named=True)
        plans.append(
            io.LotSizePlan(
                label=label,
                rule=option.rule,
                planned_receipts=rows.get_column("planned_receipts").to_list(),
                orders=rows.get_column("orders").to_list(),
                ending_inventory=rows.get_column("ending_inventory").to_list(),
                order_count=summary["orders"],
                setup_cost=summary["setup_cost"],
                holding_cost=summary["holding_cost"],
                total_cost=summary["total_cost"],
            )
        )
    lowest = min(plan_.total_cost for plan_ in plans)
    cheapest = [p_.label for p_ in plans if p_.total_cost <= lowest + 1e-9 * max(1.0, lowest)]
    return io.LotSizeResult(plans=plans, cheapest=cheapest)


def solve_eoq(p: io.EoqProblem) -> io.EoqResult:
    from planning.eoq import BREAK_COLUMNS, economic_order_quantity
    from planning.eoq import ITEM_COLUMNS as EOQ_COLUMNS

    frame = economic_order_quantity(
        to_frame(io.EoqItem, p.items, EOQ_COLUMNS),
        to_frame(io.PriceBreak, p.price_breaks, BREAK_COLUMNS),
    )
    return io.EoqResult(items=from_frame(io.EoqRow, frame))


def solve_safety_stock(p: io.SafetyStockProblem) -> io.SafetyStockResult:
    from planning.safety_stock import ITEM_COLUMNS as SAFETY_STOCK_COLUMNS
    from planning.safety_stock import safety_stock

    frame = safety_stock(to_frame(io.SafetyStockItem, p.items, SAFETY_STOCK_COLUMNS))
    return io.SafetyStockResult(items=from_frame(io.SafetyStockRow, frame))


def solve_newsvendor(p: io.NewsvendorProblem) -> io.NewsvendorResult:
    from planning.newsvendor import ITEM_COLUMNS as NEWSVENDOR_COLUMNS
    from planning.newsvendor import newsvendor

    frame = newsvendor(to_frame(io.NewsvendorItem, p.items, NEWSVENDOR_COLUMNS))
    return io.NewsvendorResult(items=from_frame(io.NewsvendorRow, frame))


def solve_base_stock(p: io.BaseStockProblem) -> io.BaseStockResult:
    from planning.base_stock import ITEM_COLUMNS as BASE_STOCK_COLUMNS
    from planning.base_stock import base_stock

    frame = base_stock(to_frame(io.BaseStockItem, p.items, BASE_STOCK_COLUMNS))
    return io.BaseStockResult(items=from_frame(io.BaseStockRow, frame))


def solve_ss(p: io.SsProblem) -> io.SsResult:
    from planning.periodic_review import ITEM_COLUMNS as SS_COLUMNS
    from planning.periodic_review import ss_policy

    frame = ss_policy(to_frame(io.SsItem, p.items, SS_COLUMNS))
    return io.SsResult(items=from_frame(io.SsRow, frame))


def solve_rq(p: io.RqProblem) -> io.RqResult:
    from planning.continuous_review import ITEM_COLUMNS as RQ_COLUMNS
    from planning.continuous_review import rq_policy

    frame = rq_policy(to_frame(io.RqItem, p.items, RQ_COLUMNS))
    return io.RqResult(items=from_frame(io.RqRow, frame))


def solve_abc(p: io.AbcProblem) -> io.AbcResult:
    from planning.classification import ABC_COLUMNS, abc

    frame = abc(to_frame(io.AbcItem, p.items, ABC_COLUMNS), rule=p.rule, a=p.a, b=p.b)
    return io.AbcResult(items=from_frame(io.AbcRow, frame))


def solve_xyz(p: io.XyzProblem) -> io.XyzResult:
    from planning.classification import HISTORY_COLUMNS as XYZ_HISTORY_COLUMNS
    from planning.classification import xyz

    frame = xyz(
        to_frame(io.HistoryLine, p.history, XYZ_HISTORY_COLUMNS),
        x=p.x,
        y=p.y,
        ddof=p.ddof,
        periods=p.periods,
    )
    return io.XyzResult(items=from_frame(io.XyzRow, frame))


def solve_kpi(p: io.KpiProblem) -> io.KpiResult:
    from planning.kpis import ITEM_COLUMNS as KPI_COLUMNS
    from planning.kpis import inventory_kpis

    frame = inventory_kpis(
        to_frame(io.KpiItem, p.items, KPI_COLUMNS),
        slow_moving_days=p.slow_moving_days,
        obsolete_days=p.obsolete_days,
    )
    return io.KpiResult(items=from_frame(io.KpiRow, frame))


def solve_forecast(p: io.ForecastProblem) -> io.ForecastResult:
    from planning.forecasting import HISTORY_COLUMNS as FORECAST_HISTORY_COLUMNS
    from planning.forecasting import ModelSettings, backtest, forecast

    history = to_frame(io.HistoryLine, p.history, FORECAST_HISTORY_COLUMNS)
    settings = ModelSettings(
        season_length=p.season_length,
        window_size=p.window_size,
        alpha=p.alpha,
        alpha_d=p.alpha_d,
        alpha_p=p.alpha_p,
    )
    if p.backtest is None:
        frame = forecast(history, horizon=p.horizon, models=list(p.models), settings=settings)
        return io.ForecastResult(forecasts=from_frame(io.ForecastRow, frame))
    result = backtest(
        history,
        horizon=p.horizon,
        models=list(p.models),
        windows=p.backtest.windows,
        step=p.backtest.step,
        metric=p.backtest.metric,
        settings=settings,
    )
    return io.ForecastResult(
        forecasts=from_frame(io.ForecastRow, result.forecasts),
        selection=from_frame(io.SelectionRow, result.selection),
        backtest_metrics=from_frame(io.AccuracyRow, result.metrics),
    )


def solve_accuracy(p: io.AccuracyProblem) -> io.AccuracyResult:
    from planning.accuracy import EVALUATION_COLUMNS, accuracy, summarise
    from planning.accuracy import HISTORY_COLUMNS as ACCURACY_HISTORY_COLUMNS

    evaluations = to_frame(io.EvaluationLine, p.evaluations, EVALUATION_COLUMNS)
    history = to_frame(io.HistoryLine, p.history, ACCURACY_HISTORY_COLUMNS) if p.history else None
    per_item = accuracy(evaluations, history, season_length=p.season_length)
    return io.AccuracyResult(
        items=from_frame(io.AccuracyRow, per_item),
        overall=from_frame(io.AccuracySummaryRow, summarise(evaluations, per_item)),
    )


def solve_crp(p: io.CrpProblem) -> io.CrpResult:
    from planning.capacity import (
        CAPACITY_COLUMNS,
        ORDER_COLUMNS,
        ROUTING_COLUMNS,
        capacity_requirements,
    )

    plan = capacity_requirements(
        to_frame(io.CapacityOrder, p.orders, ORDER_COLUMNS),
        to_frame(io.RoutingLine, p.routings, ROUTING_COLUMNS),
        to_frame(io.CapacityLine, p.capacity, CAPACITY_COLUMNS),
        horizon=p.horizon,
    )
    return io.CrpResult(
        load=from_frame(io.LoadRow, plan.load), detail=from_frame(io.LoadDetailRow, plan.detail)
    )


def solve_rccp(p: io.RccpProblem) -> io.RccpResult:
    from planning.capacity import BOR_COLUMNS, CAPACITY_COLUMNS, MPS_COLUMNS, rough_cut_capacity

    load = rough_cut_capacity(
        to_frame(io.MpsLine, p.mps, MPS_COLUMNS),
        to_frame(io.BillOfResourcesLine, p.bill_of_resources, BOR_COLUMNS),
        to_frame(io.CapacityLine, p.capacity, CAPACITY_COLUMNS),
        horizon=p.horizon,
    )
    return io.RccpResult(load=from_frame(io.LoadRow, load))


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "mrp",
            "Time-phased multi-level MRP with lot sizing, pegging and exceptions.",
            io.MrpProblem,
            io.MrpResult,
            solve_mrp,
        ),
        Kind(
            "lot-size",
            "Lot sizes and costs of a net-requirement series under several rules.",
            io.LotSizeProblem,
            io.LotSizeResult,
            solve_lot_size,
        ),
        Kind(
            "eoq",
            "EOQ, EPQ and quantity-discount order quantities.",
            io.EoqProblem,
            io.EoqResult,
            solve_eoq,
        ),
        Kind(
            "safety-stock",
            "Safety stock and reorder point by cycle service level or fill rate.",
            io.SafetyStockProblem,
            io.SafetyStockResult,
            solve_safety_stock,
        ),
        Kind(
            "newsvendor",
            "Single-period order quantity (normal or Poisson demand).",
            io.NewsvendorProblem,
            io.NewsvendorResult,
            solve_newsvendor,
        ),
        Kind(
            "base-stock",
            "Periodic base-stock level with backorders.",
            io.BaseStockProblem,
            io.BaseStockResult,
            solve_base_stock,
        ),
        Kind(
            "policy-ss",
            "Optimal periodic-review (s, S) policy (Zheng-Federgruen).",
            io.SsProblem,
            io.SsResult,
            solve_ss,
        ),
        Kind(
            "policy-rq",
            "Optimal continuous-review (r, Q) policy.",
            io.RqProblem,
            io.RqResult,
            solve_rq,
        ),
        Kind("abc", "ABC classification by annual value.", io.AbcProblem, io.AbcResult, solve_abc),
        Kind(
            "xyz",
            "XYZ classification by coefficient of variation.",
            io.XyzProblem,
            io.XyzResult,
            solve_xyz,
        ),
        Kind(
            "kpi",
            "Turnover, days of supply, slow-moving and obsolete stock.",
            io.KpiProblem,
            io.KpiResult,
            solve_kpi,
        ),
        Kind(
            "forecast",
            "Demand forecasts (statsforecast), optionally chosen by backtest.",
            io.ForecastProblem,
            io.ForecastResult,
            solve_forecast,
        ),
        Kind(
            "forecast-accuracy",
            "Accuracy metrics of forecasts against actuals.",
            io.AccuracyProblem,
            io.AccuracyResult,
            solve_accuracy,
        ),
        Kind(
            "crp",
            "Capacity requirements planning per work center and period.",
            io.CrpProblem,
            io.CrpResult,
            solve_crp,
        ),
        Kind(
            "rccp",
            "Rough-cut capacity from the MPS and a bill of resources.",
            io.RccpProblem,
            io.RccpResult,
            solve_rccp,
        ),
    )
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """``{file name: JSON Schema}`` for every kind's input and output."""
    schemas: dict[str, dict[str, Any]] = {}
    for kind in KINDS.values():
        schemas[f"{kind.name}.input.json"] = kind.problem.model_json_schema(by_alias=True)
        schemas[f"{kind.name}.output.json"] = kind.result.model_json_schema(
            by_alias=True, mode="serialization"
        )
    return schemas
