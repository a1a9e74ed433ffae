"""Stock commands: receipts, issues, moves, adjustments, counts, reservations, statuses."""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from typing import Annotated, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    model_validator,
)

from ledger.commands import (
    CODE_PATTERN,
    AsCode,
    AsReference,
    Code,
    Command,
    LotNumber,
    Money,
    NonNegativeQuantity,
    Party,
    Quantity,
    Reference,
    SignedQuantity,
    SupplierLot,
    Text,
)
from ledger.identity.signatures import SecretCheck
from ledger.values import (
    IssueTarget,
    SignatureMeaning,
    StockStatus,
)


class ReceiveStock(Command):
    command_name = "ReceiveStock"

    sku: Code
    location: Code
    quantity: Quantity
    unit_cost: Money
    lot: LotNumber | None = None
    supplier_lot: SupplierLot | None = None
    expiry: date | None = None
    supplier: Party | None = None
    reference: Reference = ""


class IssueStock(Command):
    command_name = "IssueStock"

    sku: Code
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    target_kind: IssueTarget
    target: Annotated[str, Field(min_length=1, max_length=128, examples=["WO-1001"]), AsReference]
    reservation_id: Reference | None = None
    reference: Reference = ""


class MoveStock(Command):
    command_name = "MoveStock"

    sku: Code
    from_location: Code
    to_location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    status: StockStatus = StockStatus.AVAILABLE
    reference: Reference = ""


class ScrapStock(Command):
    """Write available stock off as scrap in one step (damaged, broken, lost in handling):
    the same rules as an issue, at the cost the item's method gives (FIFO layers, moving
    average or standard). Held, quarantined or rejected stock goes through a disposition."""

    command_name = "ScrapStock"

    sku: Code
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    reason_code: Annotated[
        str, Field(pattern=CODE_PATTERN, max_length=32, examples=["DAMAGED"]), AsCode
    ] = Field(description="Why, as a code the plant's reports group by (not free text)")
    note: Text = ""
    reference: Reference = ""


class CountStock(Command):
    command_name = "CountStock"

    sku: Code
    location: Code
    counted_quantity: NonNegativeQuantity
    lot: LotNumber | None = None
    status: StockStatus = StockStatus.AVAILABLE
    count_reference: Reference = ""


class ReserveStock(Command):
    command_name = "ReserveStock"

    sku: Code
    quantity: Quantity
    location: Code | None = Field(default=None, description="Pin to a location (and lot)")
    lot: LotNumber | None = None
    reference: Reference = ""
    reservation_id: Reference | None = Field(
        default=None, description="Default: derived from the command id"
    )


class ReleaseReservation(Command):
    command_name = "ReleaseReservation"

    sku: Code
    reservation_id: Reference
    quantity: Quantity | None = Field(default=None, description="Default: all that is left")
    reason: Text = ""


class SignatureInput(BaseModel):
    """An electronic signature (21 CFR Part 11): what it means, why, and the signer's
    password re-entered now (or a 6-digit TOTP code). The signer is always the
    authenticated person, never a field (a ``signer`` is refused: ``extra="forbid"``);
    the ledger stamps the time. The password is a ``SecretStr``: a fingerprint, a
    receipt or a log line sees ``**********``, and nothing stores it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meaning: SignatureMeaning
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    password: Annotated[
        SecretStr,
        Field(
            min_length=1,
            max_length=256,
            description="The signer's password, re-entered now, or a 6-digit TOTP code",
        ),
    ]


class Signed(Command):
    """A command that may carry a signature. Its password or code is checked where the
    request is received (`Ledger` runs `ledger.identity.signatures.check_secret` in the
    caller's thread, off the event loop), and only the verdict (a ``SecretCheck``, which
    holds no secret) reaches the writer, in a private attribute no body can set."""

    signs: ClassVar[bool] = True
    _secret_check: SecretCheck | None = PrivateAttr(default=None)

    @abstractmethod
    def given_signature(self) -> SignatureInput | None:
        """The signature the command carries (each declares its field where it reads
        best, required or not)."""

    def with_check(self, check: SecretCheck) -> Self:
        twin = self.model_copy()
        twin._secret_check = check
        return twin

    @property
    def secret_check(self) -> SecretCheck | None:
        """The ``SecretCheck`` made for this command's signature (None before)."""
        return self._secret_check


class ChangeStockStatus(Signed):
    """Move stock between statuses. To ``available`` it needs a signature (and, out of
    quarantine, a passed inspection of an inspection-required item)."""

    command_name = "ChangeStockStatus"

    sku: Code
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    from_status: StockStatus
    to_status: StockStatus
    reason: Text
    signature: SignatureInput | None = None

    def given_signature(self) -> SignatureInput | None:
        return self.signature


class AdjustStock(Signed):
    """Correct a recorded balance up or down, with a reason code: the ledger's correction,
    signed by the person who makes it (a count is recorded with `CountStock`, unsigned)."""

    command_name = "AdjustStock"

    sku: Code
    location: Code
    quantity_delta: SignedQuantity
    lot: LotNumber | None = None
    status: StockStatus = StockStatus.AVAILABLE
    unit_cost: Money | None = Field(
        default=None, description="Cost of a found quantity (default: the item's current cost)"
    )
    reason_code: Annotated[str, Field(min_length=1, max_length=32, examples=["DAMAGED"])]
    note: Text = ""
    signature: SignatureInput | None = Field(default=None, description="Required")

    def given_signature(self) -> SignatureInput | None:
        return self.signature

    @model_validator(mode="after")
    def _not_zero(self) -> AdjustStock:
        if self.quantity_delta == 0:
            msg = "quantity_delta must not be zero"
            raise ValueError(msg)
        return self
