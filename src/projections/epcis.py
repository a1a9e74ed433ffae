"""EPCIS 2.0 events from the ledger's events, for traceability partners and regulators.

Pure: the caller reads the event log in order and feeds each decoded event;
:class:`EpcisBuilder` keeps what later events need (items, locations, orders,
what each work order consumed) and answers the EPCIS events of each ledger event, as
plain JSON-ready dicts (quantities stay ``Decimal``). No read model is involved, so an
export is always what the event store says.

One ledger step, one EPCIS event. A step an order records (a purchase receipt or return,
a shipment or customer return, a work-order issue, return or output) is told from the
order's event, which names the order, the lots and, for an output, the lots consumed;
the stock card's events of that same command (``covered`` command ids, found by
:func:`covering_topics` in a first pass over the log) are left out. Genealogy is told as
MIMS keeps it: an output's TransformationEvent lists as inputs exactly the lots its order
had consumed when it was received (``consumed_lots``), with no ``transformationID``,
because EPCIS would link every input of an id to every output of it, and an output made
before a component was issued is not made of it. Issues carry the quantities consumed
(``transformationID`` = the order's consumption, which has no outputs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid5

from eventsourcing.utils import get_topic

from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.orders.aggregates import PurchaseOrder, SalesOrder
from ledger.production.work_order import WorkOrder
from ledger.quality.aggregates import Inspection
from ledger.stock.card import Stock
from ledger.values import Disposition, IssueTarget, StockStatus, Tracking

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
DIGITAL_LINK = "https://id.gs1.org"
ANY_SITE = "*"  # a grant's site that covers every site
# eventIDs are uuid5 of the ledger event (stream, version) in this namespace: stable
# across exports, so a partner de-duplicates a re-sent event.
EVENT_ID_NAMESPACE = UUID("6f1c6d0e-5a0b-4c1e-9a51-3e0d8f0e2b16")

# UN/CEFACT Recommendation 20 codes for the units plants write. A unit not listed here
# goes out without ``uom`` (EPCIS then reads the quantity as a count of the class).
UOM = {
    "kg": "KGM", "g": "GRM", "mg": "MGM", "t": "TNE", "lb": "LBR", "oz": "ONZ",
    "l": "LTR", "ml": "MLT", "m3": "MTQ", "m": "MTR", "cm": "CMT", "mm": "MMT",
    "m2": "MTK", "km": "KMT", "ft": "FOT", "in": "INH",
    "ea": "EA", "each": "EA", "pc": "H87", "pcs": "H87", "piece": "H87", "pieces": "H87",
    "unit": "C62", "units": "C62", "u": "C62", "pair": "PR", "set": "SET", "dozen": "DZN",
    "box": "BX", "roll": "RO", "sheet": "ST", "h": "HUR", "hr": "HUR", "min": "MIN",
}  # fmt: skip
DISPOSITION = {
    StockStatus.AVAILABLE: "active",
    StockStatus.QUARANTINE: "non_sellable_other",
    StockStatus.HELD: "non_sellable_other",
    StockStatus.REJECTED: "non_conformant",
}

# Order events that tell a stock movement themselves: the stock card's Received, Issued
# and Disposed of the same command are not exported again.
COVERING = (
    PurchaseOrder.LineReceived,
    PurchaseOrder.LineReturned,
    SalesOrder.Shipped,
    SalesOrder.Returned,
    WorkOrder.MaterialIssued,
    WorkOrder.MaterialReturned,
    WorkOrder.OutputReceived,
)
COVERED = (Stock.Received, Stock.Issued, Stock.Disposed)


def covering_topics() -> frozenset[str]:
    return frozenset(get_topic(cls) for cls in COVERING)


def uom(unit: str) -> str | None:
    return UOM.get(unit.strip().lower())


def _part(text: str) -> str:
    return quote(text, safe="")


def _time(moment: datetime) -> str:
    return moment.isoformat()


def _offset(moment: datetime) -> str:
    delta = moment.utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass(frozen=True)
class Filters:
    """Which EPCIS events a document holds: effective time in ``[start, stop)``, at a
    site, telling a lot (of one item, or of any item with that code), at a place the
    caller may see: ``places`` are (site, location prefix) pairs as grants give them
    (site ``*``: every site; prefix ``""``: the whole site), None for everywhere. An
    event touching several places (a move) is kept when one of them is in scope."""

    start: datetime | None = None
    stop: datetime | None = None
    site: str | None = None
    lot: str | None = None
    item: str | None = None
    places: frozenset[tuple[str, str]] | None = None

    def keep(self, record: Told) -> bool:
        if self.start is not None and record.when < self.start:
            return False
        if self.stop is not None and record.when >= self.stop:
            return False
        if self.site is not None and all(site != self.site for _, site in record.places):
            return False
        if self.places is not None and not any(
            scope_site in (ANY_SITE, site) and code.startswith(prefix)
            for code, site in record.places
            for scope_site, prefix in self.places
        ):
            return False
        if self.lot is not None:
            return any(
                lot == self.lot and (self.item is None or item == self.item)
                for item, lot in record.lots
            )
        if self.item is not None:
            return any(item == self.item for item, _ in record.lots)
        return True


@dataclass(frozen=True)
class Told:
    """One EPCIS event and what the filters look at."""

    event: dict[str, Any]
    when: datetime
    places: frozenset[tuple[str, str]]  # (location, its site)
    lots: frozenset[tuple[str, str]]  # (item, lot); lot "" for untracked stock


@dataclass
class _Item:
    sku: str
    unit: str
    tracking: Tracking
    gtin: str | None


@dataclass
class _Place:
    code: str
    site: str
    gln: str | None


@dataclass
class _Order:
    number: str
    party: str
    item: str = ""
    consumed: dict[tuple[str, str], Decimal] = field(default_factory=dict)


class EpcisBuilder:
    """Feeds on the log in order; ``urn_prefix`` names what has no GS1 key
    (``urn:mims:plant`` -> ``urn:mims:plant:item:SKU:lot:LOT``)."""

    def __init__(self, urn_prefix: str, covered: frozenset[str] = frozenset()) -> None:
        self.prefix = urn_prefix.rstrip(":")
        self.covered = covered
        self.items: dict[str, _Item] = {}
        self.cards: dict[UUID, str] = {}
        self.places: dict[str, _Place] = {}
        self.purchase: dict[UUID, _Order] = {}
        self.sales: dict[UUID, _Order] = {}
        self.work: dict[UUID, _Order] = {}
        # names already made (a lot or a place is named in many events); cleared when
        # master data is registered, which may give a key to what had none
        self._classes: dict[tuple[str, str], str] = {}
        self._places: dict[str, str] = {}

    # --- names -----------------------------------------------------------------------

    def urn(self, *parts: str) -> str:
        return ":".join([self.prefix, *(_part(p) for p in parts)])

    def _item(self, sku: str) -> _Item:
        return self.items.get(sku) or _Item(sku, "", Tracking.NONE, None)

    def is_serial(self, sku: str, lot: str) -> bool:
        return bool(lot) and self._item(sku).tracking is Tracking.SERIAL

    def epc_class(self, sku: str, lot: str) -> str:
        """LGTIN (GS1 Digital Link, AI 01 + 10) for a lot of an item with a GTIN, the
        GTIN alone for untracked stock, else the private URN."""
        named = self._classes.get((sku, lot))
        if named is None:
            named = self._classes[sku, lot] = self._epc_class(sku, lot)
        return named

    def _epc_class(self, sku: str, lot: str) -> str:
        gtin = self._item(sku).gtin
        if gtin:
            base = f"{DIGITAL_LINK}/01/{gtin}"
            return f"{base}/10/{_part(lot)}" if lot else base
        return self.urn("item", sku, "lot", lot) if lot else self.urn("item", sku)

    def epc(self, sku: str, serial: str) -> str:
        """SGTIN (AI 01 + 21) of one serial-tracked unit, or the private URN."""
        gtin = self._item(sku).gtin
        if gtin:
            return f"{DIGITAL_LINK}/01/{gtin}/21/{_part(serial)}"
        return self.urn("item", sku, "serial", serial)

    def place(self, code: str) -> str:
        """SGLN in GS1 Digital Link form: the location's own GLN, or its site's GLN with
        the location code as extension (AI 254); else the private URN."""
        named = self._places.get(code)
        if named is None:
            named = self._places[code] = self._place(code)
        return named

    def _place(self, code: str) -> str:
        where = self.places.get(code)
        if where is not None and where.gln:
            return f"{DIGITAL_LINK}/414/{where.gln}"
        site = self.places.get(where.site) if where is not None else None
        if site is not None and site.gln:
            return f"{DIGITAL_LINK}/414/{site.gln}/254/{_part(code)}"
        return self.urn("location", code)

    def site_of(self, code: str) -> str:
        where = self.places.get(code)
        return where.site if where is not None else ""

    def party(self, name: str) -> str:
        return self.urn("party", name)

    # --- parts of an event -------------------------------------------------------------

    def quantity(self, sku: str, lot: str, quantity: Decimal | None) -> dict[str, Any]:
        element: dict[str, Any] = {"epcClass": self.epc_class(sku, lot)}
        if quantity is not None:
            element["quantity"] = abs(quantity)
            code = uom(self._item(sku).unit)
            if code is not None:
                element["uom"] = code
        return element

    def what(
        self, goods: Iterable[tuple[str, str, Decimal | None]], prefix: str = ""
    ) -> dict[str, Any]:
        """``epcList`` for serials, ``quantityList`` for lots and untracked stock (with a
        prefix: ``input``/``output`` lists of a TransformationEvent)."""
        epcs: list[str] = []
        quantities: list[dict[str, Any]] = []
        for sku, lot, quantity in goods:
            if self.is_serial(sku, lot):
                epcs.append(self.epc(sku, lot))
            else:
                quantities.append(self.quantity(sku, lot, quantity))
        out: dict[str, Any] = {}
        if epcs:
            out[f"{prefix}EPCList" if prefix else "epcList"] = list(dict.fromkeys(epcs))
        if quantities:
            out[f"{prefix}QuantityList" if prefix else "quantityList"] = quantities
        return out

    def _told(
        self,
        event: Any,
        kind: str,
        body: dict[str, Any],
        *,
        places: Iterable[str],
        goods: Iterable[tuple[str, str]],
    ) -> Told:
        when: datetime = event.meta.effective_at
        stable = uuid5(EVENT_ID_NAMESPACE, f"{event.originator_id}/{event.originator_version}")
        head = {
            "type": kind,
            "eventID": f"urn:uuid:{stable}",
            "eventTime": _time(when),
            "recordTime": _time(event.timestamp),
            "eventTimeZoneOffset": _offset(when),
        }
        places = list(places)
        return Told(
            event={**head, **body},
            when=when,
            places=frozenset((code, self.site_of(code)) for code in places),
            lots=frozenset(goods),
        )

    def _at(self, code: str) -> dict[str, Any]:
        return {"readPoint": {"id": self.place(code)}, "bizLocation": {"id": self.place(code)}}

    def _order(self, kind: str, number: str) -> dict[str, str]:
        return {"type": kind, "bizTransaction": self.urn(kind_name(kind), number)}

    # --- the ledger's events -----------------------------------------------------------

    def feed(self, event: Any) -> Told | None:
        """The EPCIS event that tells ``event``, or None (master data, reservations,
        costs, and what another event of the same command tells)."""
        kind = type(event)
        if kind in COVERED and event.meta.command_id in self.covered:
            return None
        handler = _HANDLERS.get(kind)
        return handler(self, event) if handler is not None else None

    # master data and orders: remembered, never exported
    def _item_registered(self, e: Item.Registered) -> None:
        self.items[e.sku] = _Item(e.sku, e.unit_of_measure, e.tracking, e.gtin)
        self._classes.clear()

    def _location_registered(self, e: Location.Registered) -> None:
        self.places[e.code] = _Place(e.code, e.site, e.gln)
        self._places.clear()

    def _card_opened(self, e: Stock.Opened) -> None:
        self.cards[e.originator_id] = e.sku

    def _purchase_created(self, e: PurchaseOrder.Created) -> None:
        self.purchase[e.originator_id] = _Order(e.number, e.supplier)

    def _sales_created(self, e: SalesOrder.Created) -> None:
        self.sales[e.originator_id] = _Order(e.number, e.customer)

    def _work_created(self, e: WorkOrder.Created) -> None:
        self.work[e.originator_id] = _Order(e.number, "", e.item)

    def _sku(self, e: Any) -> str:
        return self.cards.get(e.originator_id, "")

    # receipts and shipments
    def _received(self, e: Stock.Received) -> Told:
        sku = self._sku(e)
        body: dict[str, Any] = {
            "action": "OBSERVE",
            "bizStep": "receiving",
            "disposition": "in_progress" if e.status is StockStatus.AVAILABLE
            else DISPOSITION[e.status],
            **self.what([(sku, e.lot, e.quantity)]),
            **self._at(e.location),
        }  # fmt: skip
        if e.supplier:
            body["sourceList"] = [{"type": "owning_party", "source": self.party(e.supplier)}]
        return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(sku, e.lot)])

    def _po_received(self, e: PurchaseOrder.LineReceived) -> Told:
        order = self.purchase.get(e.originator_id) or _Order("", "")
        body = {
            "action": "OBSERVE",
            "bizStep": "receiving",
            "disposition": "in_progress",
            **self.what([(e.sku, e.lot, e.quantity)]),
            **self._at(e.location),
            "bizTransactionList": [self._order("po", order.number)],
            "sourceList": [{"type": "owning_party", "source": self.party(order.party)}],
        }
        return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(e.sku, e.lot)])

    def _po_returned(self, e: PurchaseOrder.LineReturned) -> Told:
        order = self.purchase.get(e.originator_id) or _Order("", "")
        return self._shipped(
            e, (e.sku, e.lot, e.quantity), e.location, disposition="returned", to=order.party,
            transactions=[self._order("po", order.number)],
        )  # fmt: skip

    def _so_shipped(self, e: SalesOrder.Shipped) -> Told:
        order = self.sales.get(e.originator_id) or _Order("", e.customer)
        transactions = [self._order("po", order.number)]
        if e.shipment:
            transactions.append(self._order("desadv", e.shipment))
        return self._shipped(
            e, (e.sku, e.lot, e.quantity), e.location, disposition="in_transit", to=e.customer,
            transactions=transactions,
        )  # fmt: skip

    def _shipped(
        self, e: Any, goods: tuple[str, str, Decimal], location: str, *,
        disposition: str, to: str, transactions: list[dict[str, str]],
    ) -> Told:  # fmt: skip
        sku, lot, _ = goods
        body = {
            "action": "OBSERVE",
            "bizStep": "shipping",
            "disposition": disposition,
            **self.what([goods]),
            **self._at(location),
            "destinationList": [{"type": "owning_party", "destination": self.party(to)}],
        }
        if transactions:
            body["bizTransactionList"] = transactions
        return self._told(e, "ObjectEvent", body, places=[location], goods=[(sku, lot)])

    def _so_returned(self, e: SalesOrder.Returned) -> Told:
        order = self.sales.get(e.originator_id) or _Order("", "")
        body = {
            "action": "OBSERVE",
            "bizStep": "receiving",
            "disposition": "returned",
            **self.what([(e.sku, e.lot, e.quantity)]),
            **self._at(e.location),
            "bizTransactionList": [self._order("po", order.number)],
            "sourceList": [{"type": "owning_party", "source": self.party(order.party)}],
        }
        return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(e.sku, e.lot)])

    def _issued(self, e: Stock.Issued) -> Told:
        sku = self._sku(e)
        goods = (sku, e.lot, e.quantity)
        if e.target_kind in (IssueTarget.CUSTOMER, IssueTarget.SUPPLIER):
            returned = e.target_kind is IssueTarget.SUPPLIER
            return self._shipped(
                e, goods, e.location, disposition="returned" if returned else "in_transit",
                to=e.target, transactions=[],
            )  # fmt: skip
        if e.target_kind is IssueTarget.WORK_ORDER:
            return self._consumed(e, e.target, goods, e.location)
        body = {  # to a cost center: used up, gone from the supply chain
            "action": "DELETE",
            "disposition": "inactive",
            **self.what([(sku, e.lot, e.quantity)]),
            **self._at(e.location),
        }
        return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(sku, e.lot)])

    # production
    def _consumed(
        self, e: Any, number: str, goods: tuple[str, str, Decimal], location: str
    ) -> Told:
        sku, lot, _ = goods
        body = {
            **self.what([goods], "input"),
            "transformationID": self.urn("work-order", number, "consumption"),
            **self._at(location),
            "bizTransactionList": [self._order("prodorder", number)],
        }
        return self._told(e, "TransformationEvent", body, places=[location], goods=[(sku, lot)])

    def _material_issued(self, e: WorkOrder.MaterialIssued) -> Told:
        order = self.work.get(e.originator_id) or _Order("", "")
        if e.quantity > 0:
            used = order.consumed.get((e.component, e.lot), Decimal(0))
            order.consumed[(e.component, e.lot)] = used + e.quantity
            return self._consumed(e, order.number, (e.component, e.lot, e.quantity), e.location)
        # a by-product: made of what the order had consumed before it
        inputs = [(sku, lot) for (sku, lot), q in order.consumed.items() if q > 0]
        return self._made(e, order, inputs, (e.component, e.lot, -e.quantity), e.location)

    def _material_returned(self, e: WorkOrder.MaterialReturned) -> Told:
        order = self.work.get(e.originator_id) or _Order("", "")
        used = order.consumed.get((e.component, e.lot), Decimal(0))
        order.consumed[(e.component, e.lot)] = used - e.quantity
        body = {
            "action": "OBSERVE",
            "bizStep": "storing",
            "disposition": "active",
            **self.what([(e.component, e.lot, e.quantity)]),
            **self._at(e.location),
            "bizTransactionList": [self._order("prodorder", order.number)],
        }
        return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(e.component, e.lot)])

    def _output_received(self, e: WorkOrder.OutputReceived) -> Told:
        order = self.work.get(e.originator_id) or _Order("", "")
        inputs = [(use.component, use.lot) for use in e.consumed_lots if use.quantity > 0]
        return self._made(e, order, inputs, (e.item, e.lot, e.quantity), e.location)

    def _made(
        self, e: Any, order: _Order, inputs: list[tuple[str, str]],
        made: tuple[str, str, Decimal], location: str,
    ) -> Told:  # fmt: skip
        """An output (or by-product) and the lots it was made of. The inputs carry no
        quantity: the issues told how much was consumed; this tells the lineage."""
        inputs = list(dict.fromkeys(inputs))
        body: dict[str, Any] = {
            **(self.what([(s, x, None) for s, x in inputs], "input") if inputs else {}),
            **self.what([made], "output" if inputs else ""),
            "bizStep": "commissioning",
            "disposition": "active",
            **self._at(location),
            "bizTransactionList": [self._order("prodorder", order.number)],
        }
        goods = [made[:2], *inputs]
        if not inputs:  # made of nothing tracked: commissioned
            return self._told(
                e, "ObjectEvent", {"action": "ADD", **body}, places=[location], goods=goods
            )
        return self._told(e, "TransformationEvent", body, places=[location], goods=goods)

    # stock within the plant
    def _moved(self, e: Stock.Moved) -> Told:
        sku = self._sku(e)
        body = {
            "action": "OBSERVE",
            "bizStep": "storing",
            "disposition": DISPOSITION[e.status],
            **self.what([(sku, e.lot, e.quantity)]),
            **self._at(e.to_location),
            "sourceList": [{"type": "location", "source": self.place(e.from_location)}],
            "destinationList": [{"type": "location", "destination": self.place(e.to_location)}],
        }
        return self._told(
            e, "ObjectEvent", body, places=[e.from_location, e.to_location], goods=[(sku, e.lot)]
        )

    def _status_changed(self, e: Stock.StatusChanged) -> Told:
        sku = self._sku(e)
        body = {
            "action": "OBSERVE",
            "bizStep": "inspecting" if e.to_status is StockStatus.AVAILABLE else "holding",
            "disposition": DISPOSITION[e.to_status],
            **self.what([(sku, e.lot, e.quantity)]),
            **self._at(e.location),
        }
        return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(sku, e.lot)])

    def _inspected(self, e: Inspection.Recorded) -> Told:
        body = {
            "action": "OBSERVE",
            "bizStep": "inspecting",
            "disposition": "conformant" if e.passed else "non_conformant",
            **self.what([(e.sku, e.lot, e.quantity or None)]),
            **self._at(e.location),
        }
        return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(e.sku, e.lot)])

    def _disposed(self, e: Stock.Disposed) -> Told:
        sku = self._sku(e)
        if e.disposition is Disposition.RETURN_TO_SUPPLIER:
            return self._shipped(
                e, (sku, e.lot, e.quantity), e.location, disposition="returned", to=e.target,
                transactions=[],
            )  # fmt: skip
        if e.disposition is Disposition.REWORK:
            return self._consumed(e, e.target, (sku, e.lot, e.quantity), e.location)
        if e.disposition is Disposition.USE_AS_IS:
            body = {
                "action": "OBSERVE",
                "bizStep": "inspecting",
                "disposition": "active",
                **self.what([(sku, e.lot, e.quantity)]),
                **self._at(e.location),
            }
            return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(sku, e.lot)])
        return self._destroyed(e, sku, e.lot, e.quantity, e.location)

    def _scrapped(self, e: Stock.Scrapped) -> Told:
        return self._destroyed(e, self._sku(e), e.lot, e.quantity, e.location)

    def _destroyed(self, e: Any, sku: str, lot: str, quantity: Decimal, location: str) -> Told:
        body = {
            "action": "DELETE",
            "bizStep": "destroying",
            "disposition": "destroyed",
            **self.what([(sku, lot, quantity)]),
            **self._at(location),
        }
        return self._told(e, "ObjectEvent", body, places=[location], goods=[(sku, lot)])

    def _split(self, e: Stock.LotSplit) -> Told:
        sku = self._sku(e)
        body = {
            **self.what([(sku, e.from_lot, e.quantity)], "input"),
            **self.what([(sku, e.to_lot, e.quantity)], "output"),
            "bizStep": "repackaging",
            "disposition": DISPOSITION[e.status],
            **self._at(e.location),
        }
        return self._told(
            e, "TransformationEvent", body, places=[e.location],
            goods=[(sku, e.from_lot), (sku, e.to_lot)],
        )  # fmt: skip

    def _merged(self, e: Stock.LotsMerged) -> Told:
        sku = self._sku(e)
        body = {
            **self.what([(sku, p.lot, p.quantity) for p in e.parts], "input"),
            **self.what([(sku, e.to_lot, e.quantity)], "output"),
            "bizStep": "repackaging",
            "disposition": DISPOSITION[e.status],
            **self._at(e.location),
        }
        goods = [(sku, e.to_lot), *((sku, p.lot) for p in e.parts)]
        return self._told(e, "TransformationEvent", body, places=[e.location], goods=goods)

    def _counted(self, e: Stock.Counted) -> Told:
        sku = self._sku(e)
        body = {
            "action": "OBSERVE",
            "bizStep": "cycle_counting",
            "disposition": DISPOSITION[e.status],
            **self.what([(sku, e.lot, e.counted_quantity)]),
            **self._at(e.location),
        }
        return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(sku, e.lot)])

    def _adjusted(self, e: Stock.Adjusted) -> Told:
        """Found stock is added, lost stock deleted, by the difference."""
        sku = self._sku(e)
        body: dict[str, Any] = {
            "action": "ADD" if e.quantity_delta > 0 else "DELETE",
            "bizStep": "stock_taking",
            **self.what([(sku, e.lot, e.quantity_delta)]),
            **self._at(e.location),
        }
        if e.quantity_delta > 0:
            body["disposition"] = DISPOSITION[e.status]
        return self._told(e, "ObjectEvent", body, places=[e.location], goods=[(sku, e.lot)])


def kind_name(kind: str) -> str:
    """The word a business transaction's URN uses for its CBV type."""
    return {"po": "order", "desadv": "shipment", "prodorder": "work-order"}.get(kind, kind)


