"""`mims plan mrp --from-ledger` and `mims plan policies --from-ledger`: planning on the
plant's own ledger.

The work is the planning package's (``planning.ledger_inputs``, ``planning.ledger_policies``,
run by ``planning.from_ledger``); these commands open the ledger and the read models, or,
while `mims serve` owns the read models' DuckDB file, ask the server to do it
(``/admin/planning/...``), like the read side's operations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer
from pydantic import BaseModel
from rich.table import Table

from ledger.errors import LedgerError
from ledger.writer import Ledger
from mims.cli.common import LocalOption, UrlOption, console, running_server, server_headers
from planning.errors import PlanningError
from planning.from_ledger import MrpRequest, PoliciesRequest, plan_mrp, plan_policies
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels


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
    base = running_server(url, local)
    if base is None:
        return None
    answer = httpx.post(
        f"{base}/admin/planning/{path}",
        headers=server_headers(),
        json=body.model_dump(mode="json"),
        timeout=600,
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


def _plan(
    path: str,
    request: BaseModel,
    work: Callable[[Ledger, ReadModels], dict[str, Any]],
    show: Callable[[dict[str, Any]], None],
    *,
    as_json: bool,
    url: str | None,
    local: bool,
) -> None:
    """Ask the running server (it owns the read models), or plan on the files; print."""
    found = _ask(url, local, path, request)
    if found is None:
        try:
            found = _locally(work)
        except (LedgerError, PlanningError) as e:
            raise _fail(f"refused: {e}") from None
    if as_json:
        typer.echo(json.dumps(found, indent=2))
    else:
        show(found)


def mrp_from_ledger(request: MrpRequest, *, as_json: bool, url: str | None, local: bool) -> None:
    _plan(
        "mrp",
        request,
        lambda ledger, models: plan_mrp(ledger, models, request),
        print_mrp,
        as_json=as_json,
        url=url,
        local=local,
    )


def policies_from_ledger(
    request: PoliciesRequest, *, as_json: bool, url: str | None, local: bool
) -> None:
    _plan(
        "policies",
        request,
        lambda ledger, models: plan_policies(ledger, models, request),
        print_policies,
        as_json=as_json,
        url=url,
        local=local,
    )


FromLedger = Annotated[bool, typer.Option("--from-ledger", help="Plan on the ledger's read models")]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of tables")]


# `mims plan mrp` and `mims plan policies` (listed by mims.cli.plan, loaded when they run)


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
        from mims.cli.plan import run_kind

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
