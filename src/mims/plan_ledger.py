"""`mims plan mrp --from-ledger` and `mims plan policies --from-ledger`: planning on the
plant's own ledger, from the composition root.

The work is the planning package's (``planning.ledger_inputs``, ``planning.ledger_policies``);
this module opens the ledger and the read models, or, while `mims serve` owns the read
models' DuckDB file, asks the server to do it (``/admin/planning/...``), like the read
side's operations in ``cli_ops``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import httpx
import typer
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from rich.console import Console
from rich.table import Table

from commands.problems import problem_responses
from ledger import commands as c
from ledger.errors import LedgerError
from ledger.values import UNIT_COST
from ledger.writer import Ledger
from mims.cli_ops import LocalOption, UrlOption, _server
from planning.errors import PlanningError
from planning.ledger_inputs import (
    LedgerMrpRun,
    MrpSettings,
    plan_from_read_models,
    to_decimal,
)
from planning.ledger_policies import PolicyRun, PolicySettings, propose_policies
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels

ACTOR = "mims-plan"
console = Console()
router = APIRouter(prefix="/admin/planning", tags=["operations"])


def _today() -> date:
    return datetime.now(UTC).date()


def _run_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


# As strict as the commands: finite figures within the ledger's ranges, written without
# surrounding spaces; a run id is a code (ledger.codes); no unknown fields.
STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
Cost = Annotated[float, Field(ge=0, le=float(UNIT_COST.largest)), c.AsFigure]
Rate = Annotated[float, Field(ge=0, le=100, description="Per year, of the unit cost"), c.AsFigure]
Days = Annotated[int, Field(ge=1, le=3650), c.AsFigure]


class MrpRequest(BaseModel):
    model_config = STRICT

    bucket_days: Annotated[int, Field(ge=1, le=366), c.AsFigure] = 7
    horizon: Annotated[int, Field(ge=1, le=520), c.AsFigure] = 12
    ordering_cost: Cost = 0.0
    holding_rate: Rate = 0.0
    run_id: Annotated[str, Field(pattern=c.CODE_PATTERN), c.AsCode] | None = None
    save: StrictBool = True  # `"save": 0` is no answer


class PoliciesRequest(BaseModel):
    model_config = STRICT

    service_level: Annotated[float, Field(gt=0, lt=1), c.AsFigure] = 0.95
    ordering_cost: Annotated[Cost, Field(gt=0)] = 50.0
    holding_rate: Annotated[Rate, Field(gt=0)] = 0.25
    days: Days = 90
    min_days: Days = 28
    min_receipts: Annotated[int, Field(ge=2, le=1000), c.AsFigure] = 3
    apply: StrictBool = False

    @model_validator(mode="after")
    def _history_fits(self) -> PoliciesRequest:
        if self.min_days > self.days:
            msg = f"min_days {self.min_days} is more than the {self.days} days of history"
            raise ValueError(msg)
        return self


# --- the work, wherever it runs ----------------------------------------------------------


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


def _caught_up(state: Any) -> None:
    state.runner.wait_for(state.ledger.max_position(), timeout=60)


# The body is not JSON (400), a run id saved already (409), over the body limit (413),
# invalid or beyond what planning takes (422), the read models behind (503).
PLANNING_ANSWERS = problem_responses(400, 409, 413, 422, 503)


@router.post("/mrp", responses=PLANNING_ANSWERS)
def admin_mrp(request: Request, body: MrpRequest) -> dict[str, Any]:
    """Plan MRP from the read models (and save the run unless ``save`` is false)."""
    state = request.app.state
    _caught_up(state)
    try:
        return plan_mrp(state.ledger, state.read_models, body)
    except PlanningError as e:
        raise HTTPException(422, str(e)) from None


@router.post("/policies", responses=PLANNING_ANSWERS)
def admin_policies(request: Request, body: PoliciesRequest) -> dict[str, Any]:
    """Propose inventory policies from the history (and post them with ``apply``)."""
    state = request.app.state
    _caught_up(state)
    try:
        return plan_policies(state.ledger, state.read_models, body)
    except PlanningError as e:
        raise HTTPException(422, str(e)) from None


# --- the command line ------------------------------------------------------------------


def _locally(work: Callable[[Ledger, ReadModels], dict[str, Any]]) -> dict[str, Any]:
    from mims.settings import Settings

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    models = ReadModels(settings.read_model_path)
    try:
        runner = ProjectionRunner(ledger.app.recorder, models)
        runner.catch_up()
        found = work(ledger, models)
        runner.catch_up()  # the read models show what was just saved
        return found
    finally:
        models.close()
        ledger.close()


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _ask(url: str | None, local: bool, path: str, body: BaseModel) -> dict[str, Any] | None:
    """The server's answer, or None when no server runs (the caller works locally)."""
    base = _server(url, local)
    if base is None:
        return None
    answer = httpx.post(
        f"{base}/admin/planning/{path}", json=body.model_dump(mode="json"), timeout=600
    )
    if answer.status_code != 200:  # noqa: PLR2004
        problem = answer.json()
        raise _fail(f"refused: {problem.get('detail', answer.text)}")
    found: dict[str, Any] = answer.json()
    return found


