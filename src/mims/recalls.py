"""`POST /v1/recalls/hold`: recall containment in one step.

The genealogy read model finds every lot made from a supplier lot (or from a lot), at any
depth, that still has stock on hand; the ledger then holds all of them in ONE atomic
command (`HoldLots`, one hold per lot, `HOLD_ID-1`, `HOLD_ID-2`... in item and lot
order), so each cleared lot can later be released on its own with a signature. It lives
in the composition root because it joins both sides: the write side never reads a read
model to decide, and here the read model only proposes the list that the command names.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, model_validator

from commands.api import (
    CREATED,
    Accepted,
    SenderDep,
    accepted_body,
    accepted_headers,
    submit,
)
from commands.problems import problem_responses
from ledger import commands as c
from ledger.errors import UnknownLot
from projections.quality_trace import affected_lots

router = APIRouter(prefix="/v1", tags=["quality"])


class RecallHold(BaseModel):
    hold_id: Annotated[str, Field(pattern=c.CODE_PATTERN, examples=["RECALL-2026-7"]), c.AsCode]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    supplier_lot: c.SupplierLot | None = None
    item: c.Code | None = None
    lot: c.LotNumber | None = None

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


@router.post(
    "/recalls/hold",
    status_code=CREATED,
    responses={CREATED: {"model": RecallHeld}, **problem_responses(404, 409, 422, 503)},
)
async def hold_recalled_lots(body: RecallHold, request: Request, sender: SenderDep) -> Response:
    """Hold every lot on hand that the recall of a supplier lot (or a lot) reaches."""
    state = request.app.state
    # Lots made by commands answered before this request must be found.
    await asyncio.to_thread(state.runner.wait_for, state.ledger.max_position(), 30)

    def find() -> list[tuple[str, str]]:
        with state.read_models.reader() as con:
            return affected_lots(
                con,
                supplier_lot=body.supplier_lot,
                item=body.item,
                lot=body.lot,
                graph=state.read_models.lot_graph,
            )

    lots = await asyncio.to_thread(find)
    if not lots:
        start = body.supplier_lot or f"{body.item} lot {body.lot}"
        raise UnknownLot(
            f"nothing on hand comes from {start}",
            field="supplier_lot" if body.supplier_lot else "lot",
        )
    command = c.HoldLots(
        hold_id=body.hold_id,
        reason=body.reason,
        lots=[c.LotInput(sku=sku, lot=lot) for sku, lot in lots],
    )
    outcome = await submit(command, state.ledger, sender)
    answer = accepted_body(outcome)
    answer["holds"] = [
        {"hold_id": f"{body.hold_id}-{n}", "item": sku, "lot": lot}
        for n, (sku, lot) in enumerate(lots, start=1)
    ]
    return Response(
        orjson.dumps(answer),
        status_code=CREATED,
        media_type="application/json",
        headers=accepted_headers(outcome),
    )
