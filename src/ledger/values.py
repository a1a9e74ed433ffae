"""Value types of the plant's language: kinds, statuses, quantities and event metadata.

Sign convention (documented once, used everywhere): a field named ``quantity`` or ``value``
in an event is a positive magnitude and the event type says the direction (Received adds,
Issued removes). Fields that can go either way say so in their name: ``quantity_delta``,
``value_delta``, ``variance``; positive means more stock.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from uuid import UUID


@dataclass(frozen=True)
class Range:
    """How many integer digits and decimals one kind of figure may have, from the command
    that brings it in to every read-model column that holds it (``column``)."""

    name: str
    integer_digits: int
    decimals: int

    @property
    def digits(self) -> int:
        return self.integer_digits + self.decimals

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.decimals)

    @property
    def largest(self) -> Decimal:
        return Decimal(10) ** self.integer_digits - self.quantum

    @property
    def column(self) -> str:
        """DuckDB's widest decimal at this scale: sums of many figures of the range keep
        38 - digits spare integer digits."""
        return f"DECIMAL(38,{self.decimals})"

    def holds(self, figure: Decimal) -> bool:
        return (
            figure.is_finite()
            and abs(figure) <= self.largest
            and figure == figure.quantize(self.quantum, context=LEDGER_CONTEXT)
        )


# The one range of each kind of figure. A value is a quantity times a unit cost, so its
# decimals are theirs added (6 + 10); its integer digits are bounded on their own, and a
# command whose value (or whose bucket's balance) would leave the range is refused.
QUANTITY = Range("quantity", integer_digits=12, decimals=6)
UNIT_COST = Range("unit cost", integer_digits=12, decimals=10)
VALUE = Range("value", integer_digits=18, decimals=16)

# Enough digits that no product or sum of figures in range is ever rounded (a quantity
# times a unit cost has up to 24 + 16 digits; Python's default context keeps 28). Set
# as the default of every thread started from now on, and of this one.
LEDGER_PRECISION = 80
LEDGER_CONTEXT = decimal.Context(prec=LEDGER_PRECISION, rounding=ROUND_HALF_EVEN)
decimal.DefaultContext.prec = max(decimal.DefaultContext.prec, LEDGER_PRECISION)
decimal.getcontext().prec = max(decimal.getcontext().prec, LEDGER_PRECISION)


def ledger_precision() -> None:
    """Give the calling thread the ledger's precision (a thread that touched decimals
    before the ledger was imported keeps Python's 28 digits otherwise)."""
    context = decimal.getcontext()
    context.prec = max(context.prec, LEDGER_PRECISION)


# Money is kept exact wherever the arithmetic allows (FIFO and standard cost multiply
# decimals exactly); a moving average divides, so its issue values are rounded to this.
VALUE_QUANTUM = Decimal("0.000001")
ZERO = Decimal(0)


class ItemKind(StrEnum):
    RAW_MATERIAL = "raw_material"
    COMPONENT = "component"
    SUBASSEMBLY = "subassembly"
    FINISHED_GOOD = "finished_good"
    PACKAGING = "packaging"
    CONSUMABLE = "consumable"


