"""Tracing lots through the genealogy read model: forward (where did it go), backward
(what went into it) and the recall simulation; plain functions over a DuckDB connection,
read by the GraphQL resolvers and by the recall hold of the composition root.

The walk is breadth first over the integer edges, held in memory with the lots' names
(``LotGraph``): a lot reached twice (a diamond, a cycle through a rework) is expanded
once, at its shortest distance, and remembers the lowest-numbered lot it was reached
from, so each lot's path is rebuilt from those pointers rather than carried along the
walk. The lots found are handed to DuckDB as an Arrow table (the view ``traced``), and
the details asked for (stock on hand, where it went, receipts, shipments, mass balance)
are read for all of them at once, one query per kind of detail.

Quantities leave DuckDB as text and zeros as NULL: building a Python Decimal from a
DuckDB DECIMAL costs several times more than from its text, and most flow terms of a lot
are zero.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any, Literal, NamedTuple

import duckdb
import pyarrow as pa

# Re-exported: the query side normalises its arguments as the commands do.
from ledger.codes import CodeRefused as CodeRefused  # noqa: PLC0414
from ledger.codes import normalise_code as normalise_code  # noqa: PLC0414
from projections.quality import FLOWS

Direction = Literal["forward", "backward"]
ZERO = Decimal(0)
NO_LIMIT = 1_000_000
COLLECT_AFTER = 100_000  # edges read at once
# What a trace can tell about each lot it finds.
LINKS, ON_HAND, USES, RECEIPTS, SHIPMENTS, BALANCE = (
    "links",
    "on_hand",
    "uses",
    "receipts",
    "shipments",
    "balance",
)
EVERYTHING = frozenset({LINKS, ON_HAND, USES, RECEIPTS, SHIPMENTS, BALANCE})
# What each question needs, as the issue words it.
FORWARD = frozenset({LINKS, ON_HAND, USES, SHIPMENTS})
BACKWARD = frozenset({LINKS, RECEIPTS})
RECALL = frozenset({ON_HAND, SHIPMENTS, BALANCE})


def _qty(text: str | None) -> Decimal:
    return ZERO if text is None else Decimal(text)


def _q(column: str) -> str:
    """A quantity column as text, NULL when zero."""
    return f"CAST(nullif({column}, 0) AS VARCHAR)"


class LotRef(NamedTuple):
    item: str
    lot: str


class Place(NamedTuple):
    location: str
    status: str
    quantity: Decimal


class Use(NamedTuple):
    """A quantity of the lot that went somewhere: ``kind`` is the flow (consumed,
    shipped, returned, scrapped, adjusted), ``party`` whom or what it went to."""

    kind: str
    party_kind: str
    party: str
    quantity: Decimal


class Link(NamedTuple):
    """An edge of the genealogy from the lot to another (its child going forward, its
    parent going backward)."""

    item: str
    lot: str
    kind: str  # consumed, split, merged
    via: str  # the work order, for consumption
    quantity: Decimal


class Receipt(NamedTuple):
    supplier: str
    supplier_lot: str | None
    reference: str
    location: str
    quantity: Decimal
    effective_at: datetime


class Shipped(NamedTuple):
    customer: str
    sales_order: str | None
    shipment: str | None  # None: a customer return, or an issue outside a sales order
    quantity: Decimal


class Balance(NamedTuple):
    """received + produced + split in + merged in = consumed + shipped + returned +
    scrapped + adjusted + split out + merged out + on hand; ``difference`` is the left
    side less the right, and is zero when every quantity is accounted for. The fields
    are the read model's flows in their order, then the stock on hand."""

    received: Decimal = ZERO
    produced: Decimal = ZERO
    consumed: Decimal = ZERO
    shipped: Decimal = ZERO
    returned: Decimal = ZERO
    scrapped: Decimal = ZERO
    adjusted: Decimal = ZERO
    split_in: Decimal = ZERO
    split_out: Decimal = ZERO
    merged_in: Decimal = ZERO
    merged_out: Decimal = ZERO
    on_hand: Decimal = ZERO

    @property
    def difference(self) -> Decimal:
        return (
            self.received
            + self.produced
            + self.split_in
            + self.merged_in
            - self.consumed
            - self.shipped
            - self.returned
            - self.scrapped
            - self.adjusted
            - self.split_out
            - self.merged_out
            - self.on_hand
        )


