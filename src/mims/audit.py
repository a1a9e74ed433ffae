"""`mims audit verify`: the read models against the ledger itself; `mims audit verify
--chain` and `mims audit anchor`: the ledger against its hash chain and its anchors;
`mims audit signatures`: every electronic signature against the record it signs.

The balances are recomputed by the write side's own code (each item's stock card folded
from its events by the aggregate), independently of the projections' SQL, and compared
bucket by bucket and item by item with the read models. A difference names the item,
location, lot and status, and both figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import nats
import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from ledger.chain import Anchor, ChainReport, verify_chain
from ledger.quality.signing import SignatureAudit, signed_events, verify_signatures
from ledger.stock.card import Stock
from ledger.store import chain_of
from ledger.writer import Ledger
from mims.relay import RelaySettings, ensure_stream
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels

log = structlog.get_logger("mims.audit")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Difference:
    item: str
    location: str | None
    lot: str | None
    status: str | None
    what: str
    ledger: Decimal
    read_model: Decimal

    def __str__(self) -> str:
        where = " ".join(
            x for x in (self.location, self.lot and f"lot {self.lot}", self.status) if x
        )
        return (
            f"{self.item} {where}: {self.what} is {self.ledger} in the ledger,"
            f" {self.read_model} in the read models"
        )


def stock_streams(ledger: Ledger, page: int = 10_000) -> Iterator[UUID]:
    topic = get_topic(Stock.Opened)
    start = 1
    while True:
        found = ledger.app.recorder.select_notifications(start=start, limit=page, topics=[topic])
        if not found:
            return
        for notification in found:
            yield UUID(str(notification.originator_id))
        start = found[-1].id + 1


def _differences(ledger: Ledger, models: ReadModels, only: set[str] | None) -> list[Difference]:
    with models.reader() as con:
        balances = {
            (item, location, lot, status): quantity
            for item, location, lot, status, quantity in con.execute(
                "SELECT item, location, lot, status, quantity FROM stock_balances"
            ).fetchall()
        }
        values = dict(con.execute("SELECT item, value FROM item_valuation").fetchall())
    found: list[Difference] = []
    for stream in stock_streams(ledger):
        stock = ledger.app.find(stream)
        if not isinstance(stock, Stock) or (only is not None and stock.sku not in only):
            continue
        truth = {(stock.sku, *key): quantity for key, quantity in stock.balances.items()}
        mine = {key: q for key, q in balances.items() if key[0] == stock.sku}
        for key in sorted(set(truth) | set(mine)):
            ledger_qty, model_qty = truth.get(key, ZERO), mine.get(key, ZERO)
            if ledger_qty != model_qty:
                item, location, lot, status = key
                found.append(
                    Difference(
                        item, location, lot or None, str(status), "quantity", ledger_qty, model_qty
                    )
                )
        model_value = values.get(stock.sku, ZERO)
        if stock.value != model_value:
            found.append(Difference(stock.sku, None, None, None, "value", stock.value, model_value))
    return found


def verify(
    ledger: Ledger, models: ReadModels, runner: ProjectionRunner, attempts: int = 3
) -> list[Difference]:
    """Differences that persist once the read models have caught up (a command committed
    between the two reads is not a difference: it is checked again)."""
    suspects: set[str] | None = None
    found: list[Difference] = []
    for attempt in range(attempts):
        runner.wait_for(
            ledger.max_position(), timeout=30
        ) if runner.is_running else runner.catch_up()
        found = _differences(ledger, models, suspects)
        if not found:
            return []
        suspects = {d.item for d in found}
        if attempt + 1 < attempts:
            time.sleep(0.2)
    return found


# --- the hash chain: anchors and verification ---------------------------------------------

ANCHOR_SUBJECT = "anchors"  # under MIMS_NATS_SUBJECT_PREFIX, in the events' stream


class AnchorError(ValueError):
    """An anchor line or head that cannot be read: refused, never guessed at."""


def anchor_line(anchor: Anchor) -> str:
    at = (anchor.at or datetime.now(UTC)).isoformat()
    return json.dumps(
        {"position": anchor.position, "hash": anchor.hash.hex(), "at": at}, sort_keys=True
    )


def parse_anchor(text: str, source: str) -> Anchor:
    """One anchor: a JSON object ``{"position": N, "hash": "64 hex digits", "at": ...}``,
    or ``POSITION:HASH`` (as given on the command line)."""
    text = text.strip()
    if text.startswith("{"):
        try:
            found = json.loads(text)
        except json.JSONDecodeError as e:
            msg = f"{source}: not JSON ({e.msg} at column {e.colno})"
            raise AnchorError(msg) from None
        if not isinstance(found, dict):
            msg = f"{source}: an anchor is a JSON object with position, hash and at"
            raise AnchorError(msg)
        position, digest, at = found.get("position"), found.get("hash"), found.get("at")
    elif ":" not in text:
        msg = f"{source}: not an anchor (a JSON object, or POSITION:HASH)"
        raise AnchorError(msg)
    else:
        position, _, digest = text.partition(":")
        at = None
        position = int(position) if position.strip().isdigit() else position
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        shown = repr(position)[:40]
        msg = f"{source}: the position must be a whole number from 1, not {shown}"
        raise AnchorError(msg)
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        msg = f"{source}: the hash must be 64 lower-case hex digits"
        raise AnchorError(msg)
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(str(at))
        except ValueError:
            msg = f"{source}: 'at' must be an ISO 8601 time, not {at!r}"
            raise AnchorError(msg) from None
    return Anchor(position=position, hash=bytes.fromhex(digest), at=when, source=source)


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor of an anchor file; any malformed line refuses the whole file, naming
    the line (an auditor must not get a verdict from a file that was tampered with)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: no such anchor file"
        raise AnchorError(msg) from None
    except (OSError, UnicodeDecodeError) as e:
        msg = f"{path}: cannot be read ({e})"
        raise AnchorError(msg) from None
    return [
        parse_anchor(line, f"{path}:{number}")
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def _last_anchor_position(path: Path) -> int | None:
    """The position of the file's last line (a quick look at its end), or None."""
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, 2) - 4096))
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
    except FileNotFoundError:
        return None
    try:
        return parse_anchor(lines[-1], str(path)).position if lines else None
    except AnchorError:
        return None


