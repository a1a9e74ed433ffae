"""The optimal (s, S) periodic-review policy: Zheng and Federgruen's algorithm (1991).

Every period the inventory position x is reviewed; when x <= s an order raises it to S.
Demand per period is i.i.d. and discrete (multiples of a unit); orders arrive after
``lead_time`` L periods; unmet demand is backordered. Costs per period: ``ordering_cost``
K per order, ``holding_cost`` h per unit on hand and ``backorder_cost`` p per unit
backordered at the end of a period. With y the position after ordering,

    G(y) = h E[(y - D')+] + p E[(D' - y)+],   D' = demand over L + 1 periods,

and the long-run average cost of (s, S) is the renewal-reward ratio (Zheng and Federgruen
1991; Snyder and Shen ch. 4)

    c(s, S) = (K + sum_{j=0}^{S-s-1} m(j) G(S - j)) / M(S - s),
    m(0) = 1 / (1 - p_0),  m(j) = sum_{l=1}^{j} p_l m(j - l) / (1 - p_0),  M(n) = sum_{j<n} m(j).

The algorithm finds the optimal integer pair exactly for the discrete demand. Demand is
``poisson`` (``mean``) or ``normal`` (``mean``, ``std``), the latter discretised to
multiples of ``quantity_step`` (default 1 unit; see ``distributions.discretised_normal``),
which makes the result exact for that discretisation and s, S multiples of the step.

Output: reorder_point (s), order_up_to (S), expected_cost (per period), orders_per_period
(1 / M(S - s)), myopic_level (the y minimising G, a base-stock level that ignores K).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from planning.distributions import discretised_normal, poisson_support
from planning.frames import Column, conform, optional, require
from planning.quantities import FloatArray

ITEM_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    optional("distribution", pl.String(), "poisson", "poisson | normal"),
    Column("mean", pl.Float64(), doc="mean demand per period"),
    optional("std", pl.Float64(), 0.0, "standard deviation per period (normal)"),
    optional("quantity_step", pl.Float64(), 1.0, "discretisation step for normal demand"),
    optional("lead_time", pl.Int64(), 0, "L, periods"),
    Column("ordering_cost", pl.Float64(), doc="K, per order"),
    Column("holding_cost", pl.Float64(), doc="h, per unit per period"),
    Column("backorder_cost", pl.Float64(), doc="p, per unit backordered per period"),
)
OUTPUT_SCHEMA = pl.Schema(
    {
        "item": pl.String(),
        "reorder_point": pl.Float64(),
        "order_up_to": pl.Float64(),
        "expected_cost": pl.Float64(),
        "orders_per_period": pl.Float64(),
        "myopic_level": pl.Float64(),
    }
)


def demand_pmf(distribution: str, mean: float, std: float, step: float) -> FloatArray:
    if distribution == "poisson":
        from scipy import stats

        support = poisson_support(mean)
        pmf = np.asarray(stats.poisson.pmf(support, mean), dtype=np.float64)
        normalised: FloatArray = pmf / pmf.sum()
        return normalised
    return discretised_normal(mean, std, step)


@dataclass
class SsModel:
    """One item's discrete (s, S) model in units of the demand step."""

    pmf: FloatArray
    lead_time: int
    ordering_cost: float
    holding_cost: float
    backorder_cost: float
    _m: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        over = self.pmf
        for _ in range(self.lead_time):
            over = np.convolve(over, self.pmf)
        self._over = over
        k = np.arange(over.size, dtype=np.float64)
        self._cdf = np.cumsum(over)
        self._partial = np.cumsum(k * over)  # sum_{k<=y} k p_k
        self._mean = float(self._partial[-1])
        if self.pmf[0] >= 1:
            raise ValueError("demand is always zero")
        self._m = [1.0 / (1.0 - float(self.pmf[0]))]

    def loss_cost(self, y: int) -> float:
        """G(y): expected holding and backorder cost at the end of the protected period."""
        return float(self.loss_costs(np.asarray([y]))[0])

    def loss_costs(self, y: npt.NDArray[np.int64]) -> FloatArray:
        top = np.clip(y, 0, self._cdf.size - 1)
        below = np.where(y < 0, 0.0, y * self._cdf[top] - self._partial[top])
        above = self._mean - y + below
        result: FloatArray = self.holding_cost * below + self.backorder_cost * above
        return result

    def renewal(self, n: int) -> FloatArray:
        """m(0..n-1), the expected number of visits to each distance below the order level."""
        while len(self._m) < n:
            k = len(self._m)
            top = min(k, self.pmf.size - 1)
            prior = np.asarray(self._m[k - top : k])[::-1]  # m(k-1) .. m(k-top)
            self._m.append(float(self.pmf[1 : top + 1] @ prior) * self._m[0])
        return np.asarray(self._m[:n])

    def cost(self, s: int, order_up_to: int) -> float:
        n = order_up_to - s
        weights = self.renewal(n)
        levels = order_up_to - np.arange(n, dtype=np.int64)
        return float((self.ordering_cost + weights @ self.loss_costs(levels)) / weights.sum())

    def cycle_length(self, s: int, order_up_to: int) -> float:
        return float(self.renewal(order_up_to - s).sum())

    def myopic(self) -> int:
        y = round(self._mean)
        while self.loss_cost(y - 1) <= self.loss_cost(y) and y > -(10**7):
            y -= 1
        while self.loss_cost(y + 1) < self.loss_cost(y):
            y += 1
        return y