def _short(reference: str, run_id: str) -> str:
    """A planned order of the run by its sequence number (#0003), anything else as it is."""
    return "#" + reference.removeprefix(f"{run_id}-") if reference.startswith(run_id) else reference


def _pegs(pegging: list[dict[str, Any]], run_id: str) -> str:
    return ", ".join(
        f"{_short(p['reference'], run_id) or p['kind']} {p['quantity']}" for p in pegging
    )


def print_mrp(found: dict[str, Any]) -> None:
    run_id = found["run_id"]
    buckets = f"{found['horizon']} buckets of {found['bucket_days']} days"
    table = Table(
        title=f"MRP run {run_id}: period 1 starts {found['start_date']}, {buckets}",
        caption="! past due: release now or expedite; #n: planned order n of this run",
    )
    for column in ("#", "item", "", "quantity", "release", "due", "pegged to"):
        table.add_column(
            column,
            justify="right" if column == "quantity" else "left",
            no_wrap=column != "pegged to",
        )
    for o in found["planned_orders"]:
        table.add_row(
            _short(o["number"], run_id),
            o["item"],
            "make" if o["kind"] == "production" else "buy",
            o["quantity"],
            o["release_date"] + ("!" if o["past_due"] else " "),
            o["due_date"],
            _pegs(o["pegging"], run_id),
        )
    console.print(table if found["planned_orders"] else "no planned orders: supply covers demand")
    others = [x for x in found["exceptions"] if x["exception"] != "past_due_release"]
    if others:
        exceptions = Table(title="exception messages on open orders")
        exceptions.add_column("exception", no_wrap=True)
        exceptions.add_column("message")
        for x in others:
            exceptions.add_row(x["exception"], x["message"])
        console.print(exceptions)
    for warning in found["warnings"]:
        console.print(f"[yellow]warning[/yellow] {warning}")
    saved = found["saved"]
    if saved is None:
        console.print("not saved (--dry-run)")
    else:
        console.print(
            f"saved run {saved['run_id']}: planned orders proposed {saved['proposed']},"
            f" superseded from the previous run {saved['superseded']}"
            f" (position {saved['position']})"
        )


def print_policies(found: dict[str, Any]) -> None:
    table = Table(title=f"inventory policies {found['run_id']}")
    for column in (
        "item", "days", "demand/day", "lead time (days)", "unit cost", "safety stock",
        "reorder point", "EOQ",
    ):  # fmt: skip
        table.add_column(column, justify="left" if column == "item" else "right")
    for p in found["proposals"]:
        source = "planned" if p["lead_time_source"] == "planned" else f"{p['receipts']} receipts"
        table.add_row(
            p["item"],
            str(p["history_days"]),
            f"{p['demand_mean']:.3f} ± {p['demand_std']:.3f}",
            f"{p['lead_time']:.1f} ± {p['lead_time_std']:.1f} ({source})",
            f"{p['unit_cost']:.2f}",
            f"{p['current_safety_stock']} → {p['safety_stock']}",
            f"{p['current_reorder_point']} → {p['reorder_point']}",
            str(p["eoq"]),
        )
    console.print(table if found["proposals"] else "no item has enough history for a proposal")
    if found["skipped"]:
        skipped = Table(title="skipped")
        skipped.add_column("item")
        skipped.add_column("reason")
        for row in found["skipped"]:
            skipped.add_row(row["item"], row["reason"])
        console.print(skipped)
    applied = found["applied"]
    if applied is None:
        console.print("proposals only: --apply posts them as ChangePlanningParameters")
    else:
        changed = sum(1 for a in applied if a["changed"])
        console.print(f"applied: {changed} items changed, {len(applied) - changed} already so")
        console.print(f"reason: {found['reason']}")


