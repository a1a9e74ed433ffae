"""What each kind of sheet holds: its columns, the ledger command one row becomes (the
same pydantic model the API takes, so a sheet meets the API's rules), the columns that
must be unique across the file, and the checks against what the ledger already holds.

An opening balance is a ``ReceiveStock`` with the reference ``OPENING-BALANCE``: it puts
the lot, its expiry and a cost layer at the unit cost on the stock card exactly as a
receipt does, and every read model already knows a receipt. A new event kind would
have to be taught to each projection, the valuation and EPCIS for the same facts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.commands import Command
from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.stock.commands import ReceiveStock
from ledger.values import Tracking, fits_precision
from ledger.writer import Ledger

OPENING_BALANCE = "OPENING-BALANCE"
PLANNING_COLUMNS = (
    "lead_time_days",
    "lot_size_rule",
    "lot_size_quantity",
    "minimum_lot",
    "safety_stock",
    "reorder_point",
)


@dataclass(frozen=True)
class Problem:
    """One bad cell (or row, or header) of a sheet. ``row`` is the sheet's row number:
    the header is row 1."""

    row: int
    column: str | None
    value: str | None
    type: str
    message: str

    def as_json(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "type": self.type,
            "message": self.message,
        }


Row = Mapping[str, str | None]
Checker = Callable[["Facts", int, Any], list[Problem]]


@dataclass(frozen=True)
class Kind:
    name: str
    command: type[Command]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    unique: tuple[str, ...] = ()
    defaults: Mapping[str, str] = field(default_factory=dict)
    nested: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    check: Checker | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    def fields(self, row: Row) -> dict[str, object]:
        """The command's fields from a row: an empty cell takes the command's default."""
        body: dict[str, object] = {**self.defaults}
        nested: dict[str, dict[str, str]] = {}
        for column, value in row.items():
            if value is None:
                continue
            group = next((g for g, cols in self.nested.items() if column in cols), None)
            if group is None:
                body[column] = value
            else:
                nested.setdefault(group, {})[column] = value
        return {**body, **nested}

    def column_of(self, loc: tuple[int | str, ...]) -> str | None:
        """The sheet column a validation error's location names."""
        if not loc:
            return None
        head = str(loc[0])
        if head in self.nested and len(loc) > 1:
            return str(loc[1])
        return head


class Facts:
    """What the ledger holds, looked up once per key: items, locations (with whether they
    or a parent are blocked), and what the file registers before a row needs it."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._items: dict[str, Item | None] = {}
        self._locations: dict[str, Location | None] = {}
        self.today: date = ledger.today()
        self.in_file: set[str] = set()

    def item(self, sku: str) -> Item | None:
        if sku not in self._items:
            self._items[sku] = self.ledger.item(sku)
        return self._items[sku]

    def location(self, code: str) -> Location | None:
        if code not in self._locations:
            self._locations[code] = self.ledger.location(code)
        return self._locations[code]

    def blocked_by(self, location: Location) -> str | None:
        walk: Location | None = location
        while walk is not None:
            if walk.blocked:
                return walk.code
            walk = self.location(walk.parent) if walk.parent else None
        return None


def _check_item(facts: Facts, row: int, cmd: RegisterItem) -> list[Problem]:
    if facts.item(cmd.sku) is not None:
        return [Problem(row, "sku", cmd.sku, "already-exists", f"item {cmd.sku} is registered")]
    return []


def _check_location(facts: Facts, row: int, cmd: RegisterLocation) -> list[Problem]:
    problems = []
    if facts.location(cmd.code) is not None:
        problems.append(
            Problem(row, "code", cmd.code, "already-exists", f"location {cmd.code} is registered")
        )
    if cmd.parent and cmd.parent not in facts.in_file and facts.location(cmd.parent) is None:
        problems.append(
            Problem(
                row,
                "parent",
                cmd.parent,
                "not-found",
                f"parent {cmd.parent} is neither registered nor in the file",
            )
        )
    return problems


def _check_receipt(facts: Facts, row: int, cmd: ReceiveStock) -> list[Problem]:
    """The stock card's own rules on a receipt (``Stock.receive``), checked before anything
    is posted so that a bad row stops the file; the ledger still decides each row."""
    problems = []
    item = facts.item(cmd.sku)
    if item is None:
        problems.append(Problem(row, "sku", cmd.sku, "not-found", f"no item {cmd.sku}"))
    else:
        if not fits_precision(cmd.quantity, item.precision):
            problems.append(
                Problem(
                    row,
                    "quantity",
                    str(cmd.quantity),
                    "precision-exceeded",
                    f"{cmd.quantity} {item.unit_of_measure} has more than {item.precision}"
                    " decimals",
                )
            )
        if item.tracking is Tracking.NONE and cmd.lot:
            problems.append(
                Problem(
                    row, "lot", cmd.lot, "lot-rule", f"{item.sku} is not lot-tracked: give no lot"
                )
            )
        elif item.tracking is not Tracking.NONE and not cmd.lot:
            problems.append(
                Problem(
                    row,
                    "lot",
                    None,
                    "lot-rule",
                    f"{item.sku} is {item.tracking}-tracked: a {item.tracking} number is required",
                )
            )
        elif item.tracking is Tracking.SERIAL and cmd.quantity != 1:
            problems.append(
                Problem(
                    row,
                    "quantity",
                    str(cmd.quantity),
                    "lot-rule",
                    f"serial {cmd.lot}: a serial number stands for exactly one unit",
                )
            )
    location = facts.location(cmd.location)
    if location is None:
        problems.append(
            Problem(row, "location", cmd.location, "not-found", f"no location {cmd.location}")
        )
    elif not location.holds_stock:
        problems.append(
            Problem(
                row,
                "location",
                cmd.location,
                "location-not-stockable",
                f"{cmd.location} is a {location.level} {location.kind} location that cannot"
                " hold stock",
            )
        )
    elif (blocked := facts.blocked_by(location)) is not None:
        problems.append(
            Problem(row, "location", cmd.location, "location-blocked", f"{blocked} is blocked")
        )
    if cmd.expiry is not None and cmd.expiry < facts.today:
        problems.append(
            Problem(
                row,
                "expiry",
                cmd.expiry.isoformat(),
                "lot-expired",
                f"lot {cmd.lot} expired on {cmd.expiry.isoformat()}",
            )
        )
    return problems


_RECEIPT_OPTIONAL = ("lot", "supplier_lot", "expiry", "supplier", "reference")

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name="items",
            command=RegisterItem,
            required=("sku", "description", "kind", "unit_of_measure"),
            optional=(
                "precision",
                "tracking",
                "costing_method",
                "standard_cost",
                "shelf_life_days",
                "inspection_required",
                "gtin",
                *PLANNING_COLUMNS,
            ),
            unique=("sku",),
            nested={"planning": PLANNING_COLUMNS},
            check=_check_item,
        ),
        Kind(
            name="locations",
            command=RegisterLocation,
            required=("code", "level"),
            optional=("name", "kind", "parent", "gln"),
            unique=("code",),
            check=_check_location,
        ),
        Kind(
            name="opening_balances",
            command=ReceiveStock,
            required=("sku", "location", "quantity", "unit_cost"),
            optional=_RECEIPT_OPTIONAL,
            unique=("sku", "location", "lot"),
            defaults={"reference": OPENING_BALANCE},
            check=_check_receipt,
        ),
        Kind(
            name="receipts",
            command=ReceiveStock,
            required=("sku", "location", "quantity", "unit_cost"),
            optional=_RECEIPT_OPTIONAL,
            check=_check_receipt,
        ),
    )
}
