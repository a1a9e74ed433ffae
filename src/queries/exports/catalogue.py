"""Every read model and report GraphQL serves, as an export: its SQL over the read models
(the resolver's own where the resolver has one: stock on hand and valuation as of an
instant come from `queries.stock.query`, never from a second version), the filters it
takes, whether it takes ``asOf`` / ``knownAt``, and the GraphQL root field whose read
permission and site scope it shares (a reader granted site A exports no row of site B).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from projections.stock import lot_status_of
from queries.access import Scope, in_scope
from queries.enums import ItemKind, StockStatus
from queries.stock.query import (
    CONSUMPTION_OF,
    stock_ledger_where,
    stock_on_hand_query,
    valuation_source,
)
from queries.stock.types import StockFilter


class ExportRefused(Exception):
    """An export that cannot be made as asked; answered as an RFC 9457 problem."""

    status = 422
    type = "bad-export"
    title = "Export refused"
    field: str | None = None

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class UnknownModel(ExportRefused):
    """No exportable model of that name; the answer lists the models there are."""

    status = 404
    type = "unknown-export-model"
    title = "Unknown export model"


class BadExportFilter(ExportRefused):
    """A filter the model does not take, or a value it cannot be."""

    type = "bad-export-filter"
    title = "Bad export filter"


class BadExportFormat(ExportRefused):
    """A format other than csv, xlsx or parquet."""

    type = "bad-export-format"
    title = "Bad export format"


class AsOfNotSupported(ExportRefused):
    """``asOf`` or ``knownAt`` given for a model that only shows the present."""

    type = "export-as-of-unsupported"
    title = "asOf not supported by this model"


class PlantWideExport(ExportRefused):
    """A model computed over the whole plant, asked by a reader of only part of it."""

    status = 403
    type = "export-plant-wide"
    title = "Export needs a plant-wide grant"


@dataclass(frozen=True)
class Selection:
    """What one export asks: filters by name (their text, from the query string), and the
    instants of time travel."""

    filters: Mapping[str, str] = field(default_factory=dict)
    as_of: datetime | None = None
    known_at: datetime | None = None


Build = Callable[[Selection, Scope | None], tuple[str, list[Any]]]


@dataclass(frozen=True)
class ExportModel:
    name: str
    field: str  # the GraphQL root field whose permission and scope the export shares
    description: str
    filters: Mapping[str, str]  # name: what it keeps
    build: Build
    as_of: bool = False
    plant_wide: bool = False  # computed over every site: a plant-wide reader's only
    # Rows in log order (position, line), read in slices by position: a sort of a
    # million rows would hold them all (the query is then given without its ORDER BY).
    by_position: bool = False

    def query(self, selection: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
        """The SQL of the export and its parameters; `ExportRefused` for bad input."""
        unknown = sorted(set(selection.filters) - set(self.filters))
        if unknown:
            takes = ", ".join(sorted(self.filters)) or "none"
            msg = f"{self.name} takes no filter {', '.join(unknown)} (it takes: {takes})"
            raise BadExportFilter(msg, unknown[0])
        if (selection.as_of or selection.known_at) and not self.as_of:
            msg = f"{self.name} shows the present only: it takes no asOf or knownAt"
            raise AsOfNotSupported(msg, "asOf")
        return self.build(selection, scope)


def _enum(name: str, text: str | None, kind: type[Any]) -> Any:
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        msg = f"{name} must be one of {allowed}, not {text!r}"
        raise BadExportFilter(msg, name) from None


def parse_instant(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        msg = f"{name} must be an ISO 8601 date or instant, not {text!r}"
        raise BadExportFilter(msg, name) from None
    if found.tzinfo is None:
        msg = f"{name} must name its time zone (Z or +hh:mm): {text!r}"
        raise BadExportFilter(msg, name)
    return found


def _whole_number(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 19:  # noqa: PLR2004
        msg = f"{name} must be a log position (a whole number), not {text!r}"
        raise BadExportFilter(msg, name)
    return int(text)


def _stock_filter(f: Mapping[str, str]) -> StockFilter:
    return StockFilter(
        item=f.get("item"),
        item_kind=_enum("itemKind", f.get("itemKind"), ItemKind),
        location=f.get("location"),
        lot=f.get("lot"),
        status=_enum("status", f.get("status"), StockStatus),
    )


STOCK_FILTERS = {
    "item": "one item (SKU)",
    "itemKind": "items of one kind",
    "location": "a location and every location under it",
    "lot": "one lot (or serial)",
    "status": "available, quarantine, held or rejected",
}


def _stock_on_hand(s: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
    return stock_on_hand_query(
        _stock_filter(s.filters), s.as_of, s.known_at, in_scope(scope, "location")
    )


def _stock_ledger(s: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
    f = s.filters
    where, params = stock_ledger_where(
        _stock_filter(f), s.as_of, s.known_at, f.get("eventType"), in_scope(scope, "location")
    )
    for name, clause in (("from", "effective_at >= ?"), ("to", "effective_at < ?")):
        instant = parse_instant(name, f.get(name))
        if instant is not None:
            where += f" AND {clause}"
            params.append(instant)
    after = _whole_number("afterPosition", f.get("afterPosition"))
    if after is not None:
        where += " AND position > ?"
        params.append(after)
    return f"SELECT * FROM stock_ledger WHERE {where}", params


def _valuation(s: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
    source, params = valuation_source(s.as_of, s.known_at, scope)
    method = s.filters.get("costingMethod")
    item = s.filters.get("item")
    return (
        f"""SELECT v.item, i.costing_method, v.quantity, v.value,
            unit_value(v.value, v.quantity) AS unit_cost
        FROM ({source}) v JOIN items i ON i.sku = v.item
        WHERE (v.quantity <> 0 OR v.value <> 0) AND (? IS NULL OR i.costing_method = ?)
            AND (? IS NULL OR v.item = ?)
        ORDER BY v.item""",
        [*params, method, method, item, item],
    )


def _equal(columns: Mapping[str, str], f: Mapping[str, str]) -> tuple[str, list[Any]]:
    """``column = ?`` for each filter given (filter name: column)."""
    clauses = [f"{columns[name]} = ?" for name in columns if name in f]
    return " AND ".join(clauses) or "TRUE", [f[name] for name in columns if name in f]


def _table(sql: str, location: str | None, columns: Mapping[str, str], order: str) -> Build:
    """Rows of ``sql`` (a SELECT of one table or view, aliased ``t``) kept by the filters
    (equality on ``columns``) and, when ``location`` names a column, by the caller's scope
    on it."""

    def build(s: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
        where, params = _equal(columns, s.filters)
        if location is not None:
            here, here_params = in_scope(scope, location)
            where, params = f"{where} AND {here}", [*params, *here_params]
        return f"SELECT * FROM ({sql}) t WHERE {where} ORDER BY {order}", params

    return build


def _lots(s: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
    # As the `lot` field: of the places in scope, the lots that have been there, with
    # their stock there.
    where, params = _equal({"item": "item", "lot": "lot", "status": "status"}, s.filters)
    if scope is None:
        return f"SELECT * FROM lot_status WHERE {where} ORDER BY item, lot", params
    here, here_params = in_scope(scope, "location")
    view = lot_status_of(f"(SELECT * FROM stock_balances WHERE {here})")
    return (
        (
            f"SELECT * FROM ({view}) t WHERE {where} AND EXISTS (SELECT 1 FROM stock_ledger l"
            f" WHERE l.item = t.item AND l.lot = t.lot AND {here}) ORDER BY item, lot"
        ),
        [*here_params, *params, *here_params],
    )


def _in_work_orders_of(scope: Scope | None, column: str) -> tuple[str, list[Any]]:
    here, params = in_scope(scope, "output_location")
    return f"{column} IN (SELECT number FROM work_orders WHERE {here})", params


def _wip(s: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
    where, params = _equal({"workCenter": "work_center", "number": "number"}, s.filters)
    mine, mine_params = _in_work_orders_of(scope, "number")
    return (
        f"SELECT * FROM wip WHERE {where} AND {mine} ORDER BY number, seq",
        [*params, *mine_params],
    )


def _open_lines(view: str) -> Build:
    def build(s: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
        # As `openSupply` / `openDemand`: order lines carry no site; work orders do.
        where, params = _equal({"item": "item", "kind": "kind"}, s.filters)
        mine, mine_params = _in_work_orders_of(scope, "reference")
        return (
            (
                f"SELECT * FROM {view} WHERE {where} AND (kind <> 'work_order' OR {mine})"
                " ORDER BY due_date, item, reference, line"
            ),
            [*params, *mine_params],
        )

    return build


def _consumption(s: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
    source, params = "consumption_daily", list[Any]()
    if scope is not None:
        # As `consumption`: the daily table is plant-wide, so a site's reader gets the
        # days summed from the ledger rows of its places.
        here, params = in_scope(scope, "location")
        source = f"({CONSUMPTION_OF.format(where=here)})"
    where, more = _equal({"item": "item"}, s.filters)
    for name, clause in (("from", "day >= ?"), ("to", "day <= ?")):
        instant = parse_instant(name, s.filters.get(name))
        if instant is not None:
            where += f" AND {clause}"
            more.append(instant.date())
    return f"SELECT * FROM {source} t WHERE {where} ORDER BY item, day", [*params, *more]


# A held bucket with the reason it was last put on hold with (there, else anywhere in
# scope for that lot), as `qualityKpis` attributes it.
_QUALITY_HOLDS = """
SELECT b.item, b.location, b.lot, b.quantity,
    coalesce(here.reason, lot.reason) AS reason, coalesce(here.hold_id, lot.hold_id) AS hold_id
