"""`mims projections status|rebuild|run` and `mims replay`: the read models' operations.

With a server running they ask it (``/admin``); with none they open the file themselves.
`mims replay` always works locally: it writes a new file of its own.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import Progress
from rich.table import Table

from mims.cli.common import (
    LocalOption,
    UrlOption,
    console,
    progress_bar,
    running_server,
    server_headers,
)

app = typer.Typer(help="The read models: status, rebuild, run.", no_args_is_help=True)


def _when(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{option}: not an ISO 8601 date or time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _status_table(head: int, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"read models (log head {head})")
    for column in ("projection", "position", "lag", "status", "error"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["name"],
            str(row["position"]),
            str(max(0, head - row["position"])),
            row["status"],
            (f"at {row['failed_position']}: " + row["error"]) if row.get("error") else "",
        )
    return table


@app.command("status")
def status(url: UrlOption = None, local: LocalOption = False) -> None:
    """Each projection's position, lag behind the event log, and health."""
    server = running_server(url, local)
    if server:
        answer = httpx.get(
            f"{server}/admin/projections", headers=server_headers(), timeout=30
        ).json()
        console.print(_status_table(answer["head"], answer["projections"]))
        return
    from ledger.writer import Ledger
    from mims.settings import Settings
    from projections.engine.runner import ProjectionRunner
    from projections.engine.view import ReadModels

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    models = ReadModels(settings.read_model_path)
    try:
        runner = ProjectionRunner(ledger.app.recorder, models)
        rows = [vars(s) for s in runner.statuses()]
        console.print(_status_table(ledger.max_position(), rows))
    finally:
        models.close()
        ledger.close()


@app.command("rebuild")
def rebuild(
    name: Annotated[str | None, typer.Argument(help="A projection, e.g. stock_on_hand")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every projection")] = False,
    url: UrlOption = None,
    local: LocalOption = False,
) -> None:
    """Rebuild into a fresh DuckDB file, then swap it in (the old one serves meanwhile)."""
    from projections.registry import BY_NAME

    if bool(name) == all_:
        raise typer.BadParameter("name one projection, or give --all")
    if name and name not in BY_NAME:
        raise typer.BadParameter(f"no projection {name!r}; there are {', '.join(BY_NAME)}")
    names = None if all_ else [name or ""]
    server = running_server(url, local)
    with progress_bar() as progress:
        task = progress.add_task(f"rebuilding {name or 'all read models'}", total=None)
        if server:
            job = httpx.post(
                f"{server}/admin/projections/rebuild",
                headers=server_headers(),
                json={"names": names},
                timeout=30,
            ).json()["job"]
            while True:
                state = httpx.get(
                    f"{server}/admin/jobs/{job}", headers=server_headers(), timeout=30
                ).json()
                progress.update(task, completed=state["position"], total=state["target"] or None)
                if state["state"] != "running":
                    break
                time.sleep(0.2)
            if state["state"] == "failed":
                raise typer.Exit(_fail(f"rebuild failed: {state['error']}"))
            adopted, stopped = state["result"]["adopted"], state["result"].get("stopped", [])
        else:
            adopted, stopped = _rebuild_locally(names, progress, task)
    for projection, position in adopted.items():
        console.print(f"rebuilt {projection} to position {position}, swapped in")
    if stopped:  # rebuilt as far as its events allow: the event that stops it is named
        for text in stopped:
            console.print(f"[red]stopped[/red] {text}")
        raise typer.Exit(1)


def _fail(message: str) -> int:
    console.print(f"[red]{message}[/red]")
    return 1


def _rebuild_locally(
    names: list[str] | None, progress: Progress, task: Any
) -> tuple[dict[str, int], list[str]]:
    from ledger.writer import Ledger
    from mims.settings import Settings
    from projections.engine.operations import rebuild_into
    from projections.engine.runner import ProjectionRunner
    from projections.engine.view import ReadModels

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    live = settings.read_model_path
    fresh = live.with_name(f"{live.stem}.rebuild{live.suffix}")
    try:
        built = rebuild_into(
            ledger.app.recorder,
            fresh,
            names,
            on_page=lambda p, t: progress.update(task, completed=p, total=t),
        )
        models = ReadModels(live)
        try:
            runner = ProjectionRunner(ledger.app.recorder, models)
            adopted = runner.adopt(str(fresh), built)
            return adopted, [str(s) for s in runner.stopped() if s.name in adopted]
        finally:
            models.close()
    finally:
        fresh.unlink(missing_ok=True)
        ledger.close()


@app.command("run")
def run(
    poll: Annotated[float, typer.Option(help="Seconds between polls when nothing wakes it")] = 1.0,
) -> None:
    """Run the projection runner as a process of its own (e.g. against PostgreSQL, woken
    by LISTEN/NOTIFY when `mims serve` processes commit). Ctrl-C stops it."""
    from eventsourcing.postgres import PostgresApplicationRecorder

    from ledger.writer import Ledger
    from mims.logs import configure_logging
    from mims.settings import Settings
    from projections.engine.runner import ProjectionRunner
    from projections.engine.view import ReadModels
    from projections.engine.waker import PostgresWaker

    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    models = ReadModels(settings.read_model_path)
    runner = ProjectionRunner(ledger.app.recorder, models, poll_interval=poll)
    waker = None
    if isinstance(ledger.app.recorder, PostgresApplicationRecorder):
        waker = PostgresWaker(ledger.app.recorder, runner.wake).start()
    runner.start()
    console.print(
        f"projecting {settings.database_url.split('@')[-1]} into {settings.read_model_path}"
    )
    try:
        while True:
            time.sleep(5)
            lowest = runner.position
            console.print(
                f"position {lowest}, head {runner.head}, lag {max(0, runner.head - lowest)}"
            )
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        if waker is not None:
            waker.stop()
        models.close()
        ledger.close()


def replay(
    as_of: Annotated[
        str, typer.Option("--as-of", help="Business instant (ISO 8601, UTC if no offset)")
    ],
    into: Annotated[Path, typer.Option("--into", help="New DuckDB file to write")],
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="Only what had been recorded by then")
    ] = None,
) -> None:
    """Rebuild every read model as of an instant into a separate file, for an auditor."""
    from ledger.writer import Ledger
    from mims.settings import Settings
    from projections.engine.operations import replay_into

    moment = _when(as_of, "--as-of")
    known = _when(known_at, "--known-at")
    if into.exists():
        raise typer.BadParameter(f"{into} exists: give a new file")
    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    try:
        with progress_bar() as progress:
            task = progress.add_task(f"replaying to {as_of}", total=None)
            position = replay_into(
                ledger.app.recorder,
                into,
                as_of=moment,
                known_at=known,
                on_page=lambda p, t: progress.update(task, completed=p, total=t),
            )
    finally:
        ledger.close()
    console.print(
        f"read models as of {moment.isoformat() if moment else ''}"
        + (f", as known at {known.isoformat()}" if known else "")
        + f" (log read to {position}) written to {into}"
    )
