"""Purchase and sales orders on the ledger, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ledger import errors
from ledger.orders.aggregates import OrderState, OverReceipt
from ledger.orders.commands import (
    AllocateSalesOrder,
    ClosePurchaseOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    CreateSalesOrder,
    OrderLineInput,
    PickSalesOrder,
    ReceiptLineInput,
    ReceivePurchaseOrder,
    ReturnSalesOrder,
    ReturnToSupplier,
    ShipmentLineInput,
    ShipSalesOrder,
)
from ledger.stock.commands import ChangeStockStatus
from ledger.values import StockStatus
from tests.support.plant import Plant

D = Decimal
TODAY = datetime.now(UTC).date()
SINCE = TODAY - timedelta(days=30)


def test_purchase_orders_receive_within_tolerance_return_and_close(shop: Plant) -> None:
    run = shop.ledger.execute
    shop.item("RESIN", inspection_required=True)
    run(
        CreatePurchaseOrder(
            number="PO-1", supplier="ACME", over_receipt_tolerance=D("0.1"),
            lines=[
                OrderLineInput(line=1, sku="STEEL", quantity=D(50), due_date=TODAY, unit_price=D("2.5")),
                OrderLineInput(line=2, sku="RESIN", quantity=D(10), due_date=TODAY, unit_price=D(8)),
            ],
        )
    )  # fmt: skip
    with pytest.raises(OrderState):
        run(
            ReceivePurchaseOrder(
                number="PO-1", location="RECV", lines=[ReceiptLineInput(line=1, quantity=D(1))]
            )
        )
    run(ConfirmPurchaseOrder(number="PO-1"))
    run(
        ReceivePurchaseOrder(
            number="PO-1", location="RECV",
            lines=[ReceiptLineInput(line=1, quantity=D(30)), ReceiptLineInput(line=2, quantity=D(10))],
        )
    )  # fmt: skip
    assert shop.card("RESIN").balances == {("RECV", "", StockStatus.QUARANTINE): D(10)}
    with pytest.raises(OverReceipt):
        run(
            ReceivePurchaseOrder(
                number="PO-1", location="RECV", lines=[ReceiptLineInput(line=1, quantity=D(26))]
            )
        )
    run(
        ReceivePurchaseOrder(
            number="PO-1", location="RECV", lines=[ReceiptLineInput(line=1, quantity=D(25))]
        )
    )
    with pytest.raises(errors.LedgerError):
        run(
            ReceivePurchaseOrder(
                number="PO-1", location="RECV", lines=[ReceiptLineInput(line=9, quantity=D(1))]
            )
        )
    run(ReturnToSupplier(number="PO-1", line=2, location="RECV", quantity=D(4), reason="damaged"))
    assert shop.card("RESIN").on_hand == 6
    run(ClosePurchaseOrder(number="PO-1"))
    position = shop.ledger.max_position()
    with pytest.raises(OrderState):
        run(
            ReceivePurchaseOrder(
                number="PO-1", location="RECV", lines=[ReceiptLineInput(line=1, quantity=D(1))]
            )
        )
    assert shop.ledger.max_position() == position


def test_sales_orders_allocate_first_to_expire_ship_and_take_returns_into_quarantine(
    shop: Plant,
) -> None:
    run = shop.ledger.execute
    shop.item("JAM", tracking="lot", unit_of_measure="ea", precision=0)
    shop.receive("JAM", "5", "1", lot="J-LATE", expiry=TODAY + timedelta(days=200))
    shop.receive("JAM", "5", "2", lot="J-SOON", expiry=TODAY + timedelta(days=20), location="B")
    run(
        CreateSalesOrder(
            number="SO-1", customer="SHOP-9",
            lines=[OrderLineInput(line=1, sku="JAM", quantity=D(8), due_date=TODAY)],
        )
    )  # fmt: skip
    allocated = run(AllocateSalesOrder(number="SO-1"))
    assert allocated.data["allocated"] == "8"
    card = shop.card("JAM")
    assert card.pinned == {("B", "J-SOON"): D(5), ("A", "J-LATE"): D(3)}
    with pytest.raises(errors.InsufficientStock):
        shop.issue("JAM", "3", location="A", lot="J-LATE")  # 2 free: the rest is promised
    run(PickSalesOrder(number="SO-1", line=1, quantity=D(8)))
    with pytest.raises(OverReceipt):
        run(PickSalesOrder(number="SO-1", line=1, quantity=D(1)))
    shipped = run(
        ShipSalesOrder(
            number="SO-1", shipment="SH-1", lines=[ShipmentLineInput(line=1, quantity=D(8))]
        )
    )
    assert shipped.data["shipped"] == "8"
    card = shop.card("JAM")
    assert card.on_hand == 2
    assert card.reserved == 0
    assert card.value == 2  # the two left are from the lot received at 1
    run(
        ReturnSalesOrder(
            number="SO-1", line=1, location="QA", quantity=D(2), lot="J-SOON", reason="dented"
        )
    )
    assert shop.card("JAM").balances[("QA", "J-SOON", StockStatus.QUARANTINE)] == 2
    assert shop.card("JAM").value == 2 + 4


def test_allocating_nothing_is_refused_with_the_reason(shop: Plant) -> None:
    run = shop.ledger.execute
    run(
        CreateSalesOrder(
            number="SO-0", customer="X",
            lines=[OrderLineInput(line=1, sku="STEEL", quantity=D(5), due_date=TODAY)],
        )
    )  # fmt: skip
    run(
        ChangeStockStatus(
            sku="STEEL", location="A", quantity=D(100), from_status="available",
            to_status="held", reason="supplier complaint",
        )  # type: ignore[arg-type]
    )  # fmt: skip
    position = shop.ledger.max_position()
    with pytest.raises(errors.InsufficientStock) as refused:
        run(AllocateSalesOrder(number="SO-0"))
    assert refused.value.facts["unavailable"] == {"STEEL": {"held": "100"}}
    assert shop.ledger.max_position() == position