def mrp_from_ledger(request: MrpRequest, *, as_json: bool, url: str | None, local: bool) -> None:
    found = _ask(url, local, "mrp", request)
    if found is None:
        try:
            found = _locally(lambda ledger, models: plan_mrp(ledger, models, request))
        except (LedgerError, PlanningError) as e:
            raise _fail(f"refused: {e}") from None
    if as_json:
        typer.echo(json.dumps(found, indent=2))
    else:
        print_mrp(found)


def policies_from_ledger(
    request: PoliciesRequest, *, as_json: bool, url: str | None, local: bool
) -> None:
    found = _ask(url, local, "policies", request)
    if found is None:
        try:
            found = _locally(lambda ledger, models: plan_policies(ledger, models, request))
        except (LedgerError, PlanningError) as e:
            raise _fail(f"refused: {e}") from None
    if as_json:
        typer.echo(json.dumps(found, indent=2))
    else:
        print_policies(found)


FromLedger = Annotated[bool, typer.Option("--from-ledger", help="Plan on the ledger's read models")]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of tables")]


# `mims plan mrp` and `mims plan policies` (listed by mims.plan_cli, loaded when they run)


def mrp(  # typer passes options by name
    *,
    from_ledger: FromLedger = False,
    bucket_days: Annotated[int, typer.Option(help="Days per period")] = 7,
    horizon: Annotated[int, typer.Option(help="Periods planned")] = 12,
    ordering_cost: Annotated[float, typer.Option(help="Cost per order (cost rules)")] = 0.0,
    holding_rate: Annotated[
        float, typer.Option(help="Holding cost per year, a fraction of the unit cost")
    ] = 0.0,
    run_id: Annotated[str | None, typer.Option(help="Default: MRP-<UTC time>")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan, save nothing")] = False,
    as_json: JsonOption = False,
    url: UrlOption = None,
    local: LocalOption = False,
) -> None:
    """Time-phased multi-level MRP: a JSON problem on stdin
    (schemas/planning/mrp.input.json), or --from-ledger: plan on the plant's stock,
    orders and BOMs and save the planned orders (superseding the last run's unfirmed
    ones)."""
    if not from_ledger:
        from mims.plan_cli import run_kind

        run_kind("mrp")
        return
    try:
        request = MrpRequest(
            bucket_days=bucket_days, horizon=horizon, ordering_cost=ordering_cost,
            holding_rate=holding_rate, run_id=run_id, save=not dry_run,
        )  # fmt: skip
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    mrp_from_ledger(request, as_json=as_json, url=url, local=local)


def policies(
    *,
    from_ledger: FromLedger = False,
    service_level: Annotated[float, typer.Option(help="Cycle service level")] = 0.95,
    ordering_cost: Annotated[float, typer.Option(help="Cost per order")] = 50.0,
    holding_rate: Annotated[
        float, typer.Option(help="Holding cost per year, a fraction of the unit cost")
    ] = 0.25,
    days: Annotated[int, typer.Option(help="Days of history")] = 90,
    min_days: Annotated[int, typer.Option(help="Fewest days of history")] = 28,
    min_receipts: Annotated[int, typer.Option(help="Fewest receipts to measure a lead time")] = 3,
    apply: Annotated[
        bool, typer.Option("--apply", help="Post them as ChangePlanningParameters")
    ] = False,
    as_json: JsonOption = False,
    url: UrlOption = None,
    local: LocalOption = False,
) -> None:
    """Safety stock, reorder point and EOQ per item from the ledger's consumption and
    lead-time history; --apply posts them as planning-parameter changes."""
    if not from_ledger:
        raise typer.BadParameter("policies are computed from the ledger: give --from-ledger")
    try:
        request = PoliciesRequest(
            service_level=service_level, ordering_cost=ordering_cost,
            holding_rate=holding_rate, days=days, min_days=min_days,
            min_receipts=min_receipts, apply=apply,
        )  # fmt: skip
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    policies_from_ledger(request, as_json=as_json, url=url, local=local)
