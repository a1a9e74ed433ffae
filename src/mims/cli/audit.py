"""`mims audit verify`: recompute every balance from the ledger and compare it with the
read models (asks a running server, or opens the files); `mims audit verify --chain`:
recompute the hash chain over the event log and check it against the anchors; `mims
audit anchor`: append the chain's head to the anchor file (and NATS) now; `mims audit
signatures`: re-verify every electronic signature against the record it signs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from mims.cli.common import LocalOption, UrlOption, console, running_server, server_headers

app = typer.Typer(help="Audit the read models and the event log.", no_args_is_help=True)

ANCHOR_REFUSED = 2  # exit code: the anchors could not be read, nothing was verified


@app.command("verify")
def verify(
    url: UrlOption = None,
    local: LocalOption = False,
    *,
    chain: Annotated[
        bool, typer.Option("--chain", help="Verify the event log against its hash chain")
    ] = False,
    start: Annotated[
        int | None, typer.Option("--from", min=1, help="--chain: first position to check")
    ] = None,
    stop: Annotated[
        int | None, typer.Option("--to", min=1, help="--chain: last position to check")
    ] = None,
    anchors: Annotated[
        Path | None,
        typer.Option(help="--chain: the anchor file (default: MIMS_ANCHOR_FILE, if it exists)"),
    ] = None,
    head: Annotated[
        list[str] | None,
        typer.Option(help="--chain: an anchor given as POSITION:HASH (from NATS, a report...)"),
    ] = None,
) -> None:
    """Recompute every balance from the ledger and compare with the read models; exit 1
    and list each difference (item, location, lot) if any. With --chain: recompute the
    hash chain (every event covered once, each batch's hash, the links, the head against
    the anchors), reading the store itself (no server needed); exit 1 naming the first
    bad position, 2 when the anchors cannot be read."""
    if chain:
        _verify_chain(start, stop, anchors, head or [])
        return
    server = running_server(url, local)
    if server:
        answer = httpx.post(
            f"{server}/admin/audit/verify", headers=server_headers(), timeout=600
        ).json()
        texts = [d["text"] for d in answer["differences"]]
        stopped = answer.get("stopped", [])
    else:
        texts, stopped = _verify_locally()
    for text in stopped:  # the cause of differences, named first
        console.print(f"[red]stopped[/red] {text}")
    for text in texts:
        console.print(f"[red]difference[/red] {text}")
    if stopped and not texts:
        raise typer.Exit(1)
    if texts:
        console.print(f"{len(texts)} differences between the ledger and the read models")
        raise typer.Exit(1)
    console.print("the read models agree with the ledger")


def _verify_locally() -> tuple[list[str], list[str]]:
    from ledger.writer import Ledger
    from mims.audit import verify as verify_balances
    from mims.settings import Settings
    from projections.engine.runner import ProjectionRunner
    from projections.engine.view import ReadModels

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    models = ReadModels(settings.read_model_path)
    try:
        runner = ProjectionRunner(ledger.app.recorder, models)
        found = verify_balances(ledger, models, runner)
        return [str(d) for d in found], [str(s) for s in runner.stopped()]
    finally:
        models.close()
        ledger.close()


def _verify_chain(
    start: int | None, stop: int | None, anchor_file: Path | None, heads: list[str]
) -> None:
    from ledger.writer import Ledger
    from mims.audit import AnchorError, parse_anchor, read_anchors, verify_ledger_chain
    from mims.settings import Settings

    settings = Settings()
    try:
        path = anchor_file or settings.anchor_file
        given = read_anchors(path) if anchor_file or path.exists() else []
        given += [parse_anchor(text, f"--head {n}") for n, text in enumerate(heads, start=1)]
    except AnchorError as e:
        console.print(f"[red]refused[/red] {e}")
        raise typer.Exit(ANCHOR_REFUSED) from None
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    try:
        report = verify_ledger_chain(ledger, start=start, stop=stop, anchors=given)
    finally:
        ledger.close()
    for note in report.notes:
        console.print(f"[yellow]note[/yellow] {note}")
    console.print(
        f"checked {report.events:,} events in {report.links:,} batches"
        f" at {report.rate:,.0f} events/s; {report.anchors_checked} anchors checked"
    )
    if report.problem is not None:
        console.print(f"[red]tampered[/red] first bad {report.problem}")
        raise typer.Exit(1)
    if report.head is not None:
        console.print(
            f"the chain holds up to position {report.head.last}, hash {report.head.hash.hex()}"
        )


@app.command("signatures")
def signatures() -> None:
    """Re-verify every electronic signature in the event log against the record it signs
    (the hold, the status move, the disposition, the recall hold or the adjustment,
    rebuilt from the store): a signature copied onto another record, or a record
    changed after it was signed, fails. Exit 1 naming each
    failing position. Reads the store itself (no server needed)."""
    from ledger.writer import Ledger
    from mims.audit import verify_ledger_signatures
    from mims.settings import Settings

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    try:
        report = verify_ledger_signatures(ledger)
    finally:
        ledger.close()
    for position, why in report.failures:
        console.print(f"[red]wrong[/red] signature at position {position}: {why}")
    console.print(
        f"signatures: checked {report.checked}, wrong {report.wrong},"
        f" unbound {report.unbound} (signed before signatures were bound to their record)"
    )
    if report.failures:
        raise typer.Exit(1)


@app.command("anchor")
def anchor() -> None:
    """Append the chain's head (position, hash, time) to MIMS_ANCHOR_FILE now, and publish
    it to NATS when MIMS_NATS_URL is set. `mims serve` does it every
    MIMS_ANCHOR_INTERVAL_SECONDS."""
    from ledger.writer import Ledger
    from mims.audit import anchor_now
    from mims.settings import Settings

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    try:
        taken = anchor_now(ledger, settings.anchor_file, settings.anchor_nats())
    finally:
        ledger.close()
    if taken is None:
        console.print("the event log is empty: nothing to anchor")
        return
    console.print(
        f"anchored position {taken.position}, hash {taken.hash.hex()}, to {settings.anchor_file}"
        + (" and NATS" if settings.nats_url else "")
    )
