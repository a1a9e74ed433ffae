"""The JSON shapes of ``mims plan KIND``: one pydantic input and output model per kind.

Field names are the frame column names of the pure functions, so a row of JSON is a row
of the input frame. Quantities of the MRP and lot sizing accept exact decimals (JSON
numbers or strings). Every quantity a plan proposes (``PlannedQuantity``: MRP records,
planned orders, pegging, exceptions, lot-size schedules, order quantities, safety stocks,
reorder points, order-up-to and base-stock levels) is answered as a decimal string on the
ledger's grid of 1e-6 of a unit (``planning.quantities``). Costs, rates, probabilities and
statistics (means, deviations, coefficients of variation, expected values, forecasts,
accuracy measures, hours) stay JSON numbers: they are estimates of float models, not
quantities anyone posts. Unknown fields are refused, so a misspelt field is named in the
error instead of being silently ignored. The JSON Schemas under ``schemas/planning/`` are
generated from these models.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from ledger.values import LotSizeRule
from planning.forecasting import ModelName

Quantity = Annotated[Decimal, Field(ge=0, description="units (a decimal: number or string)")]
QUANTITY_DECIMALS = 6


def _on_grid(value: object) -> object:
    """A planning float as the decimal it stands for, on the grid of 1e-6 of a unit."""
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(f"{value:.{QUANTITY_DECIMALS}f}")
    return value


def _plain(value: Decimal) -> str:
    """ "12.5", never "12.500000" or "1.25E+1"."""
    text = format(value, "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("", "-0") else text


PlannedQuantity = Annotated[
    Decimal,
    BeforeValidator(_on_grid),
    PlainSerializer(_plain, return_type=str, when_used="json"),
    Field(description="units, a decimal string exact to 1e-6"),
]
Money = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(gt=0, lt=1)]
Period = Annotated[int, Field(description="period number (1..T; below 1 is past due)")]


# defer_build: a model's validator is built when it is first used, so `mims plan eoq`
# does not build those of the other fourteen kinds at start.
class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Problem(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


# --- mrp -----------------------------------------------------------------------------


class MrpItem(Row):
    item: str
    lead_time: Annotated[int, Field(ge=0, description="periods")] = 0
    on_hand: Quantity = Decimal(0)
    allocated: Quantity = Decimal(0)
    safety_stock: Quantity = Decimal(0)
    lot_size_rule: LotSizeRule = LotSizeRule.LOT_FOR_LOT
    lot_size_quantity: Quantity = Decimal(0)
    minimum_lot: Quantity = Decimal(0)
    periods_of_supply: Annotated[int, Field(ge=0)] = 0
    ordering_cost: Money = 0.0
    holding_cost: Annotated[float, Field(ge=0, description="per unit per period")] = 0.0
    precision: Annotated[int, Field(ge=0, le=6, description="decimals of the unit")] = 0
    average_demand: Quantity = Decimal(0)


class BomLine(Row):
    parent: str
    component: str
    quantity_per: Annotated[Decimal, Field(gt=0)]


class DemandLine(Row):
    item: str
    period: Period
    quantity: Quantity
    source: str = "demand"


class ScheduledReceipt(Row):
    item: str
    period: Period
    quantity: Quantity
    order: str | None = None


class MrpProblem(Problem):
    horizon: Annotated[int, Field(ge=1, le=1000, description="number of periods T")]
    reschedule_tolerance: Annotated[int, Field(ge=0)] = 0
    items: list[MrpItem]
    bom: list[BomLine] = []
    demand: list[DemandLine] = []
    scheduled_receipts: list[ScheduledReceipt] = []


class MrpRecord(Row):
    item: str
    period: int
    gross_requirements: PlannedQuantity
    scheduled_receipts: PlannedQuantity
    projected_available: PlannedQuantity
    net_requirements: PlannedQuantity
    planned_order_receipts: PlannedQuantity
    planned_order_releases: PlannedQuantity


class PlannedOrder(Row):
    item: str
    low_level_code: int
    release_period: int
    receipt_period: int
    quantity: PlannedQuantity
    past_due: bool


class Pegging(Row):
    item: str
    period: int
    quantity: PlannedQuantity
    source: Literal["demand", "planned_order"]
    parent: str | None
    parent_release_period: int | None
    parent_receipt_period: int | None
    reference: str | None


class MrpException(Row):
    item: str
    exception: Literal["past_due_release", "reschedule_in", "reschedule_out", "cancel"]
    order: str | None
    period: int
    suggested_period: int | None
    quantity: PlannedQuantity
    message: str


class MrpItemSummary(Row):
    item: str
    low_level_code: int
    lead_time: int
    lot_size_rule: LotSizeRule
    planned_orders: int
    setup_cost: float
    holding_cost: float
    total_cost: float
    ending_balance: PlannedQuantity


class MrpResult(Result):
    items: list[MrpItemSummary]
    records: list[MrpRecord]
    planned_orders: list[PlannedOrder]
    pegging: list[Pegging]
    exceptions: list[MrpException]


# --- lot-size ------------------------------------------------------------------------


class LotSizeOption(Row):
    rule: LotSizeRule
    label: str | None = Field(default=None, description="name in the output; default the rule")
    lot_size_quantity: Quantity = Decimal(0)
    minimum_lot: Quantity = Decimal(0)
    periods_of_supply: Annotated[int, Field(ge=0)] = 0


class LotSizeProblem(Problem):
    net_requirements: Annotated[list[Quantity], Field(min_length=1, description="periods 1..T")]
    ordering_cost: Money
    holding_cost: Annotated[float, Field(ge=0, description="per unit per period, on ending stock")]
    precision: Annotated[int, Field(ge=0, le=6)] = 0
    average_demand: Quantity = Field(
        default=Decimal(0), description="for EOQ and POQ; 0 = mean of the series"
    )
    rules: Annotated[list[LotSizeOption], Field(min_length=1)]


class LotSizePlan(Row):
    label: str
    rule: LotSizeRule
    planned_receipts: list[PlannedQuantity]
    orders: list[int]
    ending_inventory: list[PlannedQuantity]
    order_count: int
    setup_cost: float
    holding_cost: float
    total_cost: float


class LotSizeResult(Result):
    plans: list[LotSizePlan]
    cheapest: list[str] = Field(description="labels of the plans with the lowest total cost")


# --- eoq -----------------------------------------------------------------------------


class EoqItem(Row):
    item: str
    annual_demand: Annotated[float, Field(gt=0)]
    ordering_cost: Money
    holding_cost: Money = 0.0
    holding_rate: Money = 0.0
    unit_cost: Money = 0.0
    production_rate: Money = 0.0
    discount: Literal["none", "all_units", "incremental"] = "none"
    working_days: Annotated[float, Field(gt=0)] = 365.0


class PriceBreak(Row):
    item: str
    min_quantity: Money
    unit_price: Annotated[float, Field(gt=0)]


class EoqProblem(Problem):
    items: list[EoqItem]
    price_breaks: list[PriceBreak] = []


class EoqRow(Row):
    item: str
    order_quantity: PlannedQuantity
    unit_price: float
    orders_per_year: float
    cycle_days: float
    maximum_inventory: PlannedQuantity
    ordering_cost_per_year: float
    holding_cost_per_year: float
    purchase_cost_per_year: float
    total_cost_per_year: float


class EoqResult(Result):
    items: list[EoqRow]


# --- safety-stock --------------------------------------------------------------------


class SafetyStockItem(Row):
    item: str
    demand_mean: Money
    demand_std: Money
    lead_time: Money
    lead_time_std: Money = 0.0
    review_period: Money = 0.0
    method: Literal["cycle_service_level", "fill_rate", "given"] = "cycle_service_level"
    target: Probability | None = None
    order_quantity: Annotated[float, Field(gt=0)] | None = None
    safety_stock: float | None = None


class SafetyStockProblem(Problem):
    items: list[SafetyStockItem]


class SafetyStockRow(Row):
    item: str
    sigma_protection: float
    safety_factor: float | None
    safety_stock: PlannedQuantity
    reorder_point: PlannedQuantity
    cycle_service_level: float
    expected_shortage_per_cycle: float
    fill_rate: float | None


class SafetyStockResult(Result):
    items: list[SafetyStockRow]


# --- newsvendor ----------------------------------------------------------------------


class NewsvendorItem(Row):
    item: str
    price: Money
    unit_cost: Money
    salvage_value: float = 0.0
    shortage_cost: Money = 0.0
    distribution: Literal["normal", "poisson"] = "normal"
    mean: Money
    std: Money = 0.0


class NewsvendorProblem(Problem):
    items: list[NewsvendorItem]


class NewsvendorRow(Row):
    item: str
    critical_ratio: float
    order_quantity: PlannedQuantity
    order_quantity_integer: int
    expected_sales: float
    expected_leftover: float
    expected_shortage: float
    expected_profit: float
    fill_rate: float
    in_stock_probability: float


class NewsvendorResult(Result):
    items: list[NewsvendorRow]


# --- base-stock ----------------------------------------------------------------------


class BaseStockItem(Row):
    item: str
    distribution: Literal["normal", "poisson"] = "normal"
    mean: Money
    std: Money = 0.0
    lead_time: Annotated[int, Field(ge=0)] = 0
    holding_cost: Annotated[float, Field(gt=0)]
    backorder_cost: Annotated[float, Field(gt=0)]


class BaseStockProblem(Problem):
    items: list[BaseStockItem]


class BaseStockRow(Row):
    item: str
    critical_ratio: float
    base_stock_level: PlannedQuantity
    expected_cost: float
    expected_on_hand: float
    expected_backorders: float
    stockout_probability: float


class BaseStockResult(Result):
    items: list[BaseStockRow]


# --- policy-ss -----------------------------------------------------------------------


class SsItem(Row):
    item: str
    distribution: Literal["normal", "poisson"] = "poisson"
    mean: Annotated[float, Field(gt=0)]
    std: Money = 0.0
    quantity_step: Annotated[float, Field(gt=0)] = 1.0
    lead_time: Annotated[int, Field(ge=0)] = 0
    ordering_cost: Money
    holding_cost: Annotated[float, Field(gt=0)]
    backorder_cost: Annotated[float, Field(gt=0)]


class SsProblem(Problem):
    items: list[SsItem]


class SsRow(Row):
    item: str
    reorder_point: PlannedQuantity
    order_up_to: PlannedQuantity
    expected_cost: float
    orders_per_period: float
    myopic_level: float


class SsResult(Result):
    items: list[SsRow]


# --- policy-rq -----------------------------------------------------------------------


class RqItem(Row):
    item: str
    distribution: Literal["normal", "poisson"] = "normal"
    annual_demand: Annotated[float, Field(gt=0)]
    lead_time_demand_mean: Money
    lead_time_demand_std: Money = 0.0
    ordering_cost: Money
    holding_cost: Annotated[float, Field(gt=0)]
    stockout_cost: Annotated[float, Field(gt=0)]


class RqProblem(Problem):
    items: list[RqItem]


class RqRow(Row):
    item: str
    order_quantity: PlannedQuantity
    reorder_point: PlannedQuantity
    safety_stock: PlannedQuantity
    cycle_service_level: float
    expected_shortage_per_cycle: float
    fill_rate: float
    orders_per_year: float
    holding_cost: float
    ordering_cost: float
    shortage_cost: float
    total_cost: float
    iterations: int


class RqResult(Result):
    items: list[RqRow]


# --- abc / xyz / kpi -----------------------------------------------------------------


class AbcItem(Row):
    item: str
    annual_value: Money | None = None
    annual_quantity: Money | None = None
    unit_cost: Money | None = None


class AbcProblem(Problem):
    rule: Literal["value_share", "item_share"] = "value_share"
    a: Annotated[float, Field(gt=0, le=1)] | None = None
    b: Annotated[float, Field(ge=0, le=1)] | None = None
    items: list[AbcItem]


class AbcRow(Row):
    item: str
    annual_value: float
    share: float
    cumulative_share: float
    rank: int
    klass: Literal["A", "B", "C"] = Field(alias="class")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AbcResult(Result):
    items: list[AbcRow]


class HistoryLine(Row):
    item: str
    period: int
    quantity: float


class XyzProblem(Problem):
    x: Money = 0.5
    y: Money = 1.0
    ddof: Literal[0, 1] = 1
    periods: list[int] | None = None
    history: list[HistoryLine]


class XyzRow(Row):
    item: str
    mean: float
    std: float | None
    periods: int
    coefficient_of_variation: float | None
    klass: Literal["X", "Y", "Z"] = Field(alias="class")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class XyzResult(Result):
    items: list[XyzRow]


class KpiItem(Row):
    item: str
    cost_of_goods_used: Money
    average_inventory_value: Money
    on_hand_quantity: Money = 0.0
    on_hand_value: Money = 0.0
    days_since_last_issue: Annotated[int, Field(ge=0)] | None = None
    period_days: Annotated[float, Field(gt=0)] = 365.0


class KpiProblem(Problem):
    slow_moving_days: Annotated[int, Field(gt=0)] = 90
    obsolete_days: Annotated[int, Field(gt=0)] = 365
    items: list[KpiItem]


class KpiRow(Row):
    item: str
    turnover: float | None
    days_of_supply: float | None
    weeks_of_supply: float | None
    status: Literal["active", "slow_moving", "obsolete", "no_stock"]
    on_hand_value: float


class KpiResult(Result):
    items: list[KpiRow]


# --- forecast / forecast-accuracy ----------------------------------------------------


class BacktestSpec(Row):
    windows: Annotated[int, Field(ge=1)] = 3
    step: Annotated[int, Field(ge=1)] | None = None
    metric: Literal["mae", "rmse", "mse", "wape", "mase"] = "mae"


class ForecastProblem(Problem):
    horizon: Annotated[int, Field(ge=1)]
    models: Annotated[list[ModelName], Field(min_length=1)] = ["naive"]
    season_length: Annotated[int, Field(ge=1)] = 1
    window_size: Annotated[int, Field(ge=1)] = 3
    alpha: Annotated[float, Field(gt=0, le=1)] | None = None
    alpha_d: Annotated[float, Field(gt=0, le=1)] = 0.1
    alpha_p: Annotated[float, Field(gt=0, le=1)] = 0.1
    backtest: BacktestSpec | None = None
    history: list[HistoryLine]


class ForecastRow(Row):
    item: str
    period: int
    model: str
    forecast: float


class AccuracyRow(Row):
    item: str
    model: str
    n: int
    mae: float
    mse: float
    rmse: float
    mape: float | None
    wape: float | None
    bias: float
    bias_percent: float | None
    mase: float | None


class SelectionRow(Row):
    item: str
    model: str
    score: float


class ForecastResult(Result):
    forecasts: list[ForecastRow]
    selection: list[SelectionRow] | None = None
    backtest_metrics: list[AccuracyRow] | None = None


class EvaluationLine(Row):
    item: str
    period: int
    actual: float
    forecast: float
    model: str = "forecast"


class AccuracyProblem(Problem):
    season_length: Annotated[int, Field(ge=1)] = 1
    evaluations: list[EvaluationLine]
    history: list[HistoryLine] = []


class AccuracySummaryRow(Row):
    model: str
    n: int
    mae: float
    rmse: float
    wape: float | None
    bias_percent: float | None
    mase: float | None


class AccuracyResult(Result):
    items: list[AccuracyRow]
    overall: list[AccuracySummaryRow]


# --- crp / rccp ----------------------------------------------------------------------


class CapacityOrder(Row):
    item: str
    release_period: int
    quantity: Money
    order: str | None = None
    completed_operations: Annotated[int, Field(ge=0)] = 0


class RoutingLine(Row):
    item: str
    operation: int
    work_center: str
    setup_hours: Money = 0.0
    run_hours: Money
    offset_periods: Annotated[int, Field(ge=0)] = 0


class CapacityLine(Row):
    work_center: str
    available_hours: Money
    period: int | None = None


class CrpProblem(Problem):
    horizon: Annotated[int, Field(ge=1)]
    orders: list[CapacityOrder]
    routings: list[RoutingLine]
    capacity: list[CapacityLine] = []


class LoadRow(Row):
    work_center: str
    period: int
    load_hours: float
    past_due_hours: float
    available_hours: float | None
    utilisation: float | None
    overload_hours: float
    overloaded: bool


class LoadDetailRow(Row):
    order: str
    item: str
    operation: int
    work_center: str
    period: int
    hours: float


class CrpResult(Result):
    load: list[LoadRow]
    detail: list[LoadDetailRow]


class MpsLine(Row):
    item: str
    period: int
    quantity: Money


class BillOfResourcesLine(Row):
    item: str
    work_center: str
    hours_per_unit: Money
    offset_periods: Annotated[int, Field(ge=0)] = 0


class RccpProblem(Problem):
    horizon: Annotated[int, Field(ge=1)]
    mps: list[MpsLine]
    bill_of_resources: list[BillOfResourcesLine]
    capacity: list[CapacityLine] = []


class RccpResult(Result):
    load: list[LoadRow]
