"""Planning on the plant's own ledger: MRP and inventory policies over the read models,
saved (or applied) as ledger commands.

The arithmetic is ``planning.ledger_inputs`` and ``planning.ledger_policies``; this module
runs it on a ledger and its read models and answers the JSON that `mims plan mrp|policies
--from-ledger` prints and ``/admin/planning/...`` returns (the composition root serves the
routes inside `mims serve`, which owns the read models' DuckDB file).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from ledger.commands import CODE_PATTERN, AsCode, AsFigure
from ledger.values import UNIT_COST
from ledger.writer import Ledger
from planning.ledger_inputs import (
    LedgerMrpRun,
    MrpSettings,
    plan_from_read_models,
    to_decimal,
)
from planning.ledger_policies import PolicyRun, PolicySettings, propose_policies
from projections.engine.view import ReadModels

ACTOR = "mims-plan"


def _today() -> date:
    return datetime.now(UTC).date()


def _run_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


# As strict as the commands: finite figures within the ledger's ranges, written without
# surrounding spaces; a run id is a code (ledger.codes); no unknown fields.
STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
Cost = Annotated[float, Field(ge=0, le=float(UNIT_COST.largest)), AsFigure]
Rate = Annotated[float, Field(ge=0, le=100, description="Per year, of the unit cost"), AsFigure]
Days = Annotated[int, Field(ge=1, le=3650), AsFigure]


class MrpRequest(BaseModel):
    model_config = STRICT

    bucket_days: Annotated[int, Field(ge=1, le=366), AsFigure] = 7
    horizon: Annotated[int, Field(ge=1, le=520), AsFigure] = 12
    ordering_cost: Cost = 0.0
    holding_rate: Rate = 0.0
    run_id: Annotated[str, Field(pattern=CODE_PATTERN), AsCode] | None = None
    save: StrictBool = True  # `"save": 0` is no answer


class PoliciesRequest(BaseModel):
    model_config = STRICT

    service_level: Annotated[float, Field(gt=0, lt=1), AsFigure] = 0.95
    ordering_cost: Annotated[Cost, Field(gt=0)] = 50.0
    holding_rate: Annotated[Rate, Field(gt=0)] = 0.25
    days: Days = 90
    min_days: Days = 28
    min_receipts: Annotated[int, Field(ge=2, le=1000), AsFigure] = 3
    apply: StrictBool = False

    @model_validator(mode="after")
    def _history_fits(self) -> PoliciesRequest:
        if self.min_days > self.days:
            msg = f"min_days {self.min_days} is more than the {self.days} days of history"
            raise ValueError(msg)
        return self


def _text(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def mrp_summary(run: LedgerMrpRun, saved: dict[str, Any] | None) -> dict[str, Any]:
    s = run.settings
    return {
        "run_id": run.run_id,
        "start_date": s.start.isoformat(),
        "bucket_days": s.bucket_days,
        "horizon": s.horizon,
        "planned_orders": [
            {
                "number": o.number, "item": o.item, "kind": str(o.kind),
                "quantity": str(o.quantity), "release_date": o.release_date.isoformat(),
                "due_date": o.due_date.isoformat(), "past_due": o.past_due,
                "pegging": [
                    {"kind": str(p.kind), "reference": p.reference, "quantity": str(p.quantity),
                     "needed_on": _text(p.needed_on)}
                    for p in o.pegging
                ],
                "messages": list(o.messages),
            }
            for o in run.orders
        ],
        "exceptions": [
            {
                "item": x.item, "exception": str(x.exception), "reference": x.reference,
                "scheduled_date": x.scheduled_date.isoformat(),
                "suggested_date": _text(x.suggested_date), "quantity": str(x.quantity),
                "message": x.message,
            }
            for x in run.exceptions
        ],
        "warnings": list(run.warnings),
        "saved": saved,
    }  # fmt: skip


def plan_mrp(ledger: Ledger, models: ReadModels, request: MrpRequest) -> dict[str, Any]:
    """Plan from the read models; save the run as planned orders unless asked not to."""
    settings = MrpSettings(
        start=_today(),
        bucket_days=request.bucket_days,
        horizon=request.horizon,
        ordering_cost=request.ordering_cost,
        holding_rate=request.holding_rate,
    )
    with models.reader() as con:
        run = plan_from_read_models(con, settings, request.run_id or _run_id("MRP"))
    saved = None
    if request.save:
        outcome = ledger.execute(run.command(), actor=ACTOR)
        saved = {"position": outcome.position, **outcome.data}
    return mrp_summary(run, saved)


# The proposal's quantities, answered as decimal strings (as posted by --apply); its
# statistics (demand and lead-time mean and deviation) and unit cost stay numbers.
POLICY_QUANTITIES = (
    "safety_stock", "reorder_point", "eoq", "minimum_lot", "current_safety_stock",
    "current_reorder_point", "current_lot_size_quantity",
)  # fmt: skip


def _proposal(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: str(to_decimal(v)) if k in POLICY_QUANTITIES and v is not None else _text(v)
        for k, v in row.items()
    }


def policies_summary(run: PolicyRun, applied: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "reason": run.reason(),
        "proposals": [_proposal(row) for row in run.proposals.iter_rows(named=True)],
        "skipped": [dict(zip(("item", "reason"), r, strict=True)) for r in run.skipped.iter_rows()],
        "applied": applied,
    }


def plan_policies(ledger: Ledger, models: ReadModels, request: PoliciesRequest) -> dict[str, Any]:
    """Propose safety stock, reorder point and EOQ per item; post them with ``apply``."""
    settings = PolicySettings(
        today=_today(),
        service_level=request.service_level,
        ordering_cost=request.ordering_cost,
        holding_rate=request.holding_rate,
        days=request.days,
        min_days=request.min_days,
        min_receipts=request.min_receipts,
    )
    with models.reader() as con:
        run = propose_policies(con, settings, _run_id("POL"))
    applied = None
    if request.apply:
        futures = [ledger.submit(command, actor=ACTOR) for command in run.commands()]
        applied = []
        for command, future in zip(run.commands(), futures, strict=True):
            outcome = future.result(60)
            applied.append(
                {"sku": command.sku, "changed": bool(outcome.events), "position": outcome.position}
            )
    return policies_summary(run, applied)