FROM stock_balances b
LEFT JOIN held_reasons here ON here.item = b.item AND here.lot = b.lot
    AND here.location = b.location
LEFT JOIN (SELECT item, lot, arg_max(reason, position) AS reason,
                  arg_max(hold_id, position) AS hold_id
           FROM held_reasons WHERE {here} GROUP BY ALL) lot ON lot.item = b.item AND lot.lot = b.lot
WHERE b.status = 'held' AND {b_here}"""


def _quality_holds(s: Selection, scope: Scope | None) -> tuple[str, list[Any]]:
    here, here_params = in_scope(scope, "location")
    b_here, _ = in_scope(scope, "b.location")
    where, params = _equal({"item": "item", "lot": "lot", "reason": "reason"}, s.filters)
    return (
        (
            f"SELECT * FROM ({_QUALITY_HOLDS.format(here=here, b_here=b_here)}) t WHERE {where}"
            " ORDER BY item, location, lot"
        ),
        [*here_params, *here_params, *params],
    )


_GENEALOGY = """
SELECT p.item AS parent_item, p.lot AS parent_lot, c.item AS child_item, c.lot AS child_lot,
    e.kind, e.via, e.quantity, e.position
FROM lot_edges e JOIN lot_nodes p ON p.id = e.parent JOIN lot_nodes c ON c.id = e.child"""

_MODELS = (
    ExportModel(
        "stock_on_hand",
        "stockOnHand",
        "Stock per item, location, lot and status: now, or asOf / knownAt an instant.",
        STOCK_FILTERS,
        _stock_on_hand,
        as_of=True,
    ),
    ExportModel(
        "stock_ledger",
        "stockLedger",
        "One row per movement, in log order; asOf / knownAt keep what was effective"
        " (and recorded) by then.",
        {
            **STOCK_FILTERS,
            "eventType": "one kind of movement (Stock.Received, Stock.Issued...)",
            "from": "effective at or after this instant",
            "to": "effective before this instant",
            "afterPosition": "recorded after this log position",
        },
        _stock_ledger,
        as_of=True,
        by_position=True,
    ),
    ExportModel(
        "valuation",
        "valuation",
        "Quantity, value and unit cost per item: now, or asOf / knownAt an instant.",
        {"item": "one item", "costingMethod": "fifo, moving_average or standard"},
        _valuation,
        as_of=True,
    ),
    ExportModel(
        "cost_layers",
        "valuation",
        "FIFO cost layers per bucket: quantity left at each unit cost.",
        {"item": "one item", "location": "one location", "lot": "one lot"},
        _table(
            "SELECT * FROM cost_layers",
            "location",
            {"item": "item", "location": "location", "lot": "lot"},
            "item, location, lot, status, seq",
        ),
    ),
    ExportModel(
        "lots",
        "lot",
        "Lots with their supplier lot, expiry and stock by status.",
        {"item": "one item", "lot": "one lot", "status": "the lot's overall status"},
        _lots,
    ),
    ExportModel(
        "lot_genealogy",
        "traceForward",
        "Every link between lots (consumed into, split, merged, made from).",
        {},
        lambda _s, _scope: (f"SELECT * FROM ({_GENEALOGY}) ORDER BY position", []),
        plant_wide=True,
    ),
    ExportModel(
        "reservations",
        "reservations",
        "Reservations, open and closed.",
        {"item": "one item", "location": "one location"},
        _table(
            "SELECT * FROM reservations",
            "location",
            {"item": "item", "location": "location"},
            "reserved_at, reservation_id",
        ),
    ),
    ExportModel(
        "consumption_daily",
        "consumption",
        "Issues and scrap per item and day.",
        {"item": "one item", "from": "from this day", "to": "to this day (included)"},
        _consumption,
    ),
    ExportModel(
        "quality_holds",
        "qualityKpis",
        "Stock on hold per bucket, with the reason and hold it was last held by.",
        {"item": "one item", "lot": "one lot", "reason": "one reason code"},
        _quality_holds,
    ),
    ExportModel(
        "signatures",
        "signatures",
        "Every signed quality decision with its electronic signature.",
        {"item": "one item", "lot": "one lot", "kind": "one kind of decision"},
        _table(
            "SELECT * FROM signatures",
            "location",
            {"item": "item", "lot": "lot", "kind": "kind"},
            "position",
        ),
    ),
    ExportModel(
        "work_orders",
        "workOrders",
        "Work orders with quantities, costs and variances.",
        {"item": "one item", "status": "one status"},
        _table(
            "SELECT * EXCLUDE (stream) FROM work_orders",
            "output_location",
            {"item": "item", "status": "status"},
            "due_date, number",
        ),
    ),
    ExportModel(
        "wip",
        "wipByWorkCenter",
        "Work in process per released work order and operation.",
        {"workCenter": "one work center", "number": "one work order"},
        _wip,
    ),
    ExportModel(
        "open_supply",
        "openSupply",
        "Open purchase-order lines and work-order output still to come.",
        {"item": "one item", "kind": "purchase_order or work_order"},
        _open_lines("open_supply"),
    ),
    ExportModel(
        "open_demand",
        "openDemand",
        "Open sales-order lines and released work orders' components still to issue.",
        {"item": "one item", "kind": "sales_order or work_order"},
        _open_lines("open_demand"),
    ),
    ExportModel(
        "planned_orders",
        "plannedOrders",
        "Planned orders of the saved MRP runs, every status.",
        {"item": "one item", "status": "one status", "runId": "one MRP run"},
        _table(
            "SELECT * EXCLUDE (stream) FROM planned_orders",
            None,
            {"item": "item", "status": "status", "runId": "run_id"},
            "due_date, item, number",
        ),
        plant_wide=True,
    ),
    ExportModel(
        "shipments",
        "shipments",
        "Shipped sales-order lines, lot by lot.",
        {"item": "one item", "number": "one sales order", "lot": "one lot"},
        _table(
            "SELECT * FROM shipments",
            "location",
            {"item": "sku", "number": "number", "lot": "lot"},
            "position",
        ),
    ),
    ExportModel(
        "items",
        "items",
        "The item master.",
        {"kind": "one kind of item"},
        _table("SELECT * EXCLUDE (stream) FROM items", None, {"kind": "kind"}, "sku"),
    ),
    ExportModel(
        "locations",
        "location",
        "Locations, site by site.",
        {"site": "one site", "level": "site, warehouse, zone or bin"},
        _table(
            "SELECT * EXCLUDE (stream) FROM locations",
            "code",
            {"site": "site", "level": "level"},
            "path",
        ),
    ),
)
MODELS: Mapping[str, ExportModel] = MappingProxyType({m.name: m for m in _MODELS})


def model(name: str) -> ExportModel:
    found = MODELS.get(name)
    if found is None:
        msg = f"no model {name!r}; the models are: {', '.join(MODELS)}"
        raise UnknownModel(msg, "model")
    return found
