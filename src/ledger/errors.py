"""The ledger's refusals. Each names a stable ``type`` slug and carries the facts a user
needs to act (what was asked, what is there); the command API turns them into RFC 9457
problem details once, at the edge.

``kind`` sorts them for that translation: ``not_found`` (an id that does not exist),
``invalid`` (the input is wrong for this item or location, e.g. too many decimals) and
``refused`` (well-formed, but a rule of the ledger says no) and ``forbidden`` (the
principal holds no grant that permits it there).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

ErrorKind = Literal["not_found", "invalid", "refused", "forbidden"]


class LedgerError(Exception):
    """Base of every refusal the ledger decides."""

    type: ClassVar[str] = "ledger-error"
    title: ClassVar[str] = "The ledger refused the command"
    kind: ClassVar[ErrorKind] = "refused"

    # True when this refusal is the recorded answer to an earlier send of the same command.
    replayed: bool = False

    def __init__(self, detail: str, *, field: str | None = None, **facts: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.facts = {k: _plain(v) for k, v in facts.items()}

    def recorded(self) -> dict[str, object]:
        """The refusal as the command's receipt keeps it (plain JSON)."""
        return {"type": self.type, "detail": self.detail, "field": self.field, "facts": self.facts}

    @staticmethod
    def from_recorded(recorded: dict[str, Any]) -> LedgerError:
        """The same refusal again, from its receipt: same class, problem type and facts."""
        cls = error_classes().get(str(recorded["type"]), LedgerError)
        error = cls(str(recorded["detail"]), field=recorded.get("field"), **recorded["facts"])
        error.replayed = True
        return error


def error_classes() -> dict[str, type[LedgerError]]:
    """Every refusal class by its problem ``type`` (the most general class of a type)."""
    found: dict[str, type[LedgerError]] = {}
    stack: list[type[LedgerError]] = [LedgerError]
    while stack:
        cls = stack.pop()
        found.setdefault(cls.type, cls)
        stack.extend(cls.__subclasses__())
    return found


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --- not found -----------------------------------------------------------------------


class NotFound(LedgerError):
    """An id in the command names nothing the ledger knows."""

    type = "not-found"
    title = "Not found"
    kind = "not_found"


class UnknownItem(NotFound):
    """No item is registered under this SKU."""

    type = "unknown-item"
    title = "Unknown item"


class UnknownLocation(NotFound):
    """No location is registered under this code."""

    type = "unknown-location"
    title = "Unknown location"


class UnknownReservation(NotFound):
    """The stock card holds no open reservation with this id."""

    type = "unknown-reservation"
    title = "Unknown reservation"


class UnknownLot(NotFound):
    """The item has no stock under this lot or serial number."""

    type = "unknown-lot"
    title = "Unknown lot"


# --- invalid for this item or location -----------------------------------------------


class InvalidForItem(LedgerError):
    """The command is well-formed but wrong for this item's master data."""

    type = "invalid-for-item"
    title = "Invalid for this item"
    kind = "invalid"


class PrecisionExceeded(InvalidForItem):
    """A quantity has more decimals than the item's unit of measure allows."""

    type = "precision-exceeded"
    title = "Quantity exceeds the unit of measure's precision"


class OutOfRange(InvalidForItem):
    """A value (quantity times unit cost), or a bucket's balance after the command, would
    leave the range the ledger and its read models hold exactly (``ledger.values``)."""

    type = "out-of-range"
    title = "Figure out of range"


class LotRuleViolated(InvalidForItem):
    """Lot or serial number missing, given where not tracked, or a serial quantity other than 1."""

    type = "lot-rule-violated"
    title = "Lot or serial rule violated"


class EffectiveTimeOutOfWindow(LedgerError):
    """The effective time is further back than the backdating window, or in the future."""

    type = "effective-time-out-of-window"
    title = "Effective time outside the allowed window"
    kind = "invalid"


class InvalidMasterData(LedgerError):
    """Master data that contradicts itself (a bin under a site, a standard item without cost)."""

    type = "invalid-master-data"
    title = "Invalid master data"
    kind = "invalid"


# --- refused by a rule --------------------------------------------------------------


class AlreadyExists(LedgerError):
    """Something with this natural key is already registered."""

    type = "already-exists"
    title = "Already exists"


class InsufficientStock(LedgerError):
    """Not enough available, unreserved stock for the quantity asked."""

    type = "insufficient-stock"
    title = "Not enough available stock"


class StockNotAvailable(LedgerError):
    """The stock is in quarantine, held or rejected: it can be seen and counted, not used."""

    type = "stock-not-available"
    title = "Stock is not available"


class LotExpired(LedgerError):
    """The lot is past its expiry date at the command's effective time."""

    type = "lot-expired"
    title = "Lot expired"


class LocationBlocked(LedgerError):
    """The location, or one of its parents, is blocked for movements."""

    type = "location-blocked"
    title = "Location blocked"


class LocationNotStockable(LedgerError):
    """Stock can only sit in zones or bins of an internal kind."""

    type = "location-not-stockable"
    title = "Location cannot hold stock"


class ReservationMismatch(LedgerError):
    """The reservation is for another location or lot, or for less than asked."""

    type = "reservation-mismatch"
    title = "Reservation does not cover this movement"


class IdempotencyKeyReused(LedgerError):
    """The command id (idempotency key) was already used for a command with another body."""

    type = "idempotency-key-reused"
    title = "Idempotency key reused with a different command"
    kind = "invalid"


class CommandIdTaken(LedgerError):
    """The command id was first sent by another principal: its answer is theirs, not told
    to anyone else (not even whether it was accepted)."""

    type = "command-id-taken"
    title = "Command id taken by another sender"
    kind = "refused"


class ConcurrencyConflict(LedgerError):
    """Other writers kept changing the same stock card; retried and gave up."""

    type = "concurrency-conflict"
    title = "Concurrent update conflict"


class NotPermitted(LedgerError):
    """The principal holds no grant that permits this command at this place (its roles,
    sites and location subtrees). Nothing is saved, not even a receipt: the same command
    may be sent again by someone who may."""

    type = "not-permitted"
    title = "Not permitted"
    kind = "forbidden"