def take_anchor(ledger: Ledger, path: Path, *, only_if_moved: bool = False) -> Anchor | None:
    """Append the chain's head to the anchor file (made if missing); None when the log
    is empty, or, with ``only_if_moved``, when the file already ends at the head."""
    head = chain_of(ledger.app.recorder).chain_head()
    if head is None:
        return None
    if only_if_moved and _last_anchor_position(path) == head.last:
        return None
    anchor = Anchor.of(head, datetime.now(UTC))
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of one line to a file opened for appending: lines of several workers
    # never interleave.
    with path.open("a", encoding="utf-8") as f:
        f.write(anchor_line(anchor) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return anchor


async def publish_anchor(settings: RelaySettings, anchor: Anchor) -> None:
    """The anchor on ``{prefix}.anchors``, kept by the events' JetStream stream."""
    nc = await nats.connect(settings.url, allow_reconnect=False, connect_timeout=5)
    try:
        js = nc.jetstream()
        await ensure_stream(js, settings)
        await js.publish(
            f"{settings.subject_prefix}.{ANCHOR_SUBJECT}",
            anchor_line(anchor).encode(),
            headers={
                "Nats-Msg-Id": f"anchor-{anchor.position}-{anchor.hash.hex()[:16]}",
                "Mims-Position": str(anchor.position),
            },
            stream=settings.stream,
        )
    finally:
        await nc.close()


def anchor_now(ledger: Ledger, path: Path, nats_settings: RelaySettings | None) -> Anchor | None:
    """`mims audit anchor`: the head to the file, and to NATS when it is configured."""
    anchor = take_anchor(ledger, path)
    if anchor is not None and nats_settings is not None:
        asyncio.run(publish_anchor(nats_settings, anchor))
    return anchor


async def run_anchor_job(
    ledger: Ledger, path: Path, interval_seconds: float, nats_settings: RelaySettings | None
) -> None:
    """Inside the server: every interval, the head (when it moved) to the file and NATS;
    a failing run is logged and the next one tries again."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            anchor = await asyncio.to_thread(take_anchor, ledger, path, only_if_moved=True)
        except Exception:
            log.exception("anchor job failed")
            continue
        if anchor is None:
            continue
        log.info("chain anchored", position=anchor.position, file=str(path))
        if nats_settings is not None:
            try:
                await publish_anchor(nats_settings, anchor)
            except (OSError, TimeoutError, nats.errors.Error) as e:
                # The file has it; the next anchor goes to NATS once it is back.
                log.warning("anchor not published to NATS", error=str(e) or type(e).__name__)


def verify_ledger_chain(
    ledger: Ledger,
    *,
    start: int | None = None,
    stop: int | None = None,
    anchors: Sequence[Anchor] = (),
) -> ChainReport:
    return verify_chain(chain_of(ledger.app.recorder), start=start, stop=stop, anchors=anchors)


def verify_ledger_signatures(ledger: Ledger) -> SignatureAudit:
    """`mims audit signatures`: every signature in the log against the record it signs,
    rebuilt from the store (`ledger.quality.signing.verify_signatures`)."""

    def load(stream: UUID, version: int | None) -> object:
        try:
            return ledger.app.repository.get(stream, version=version)
        except AggregateNotFoundError:
            return None

    return verify_signatures(signed_events(ledger.app), load)
