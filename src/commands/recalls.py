"""`POST /v1/recalls/hold`: recall containment in one step.

The lots a recall reaches are found on the read side (the genealogy: every lot made from a
supplier lot, or from a lot, at any depth, that still has stock on hand); the ledger then
holds all of them in ONE atomic command (`HoldLots`, one hold per lot, `HOLD_ID-1`,
`HOLD_ID-2`... in item and lot order), so each cleared lot can later be released on its
own with a signature. The write side never reads a read model to decide: the composition
root puts the finder on ``app.state.affected_lots``, and it only proposes the list that
the command names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Protocol

from pydantic import BaseModel, Field, model_validator
from starlette.datastructures import State

from commands.api import CREATED, Accepted
from commands.lane import CommandRoute
from commands.problems import problem_responses
from ledger.commands import CODE_PATTERN, AsCode, Code, Command, LotNumber, SupplierLot
from ledger.errors import UnknownLot
from ledger.quality.commands import HoldLots, LotInput
from ledger.stock.commands import SignatureInput


class AffectedLots(Protocol):
    """(item, lot) of every lot on hand that the recall reaches, in item and lot order;
    it sees every command answered before it is called."""

    async def __call__(
        self, *, supplier_lot: str | None, item: str | None, lot: str | None
    ) -> list[tuple[str, str]]: ...


class RecallHold(BaseModel):
    hold_id: Annotated[str, Field(pattern=CODE_PATTERN, examples=["RECALL-2026-7"]), AsCode]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    supplier_lot: SupplierLot | None = None
    item: Code | None = None
    lot: LotNumber | None = None
    signature: SignatureInput | None = Field(
        default=None, description="Required: the recall hold is a signed quality decision"
    )

    @model_validator(mode="after")
    def _one_start(self) -> RecallHold:
        if (self.supplier_lot is None) == (self.item is None or self.lot is None):
            msg = "name either the supplier_lot, or the item and its lot"
            raise ValueError(msg)
        return self


class RecallLotHeld(BaseModel):
    hold_id: str
    item: str
    lot: str


class RecallHeld(Accepted):
    holds: list[RecallLotHeld]


async def hold_recalled_lots(
    body: RecallHold, state: State
) -> tuple[Command, Mapping[str, object]]:
    finder: AffectedLots = state.affected_lots
    lots = await finder(supplier_lot=body.supplier_lot, item=body.item, lot=body.lot)
    if not lots:
        start = body.supplier_lot or f"{body.item} lot {body.lot}"
        raise UnknownLot(
            f"nothing on hand comes from {start}",
            field="supplier_lot" if body.supplier_lot else "lot",
        )
    command = HoldLots(
        hold_id=body.hold_id,
        reason=body.reason,
        lots=[LotInput(sku=sku, lot=lot) for sku, lot in lots],
        signature=body.signature,
    )
    holds = [
        {"hold_id": f"{body.hold_id}-{n}", "item": sku, "lot": lot}
        for n, (sku, lot) in enumerate(lots, start=1)
    ]
    return command, {"holds": holds}


RECALL_HOLD = CommandRoute(
    "/recalls/hold",
    RecallHold,
    "quality",
    name="hold_recalled_lots",
    description="Hold every lot on hand that the recall of a supplier lot (or a lot) reaches.",
    answers={CREATED: {"model": RecallHeld}, **problem_responses(404, 409, 413, 415, 422, 503)},
    decide=hold_recalled_lots,
)