NOTHING = Balance()


@dataclass(slots=True)
class TracedLot:
    item: str
    lot: str
    level: int
    reached_from: TracedLot | None  # the lot one edge nearer the start (None: a start)
    # Empty until read (a trace reads only the details asked for).
    links: Sequence[Link] = ()
    on_hand: Sequence[Place] = ()
    uses: Sequence[Use] = ()
    receipts: Sequence[Receipt] = ()
    shipments: Sequence[Shipped] = ()
    balance: Balance = NOTHING

    @property
    def path(self) -> list[LotRef]:
        """The lots from a starting lot to this one."""
        path = []
        at: TracedLot | None = self
        while at is not None:
            path.append(LotRef(at.item, at.lot))
            at = at.reached_from
        return path[::-1]

    @property
    def quantity_on_hand(self) -> Decimal:
        return sum((p.quantity for p in self.on_hand), ZERO)


@dataclass
class Trace:
    direction: Direction
    start: list[LotRef]
    lots: list[TracedLot]
    elapsed_ms: float


# An edge as the graph holds it, seen from one end: the lot at the other end, the kind of
# link, the work order it went through and the quantity.
Edge = tuple[int, str, str, Decimal]


class LotGraph:
    """The genealogy held in memory: every lot's name, and the edges both ways. A
    recursive query scans every edge once per level of the walk (40 ms over 266k edges
    and 10 levels); a walk over these tuples takes a millisecond or two, and the lots
    found are named and their links listed from them too, without a query.

    Lots are only ever added, with ids that grow; edges are only ever added or have
    their quantity changed, and either stamps the edge with the position of its event.
    So the graph catches up by reading the lots past the last id and the edges past the
    last position it read; a table that ends before those is another one, read again
    whole, and the runner clears the graph when a rebuild is swapped in. One graph
    serves one read-model database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._position = -1
        self._last_lot = 0
        # Tuples of ints, strings and Decimals: the garbage collector stops tracking
        # them, where 200k lists would be walked by every full collection (a 100 ms
        # pause in a trace).
        self._names: dict[int, LotRef] = {}
        # Each lot's edges in the order its links are listed: by the other lot's name.
        self._edges: dict[Direction, dict[int, tuple[Edge, ...]]] = {
            "forward": {},
            "backward": {},
        }

    @property
    def lots(self) -> int:
        """How many lots the graph knows (none until it is first read)."""
        return len(self._names)

    def clear(self) -> None:
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        self._position, self._last_lot = -1, 0
        self._names.clear()
        for edges in self._edges.values():
            edges.clear()

    def _catch_up(self, con: duckdb.DuckDBPyConnection) -> None:
        ((last_lot, top),) = con.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM lot_nodes),"
            " (SELECT coalesce(max(position), -1) FROM lot_edges)"
        ).fetchall()
        if (last_lot, top) == (self._last_lot, self._position):
            return
        if last_lot < self._last_lot or top < self._position:
            self._clear()
        # Both read up to the bounds just read together, so every edge's lots are named
        # even when the runner commits a page in between.
        items: dict[str, str] = {}  # one string per item, not one per lot
        self._names.update(
            (node, LotRef(items.setdefault(item, item), lot))
            for node, item, lot in con.execute(
                "SELECT id, item, lot FROM lot_nodes WHERE id > ? AND id <= ?",
                [self._last_lot, last_lot],
            ).fetchall()
        )
        self._last_lot = last_lot
        # One object per kind and work order, one quantity per edge for both ways: 266k
        # edges take 60 MB less than with a string and a Decimal per row and way.
        words: dict[str, str] = {}
        rows: list[tuple[int, int, str, str, Decimal]] = [
            (parent, child, words.setdefault(kind, kind), words.setdefault(via, via), _qty(q))
            for parent, child, kind, via, q in con.execute(
                f"SELECT parent, child, kind, via, {_q('quantity')} FROM lot_edges"
                " WHERE position > ? AND position <= ?",
                [self._position, top],
            ).fetchall()
        ]
        ways: dict[Direction, list[tuple[int, Edge]]] = {
            "forward": [(p, (c, kind, via, q)) for p, c, kind, via, q in rows],
            "backward": [(c, (p, kind, via, q)) for p, c, kind, via, q in rows],
        }
        names = self._names
        for way, found in ways.items():
            edges = self._edges[way]
            for node, group in groupby(sorted(found, key=itemgetter(0)), key=itemgetter(0)):
                added = [edge for _, edge in group]
                if node in edges:  # a new quantity replaces the old
                    kept = {e[:3]: e for e in edges[node]} | {e[:3]: e for e in added}
                    added = list(kept.values())
                edges[node] = tuple(sorted(added, key=lambda e: (names[e[0]], e[1], e[2])))
        self._position = top
        if len(rows) >= COLLECT_AFTER:
            # One collection now moves the read out of the young generations (and stops
            # tracking its tuples), where the first one to come would have walked them
            # all in the middle of a trace (26 ms measured after 266k edges).
            gc.collect()

    def walk(
        self,
        con: duckdb.DuckDBPyConnection,
        starts: list[int],
        direction: Direction,
        max_depth: int = NO_LIMIT,
    ) -> dict[int, TracedLot]:
        """Every lot reachable from ``starts`` within ``max_depth`` edges, by node id,
        nearest first: its distance, and the lowest-numbered lot one edge nearer that
        reached it (None: a start)."""
        with self._lock:
            self._catch_up(con)
            edges, names = self._edges[direction], self._names
            found = {
                node: TracedLot(*names[node], level=0, reached_from=None)
                for node in sorted(starts)
                if node in names
            }
            frontier, level = list(found), 0
            while frontier and level < max_depth:
                level += 1
                reached: dict[int, TracedLot] = {}
                for node in frontier:  # in ascending order: the first to reach is the lowest
                    for edge in edges.get(node, ()):
                        if edge[0] not in found and edge[0] not in reached:
                            reached[edge[0]] = found[node]
                frontier = sorted(reached)
                for node in frontier:
                    found[node] = TracedLot(*names[node], level=level, reached_from=reached[node])
            return found

    def links(self, nodes: Iterable[int], direction: Direction) -> dict[int, list[Link]]:
        """The links out of each of ``nodes`` that has any, going ``direction``, as the
        last walk saw them."""
        with self._lock:
            edges, names = self._edges[direction], self._names
            return {
                node: [Link(*names[o], kind, via, q) for o, kind, via, q in edges[node]]
                for node in nodes
                if node in edges
            }


def start_nodes(
    con: duckdb.DuckDBPyConnection,
    *,
    supplier_lot: str | None = None,
    item: str | None = None,
    lot: str | None = None,
) -> list[int]:
    """The lots a trace starts from: every lot received with that supplier lot (of that
    item, when given), with or without a supplier, or the lot (of that item, or of any
    item). The arguments are codes, normalised as the commands normalise them
    (``CodeRefused`` for one no command would take); codes recorded before the commands
    normalised them are compared trimmed and in upper case, so they are found too."""
    item, lot = (None if x is None else normalise_code(x) for x in (item, lot))
    if supplier_lot is not None:
        rows = con.execute(
            "SELECT DISTINCT r.node FROM lot_receipts r JOIN lot_nodes n ON n.id = r.node"
            " WHERE r.supplier_lot_key = ?"
            " AND (CAST(? AS VARCHAR) IS NULL OR upper(n.item) = ?)"
            " AND (CAST(? AS VARCHAR) IS NULL OR upper(n.lot) = ?) ORDER BY 1",
            [normalise_code(supplier_lot), item, item, lot, lot],
        ).fetchall()
    elif lot is not None:
        # Exact first (every code recorded since the rule is normalised); a scan in upper
        # case only when that finds nothing (a lot recorded before).
        for compare in ("", "upper"):
            rows = con.execute(
                f"SELECT id FROM lot_nodes WHERE {compare}(lot) = ?"
                f" AND (CAST(? AS VARCHAR) IS NULL OR {compare}(item) = ?) ORDER BY id",
                [lot, item, item],
            ).fetchall()
            if rows:
                break
    else:
        msg = "give a supplier lot, or a lot (and its item)"
        raise ValueError(msg)
    return [int(r[0]) for r in rows]


@contextmanager
def _traced(con: duckdb.DuckDBPyConnection, lots: dict[int, TracedLot]) -> Iterator[None]:
    """The lots found, as the view ``traced`` (node, item, lot) the detail queries join."""
    con.register(
        "traced",
        pa.table(
            {
                "node": pa.array(lots.keys(), pa.int64()),
                "item": pa.array([t.item for t in lots.values()], pa.string()),
                "lot": pa.array([t.lot for t in lots.values()], pa.string()),
            }
        ),
    )
    try:
        yield
    finally:
        con.unregister("traced")


def _links(graph: LotGraph, lots: dict[int, TracedLot], direction: Direction) -> None:
    for node, links in graph.links(lots, direction).items():
        lots[node].links = links


def _on_hand(con: duckdb.DuckDBPyConnection, lots: dict[int, TracedLot]) -> None:
    places: dict[int, list[Place]] = defaultdict(list)
    for node, location, status, q in con.execute(
        f"""SELECT t.node, b.location, b.status, {_q("b.quantity")}
        FROM traced t JOIN stock_balances b ON b.item = t.item AND b.lot = t.lot"""
    ).fetchall():
        places[node].append(Place(location, status, _qty(q)))
    for node, found in places.items():  # by location and status
        lots[node].on_hand = sorted(found) if len(found) > 1 else found


USED = ("consumed", "shipped", "returned", "scrapped", "adjusted")


def _uses(
    con: duckdb.DuckDBPyConnection, lots: dict[int, TracedLot], *, keep: bool
) -> dict[tuple[int, str], Decimal]:
    """Where the lots' quantities went (kept in ``lots`` when ``keep``), and what of each
    went to each customer, for the shipments: one scan of the flows serves both. The
    kind leaves DuckDB as its place in ``USED`` (thousands of rows, five names)."""
    shipped: dict[tuple[int, str], Decimal] = {}
    uses: dict[int, list[Use]] = defaultdict(list)
    for node, code, party_kind, party, q in con.execute(
        f"""SELECT p.node, list_position(?, p.kind), p.party_kind, p.party, {_q("p.quantity")}
        FROM traced t JOIN lot_flow_parties p ON p.node = t.node
        WHERE p.kind IN ({", ".join(f"'{k}'" for k in (USED if keep else ("shipped",)))})""",
        [USED],
    ).fetchall():
        quantity, kind = _qty(q), USED[code - 1]
        if kind == "shipped":
            shipped[node, party] = quantity
        if keep and q is not None:
            uses[node].append(Use(kind, party_kind, party, quantity))
    for node, used in uses.items():  # by kind, then party
        lots[node].uses = sorted(used) if len(used) > 1 else used
    return shipped


def _receipts(con: duckdb.DuckDBPyConnection, lots: dict[int, TracedLot]) -> None:
    for node, rows in groupby(
        con.execute(
            f"""SELECT t.node, coalesce(r.supplier, ''), r.supplier_lot, r.reference,
                r.location, {_q("r.quantity")}, r.effective_at
            FROM traced t JOIN lot_receipts r ON r.node = t.node
            WHERE r.command_id NOT IN (SELECT command_id FROM genealogy_internal_commands)
            ORDER BY t.node, r.position"""
        ).fetchall(),
        key=itemgetter(0),
    ):
        lots[node].receipts = [
            Receipt(s, sl, ref, loc, _qty(q), at) for _, s, sl, ref, loc, q, at in rows
        ]


def _shipments(
    con: duckdb.DuckDBPyConnection,
    lots: dict[int, TracedLot],
    shipped: dict[tuple[int, str], Decimal],
) -> None:
    """By sales order and shipment; what went to a customer otherwise (``shipped``, from
    the stock card's issues to customers) less the sales orders' shipments is listed
    without an order. Per lot by customer, sales order, shipment; the rest last."""
    found: dict[int, list[tuple[tuple[Any, ...], Shipped]]] = defaultdict(list)
    by_order: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for node, customer, sales_order, shipment, quantity in con.execute(
        f"""SELECT t.node, s.customer, s.sales_order, s.shipment, {_q("s.quantity")}
        FROM traced t JOIN lot_shipments s ON s.node = t.node"""
    ).fetchall():
        q = _qty(quantity)
        by_order[node, customer] += q
        if q:
            row = Shipped(customer, sales_order, shipment or None, q)
            found[node].append(((customer, False, sales_order, shipment), row))
    for (node, customer), q in shipped.items():
        if rest := q - by_order.get((node, customer), ZERO):
            found[node].append(((customer, True, "", ""), Shipped(customer, None, None, rest)))
    for node, rows in found.items():
        lots[node].shipments = [row for _, row in sorted(rows, key=itemgetter(0))]


def _balances(con: duckdb.DuckDBPyConnection, lots: dict[int, TracedLot]) -> None:
    """Each lot's flows (most are zero, and leave DuckDB as NULL), closed by its stock on
    hand (read before)."""
    flows = {
        row[0]: row[1:]
        for row in con.execute(
            f"SELECT f.node, {', '.join(_q(f) for f in FLOWS)}"
            " FROM traced t JOIN lot_flows f ON f.node = t.node"
        ).fetchall()
    }
    nothing = (None,) * len(FLOWS)
    for node, lot in lots.items():
        terms = [ZERO if q is None else Decimal(q) for q in flows.get(node, nothing)]
        lot.balance = Balance._make([*terms, lot.quantity_on_hand])


def _details(
    con: duckdb.DuckDBPyConnection,
    graph: LotGraph,
    lots: dict[int, TracedLot],
    direction: Direction,
    details: frozenset[str],
) -> None:
    """Fill in the details asked for, one set-based query per kind of detail."""
    if LINKS in details:
        _links(graph, lots, direction)
    if ON_HAND in details or BALANCE in details:
        _on_hand(con, lots)
    if USES in details or SHIPMENTS in details:
        shipped = _uses(con, lots, keep=USES in details)
        if SHIPMENTS in details:
            _shipments(con, lots, shipped)
    if RECEIPTS in details:
        _receipts(con, lots)
    if BALANCE in details:
        _balances(con, lots)


def trace(
    con: duckdb.DuckDBPyConnection,
    starts: list[int],
    direction: Direction,
    *,
    max_depth: int = NO_LIMIT,
    details: frozenset[str] | None = None,
    graph: LotGraph | None = None,
) -> Trace:
    """Every lot reachable from ``starts`` (node ids), with the details asked for (by
    default what the direction's question needs). ``graph``: the read models' graph
    (without one, the edges are read for this trace alone)."""
    began = time.perf_counter()
    graph = graph or LotGraph()
    found = graph.walk(con, starts, direction, max_depth)
    wanted = details if details is not None else FORWARD if direction == "forward" else BACKWARD
    with _traced(con, found):
        _details(con, graph, found, direction, wanted)
    lots = sorted(found.values(), key=lambda t: (t.level, t.item, t.lot))
    return Trace(
        direction=direction,
        start=[LotRef(t.item, t.lot) for t in lots if t.level == 0],
        lots=lots,
        elapsed_ms=(time.perf_counter() - began) * 1000,
    )


def recall(
    con: duckdb.DuckDBPyConnection,
    *,
    supplier_lot: str | None = None,
    item: str | None = None,
    lot: str | None = None,
    details: frozenset[str] = RECALL,
    graph: LotGraph | None = None,
) -> Trace:
    """The recall simulation: everything made from the starting lots, at any depth, with
    where it is, where it went and its mass balance."""
    began = time.perf_counter()
    starts = start_nodes(con, supplier_lot=supplier_lot, item=item, lot=lot)
    found = trace(con, starts, "forward", details=details, graph=graph)
    found.elapsed_ms = (time.perf_counter() - began) * 1000
    return found


def affected_lots(
    con: duckdb.DuckDBPyConnection,
    *,
    supplier_lot: str | None = None,
    item: str | None = None,
    lot: str | None = None,
    graph: LotGraph | None = None,
) -> list[tuple[str, str]]:
    """(item, lot) of every lot a recall of the supplier lot (or of the lot) reaches that
    still has stock on hand, in any location or status: what a recall hold must hold."""
    starts = start_nodes(con, supplier_lot=supplier_lot, item=item, lot=lot)
    with _traced(con, (graph or LotGraph()).walk(con, starts, "forward")):
        rows = con.execute(
            "SELECT DISTINCT t.item, t.lot FROM traced t"
            " JOIN stock_balances b ON b.item = t.item AND b.lot = t.lot WHERE b.quantity > 0"
            " ORDER BY 1, 2"
        ).fetchall()
    return [(str(i), str(lot_)) for i, lot_ in rows]
