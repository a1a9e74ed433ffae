"""Commands: what the shop floor asks the ledger to do, named in the imperative.

They are pydantic models so that malformed input is refused field by field before the
ledger decides anything, and so that their JSON Schemas (``schemas/commands/``) and the
OpenAPI document come from the same definitions. Every command may carry the client's
``command_id`` (the idempotency key) and an ``effective_at`` business time.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from ledger.codes import CodeRefused, normalise_code, normalise_reference
from ledger.values import (
    QUANTITY,
    UNIT_COST,
)

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,63}$"
SUPPLIER_LOT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,127}$"


def _refused(e: CodeRefused) -> PydanticCustomError:
    return PydanticCustomError(
        "code_character",
        "{reason}",
        {"reason": str(e), "character": e.character, "code_point": e.code_point},
    )


def _code(value: object) -> object:
    """Codes follow one rule (``ledger.codes``): NFKC, trimmed, ASCII, upper case."""
    if not isinstance(value, str):
        return value
    try:
        return normalise_code(value)
    except CodeRefused as e:
        raise _refused(e) from None


def _reference(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return normalise_reference(value)
    except CodeRefused as e:
        raise _refused(e) from None


# A decimal sent as text is written plainly: digits, one point, an optional minus sign.
# No spaces around it (" 5 "), no exponent ("1e3"), no "+", "NaN", "Infinity" or "1_000":
# what a scanner or a spreadsheet means by a quantity, and what the OpenAPI document says.
DECIMAL_TEXT = r"^-?[0-9]+(\.[0-9]+)?$"
_DECIMAL_TEXT = re.compile(DECIMAL_TEXT)


def _figure(value: object) -> object:
    """A decimal is written as one: " 5 " is refused, as a code with spaces would be, and
    ``true`` is no number (pydantic's lax mode reads it as 1)."""
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "a number, not true or false", {"value": value})
    if isinstance(value, str) and value != value.strip():
        raise PydanticCustomError(
            "decimal_whitespace", "a number is written without spaces around it", {"text": value}
        )
    if isinstance(value, str) and not _DECIMAL_TEXT.match(value):
        raise PydanticCustomError(
            "decimal_text",
            "a decimal is written as digits with an optional point and minus sign, like -12.5",
            {"text": value},
        )
    return value


class _Figure:
    """``_figure`` before the field's own validation, and ``DECIMAL_TEXT`` on the string
    form of a decimal in the JSON Schema (pydantic declares it as any string)."""

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(_figure, handler(source))

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if schema.get("type") in ("number", "integer"):  # a float or an int also takes text
            schema = {"anyOf": [schema, {"type": "string"}]}
        for form in schema.get("anyOf", [schema]):
            if form.get("type") == "string":
                form["pattern"] = DECIMAL_TEXT
        return schema


# The validator comes after the constraints so the JSON Schema keeps them; it runs first.
AsCode = BeforeValidator(_code)
AsReference = BeforeValidator(_reference)
AsFigure = _Figure()
Code = Annotated[str, Field(pattern=CODE_PATTERN, examples=["RM-STEEL-01"]), AsCode]
# Quantities and unit costs take their range from ledger.values (12 integer digits each,
# 6 and 10 decimals), which every read-model column holding them is sized from.
_QD, _QP = QUANTITY.digits, QUANTITY.decimals
_CD, _CP = UNIT_COST.digits, UNIT_COST.decimals
_QTY_RANGE = f"A decimal of at most {QUANTITY.integer_digits} integer digits and {_QP} decimals."
_COST_RANGE = f"A decimal of at most {UNIT_COST.integer_digits} integer digits and {_CP} decimals."
Quantity = Annotated[
    Decimal,
    Field(gt=0, max_digits=_QD, decimal_places=_QP, examples=["100"], description=_QTY_RANGE),
    AsFigure,
]
SignedQuantity = Annotated[
    Decimal,
    Field(max_digits=_QD, decimal_places=_QP, examples=["-2"], description=_QTY_RANGE),
    AsFigure,
]
NonNegativeQuantity = Annotated[
    Decimal, Field(ge=0, max_digits=_QD, decimal_places=_QP, description=_QTY_RANGE), AsFigure
]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=_CD, decimal_places=_CP, examples=["12.50"], description=_COST_RANGE),
    AsFigure,
]
Text = Annotated[str, Field(max_length=500)]
Reference = Annotated[str, Field(max_length=128, examples=["PO-1001"]), AsReference]
LotNumber = Annotated[str, Field(pattern=CODE_PATTERN, examples=["L-2026-001"]), AsCode]
SupplierLot = Annotated[str, Field(pattern=SUPPLIER_LOT_PATTERN, examples=["H-2026-118"]), AsCode]
Party = Annotated[str, Field(min_length=1, max_length=64, examples=["ACME"]), AsReference]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Idempotency key: a retried command with the same id posts once.",
    )
    effective_at: AwareDatetime | None = Field(
        default=None,
        description="Business time of the transaction (default: now); may be backdated"
        " within the configured window.",
    )

    command_name: ClassVar[str]
    # True for a command with work to do before the writer decides it (`prepared`).
    prepares: ClassVar[bool] = False
    # True for a command that may carry an electronic signature (`ledger.stock.commands.Signed`).
    signs: ClassVar[bool] = False

    def prepared(self) -> Self:
        """The command ready for the writer. What must never run in the writer's thread
        runs here, in the caller's (hashing a password with argon2 takes 0.1-0.4 s, which
        would stall every command of the batch); `Ledger` calls it before queueing."""
        return self

    def fingerprint(self) -> str:
        body = self.model_dump_json(exclude={"command_id"})
        return hashlib.sha256(f"{self.command_name}:{body}".encode()).hexdigest()


Hours = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4), AsFigure]
Fraction = Annotated[Decimal, Field(ge=0, le=10, max_digits=8, decimal_places=6), AsFigure]
Version = Annotated[str, Field(min_length=1, max_length=32, examples=["A"])]
OrderNumber = Annotated[str, Field(pattern=CODE_PATTERN, examples=["WO-1001"]), AsCode]