_HANDLERS: dict[type, Any] = {
    Item.Registered: EpcisBuilder._item_registered,
    Location.Registered: EpcisBuilder._location_registered,
    Stock.Opened: EpcisBuilder._card_opened,
    PurchaseOrder.Created: EpcisBuilder._purchase_created,
    SalesOrder.Created: EpcisBuilder._sales_created,
    WorkOrder.Created: EpcisBuilder._work_created,
    Stock.Received: EpcisBuilder._received,
    PurchaseOrder.LineReceived: EpcisBuilder._po_received,
    PurchaseOrder.LineReturned: EpcisBuilder._po_returned,
    SalesOrder.Shipped: EpcisBuilder._so_shipped,
    SalesOrder.Returned: EpcisBuilder._so_returned,
    Stock.Issued: EpcisBuilder._issued,
    WorkOrder.MaterialIssued: EpcisBuilder._material_issued,
    WorkOrder.MaterialReturned: EpcisBuilder._material_returned,
    WorkOrder.OutputReceived: EpcisBuilder._output_received,
    Stock.Moved: EpcisBuilder._moved,
    Stock.StatusChanged: EpcisBuilder._status_changed,
    Inspection.Recorded: EpcisBuilder._inspected,
    Stock.Disposed: EpcisBuilder._disposed,
    Stock.Scrapped: EpcisBuilder._scrapped,
    Stock.LotSplit: EpcisBuilder._split,
    Stock.LotsMerged: EpcisBuilder._merged,
    Stock.Counted: EpcisBuilder._counted,
    Stock.Adjusted: EpcisBuilder._adjusted,
}


# What the builder remembers: every other event it reads only tells, so a reader looking
# for one lot may skip those that do not name it without decoding them.
REMEMBERING = (
    Item.Registered,
    Location.Registered,
    Stock.Opened,
    PurchaseOrder.Created,
    SalesOrder.Created,
    WorkOrder.Created,
    WorkOrder.MaterialIssued,
    WorkOrder.MaterialReturned,
)


def telling_only_topics() -> frozenset[str]:
    return frozenset(get_topic(cls) for cls in _HANDLERS if cls not in REMEMBERING)


def told_classes() -> tuple[type, ...]:
    """Every event class the builder reads (master data and orders included)."""
    return tuple(_HANDLERS)


def document(events: Iterable[dict[str, Any]], *, created: datetime) -> dict[str, Any]:
    """An EPCIS 2.0 JSON-LD document holding ``events``."""
    return {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _time(created),
        "epcisBody": {"eventList": list(events)},
    }