class Tracking(StrEnum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


class CostingMethod(StrEnum):
    FIFO = "fifo"
    MOVING_AVERAGE = "moving_average"
    STANDARD = "standard"


class LotSizeRule(StrEnum):
    LOT_FOR_LOT = "lot_for_lot"
    FIXED_ORDER_QUANTITY = "fixed_order_quantity"
    MULTIPLE = "multiple"
    MINIMUM = "minimum"
    PERIOD_ORDER_QUANTITY = "period_order_quantity"
    EOQ = "eoq"
    SILVER_MEAL = "silver_meal"
    LEAST_UNIT_COST = "least_unit_cost"
    PART_PERIOD_BALANCING = "part_period_balancing"
    WAGNER_WHITIN = "wagner_whitin"


class LocationLevel(StrEnum):
    SITE = "site"
    WAREHOUSE = "warehouse"
    ZONE = "zone"
    BIN = "bin"


PARENT_LEVEL: dict[LocationLevel, LocationLevel | None] = {
    LocationLevel.SITE: None,
    LocationLevel.WAREHOUSE: LocationLevel.SITE,
    LocationLevel.ZONE: LocationLevel.WAREHOUSE,
    LocationLevel.BIN: LocationLevel.ZONE,
}


class LocationKind(StrEnum):
    STORAGE = "storage"
    RECEIVING = "receiving"
    QUARANTINE = "quarantine"
    WIP = "wip"
    SCRAP = "scrap"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    TRANSIT = "transit"


# Kinds that hold physical stock on the plant's books; suppliers, customers and transit
# are the other ends of receipts and shipments.
STOCKABLE_KINDS = frozenset(
    {
        LocationKind.STORAGE,
        LocationKind.RECEIVING,
        LocationKind.QUARANTINE,
        LocationKind.WIP,
        LocationKind.SCRAP,
    }
)
# Stock that is not available may still be moved here: segregating it is the point.
SEGREGATION_KINDS = frozenset({LocationKind.QUARANTINE, LocationKind.SCRAP})


class StockStatus(StrEnum):
    AVAILABLE = "available"
    QUARANTINE = "quarantine"
    HELD = "held"
    REJECTED = "rejected"


class Disposition(StrEnum):
    """What becomes of rejected (or held, or quarantined) stock."""

    SCRAP = "scrap"
    RETURN_TO_SUPPLIER = "return_to_supplier"
    REWORK = "rework"  # issued to a rework work order, which outputs it again
    USE_AS_IS = "use_as_is"  # released to available under a deviation


class SignatureMeaning(StrEnum):
    """What a signature means (21 CFR 11.50(a)(3)): shown with it wherever it is shown."""

    REVIEWED = "reviewed"
    APPROVED = "approved"
    RESPONSIBLE = "responsible"
    RELEASED = "released"
    REJECTED = "rejected"
    AUTHORED = "authored"
    VERIFIED = "verified"


class SignedDecisionKind(StrEnum):
    """What a signed quality decision decided (the ``signatures`` read model's kinds)."""

    RELEASE = "release"  # a hold's release
    STATUS_CHANGE = "status_change"  # stock made available
    DISPOSITION = "disposition"  # scrap, return to supplier, rework, use as is
    RECALL_HOLD = "recall_hold"  # lots held for a recall
    ADJUSTMENT = "adjustment"  # a recorded balance corrected


@dataclass(frozen=True, kw_only=True)
class Signature:
    """An electronic signature as 21 CFR Part 11 asks (§11.50): who signed (user id and
    printed name), what the signature means, why, and when (UTC, with the signer's time
    zone to show it as they saw it); kept in the event it authorises, and bound to the
    record it signs by ``record_hash`` (§11.70, ``ledger.identity.signatures.verify``).

    Events stored before signatures were checked against a password hold only the
    first four fields: they load with an empty printed name and ``record_hash``, and
    ``mims audit signatures`` counts them as unbound, not as verified."""

    signer: str
    meaning: SignatureMeaning
    reason: str
    signed_at: datetime
    printed_name: str = ""
    time_zone: str = "UTC"
    record_hash: str = ""


class IssueTarget(StrEnum):
    WORK_ORDER = "work_order"
    COST_CENTER = "cost_center"
    CUSTOMER = "customer"
    SUPPLIER = "supplier"  # a return to the supplier


@dataclass(frozen=True, kw_only=True)
class Meta:
    """Who asked for a change, why, and for which business instant (bitemporal ledger).

    ``session``, ``device`` and ``on_behalf_of`` come from the authenticated principal,
    never from the request: the login session's id (not its token, which is a secret),
    the API key that sent the command, and the person that key acts for. None for what a
    trusted caller (the CLI, a job) or an older version of MIMS recorded."""

    actor: str
    command_id: str
    correlation_id: str
    site: str
    effective_at: datetime
    session: str | None = None
    device: str | None = None
    on_behalf_of: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlanningParameters:
    lead_time_days: int = 0
    lot_size_rule: LotSizeRule = LotSizeRule.LOT_FOR_LOT
    lot_size_quantity: Decimal = ZERO
    minimum_lot: Decimal = ZERO
    safety_stock: Decimal = ZERO
    reorder_point: Decimal = ZERO


_QUANTA = tuple(Decimal(1).scaleb(-p) for p in range(13))


def quantum(precision: int) -> Decimal:
    return _QUANTA[precision]


def fits_precision(quantity: Decimal, precision: int) -> bool:
    return quantity == quantity.quantize(quantum(precision))


def round_value(value: Decimal) -> Decimal:
    return value.quantize(VALUE_QUANTUM, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, kw_only=True)
class EventRef:
    """Names one stored event: its stable id, its stream and version, and its type."""

    id: UUID
    stream: UUID
    version: int
    type: str