def optimal_policy(model: SsModel) -> tuple[int, int, float]:
    """Zheng and Federgruen (1991), section 3: the optimal (s, S) and its average cost."""
    y_star = model.myopic()
    order_up_to = y_star
    s = y_star - 1
    while model.cost(s, order_up_to) > model.loss_cost(s):
        s -= 1
    best_s, best_up_to = s, order_up_to
    best = model.cost(s, order_up_to)
    candidate = order_up_to + 1
    while model.loss_cost(candidate) <= best:
        if model.cost(best_s, candidate) < best:
            best_up_to = candidate
            while model.cost(best_s, best_up_to) <= model.loss_cost(best_s + 1):
                best_s += 1
            best = model.cost(best_s, best_up_to)
        candidate += 1
    return best_s, best_up_to, best


def ss_policy(items: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    it = conform(items, "items", ITEM_COLUMNS)
    require(
        pl.col("distribution").is_in(["normal", "poisson"]),
        it,
        "items.distribution",
        "must be normal or poisson",
    )
    require(pl.col("mean") > 0, it, "items.mean", "must be positive")
    require(pl.col("std") >= 0, it, "items.std", "must not be negative")
    require(pl.col("quantity_step") > 0, it, "items.quantity_step", "must be positive")
    require(pl.col("lead_time") >= 0, it, "items.lead_time", "must not be negative")
    require(pl.col("ordering_cost") >= 0, it, "items.ordering_cost", "must not be negative")
    require(pl.col("holding_cost") > 0, it, "items.holding_cost", "must be positive")
    require(pl.col("backorder_cost") > 0, it, "items.backorder_cost", "must be positive")
    rows = []
    for row in it.iter_rows(named=True):
        step = row["quantity_step"] if row["distribution"] == "normal" else 1.0
        pmf = demand_pmf(row["distribution"], row["mean"] / step, row["std"] / step, 1.0)
        model = SsModel(
            pmf=pmf,
            lead_time=row["lead_time"],
            ordering_cost=row["ordering_cost"],
            holding_cost=row["holding_cost"] * step,
            backorder_cost=row["backorder_cost"] * step,
        )
        s, up_to, cost = optimal_policy(model)
        rows.append(
            {
                "item": row["item"],
                "reorder_point": s * step,
                "order_up_to": up_to * step,
                "expected_cost": cost,
                "orders_per_period": 1.0 / model.cycle_length(s, up_to),
                "myopic_level": model.myopic() * step,
            }
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
