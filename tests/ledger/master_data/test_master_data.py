"""Master data on the ledger, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ledger.master_data.commands import ChangePlanningParameters, PlanningParametersInput
from tests.support.plant import Plant

D = Decimal
TODAY = datetime.now(UTC).date()
SINCE = TODAY - timedelta(days=30)


def test_a_command_that_changes_nothing_is_answered_with_the_receipt_position(
    shop: Plant,
) -> None:
    """Planning parameters set to what they are save no event but the command's receipt."""
    same = shop.ledger.execute(
        ChangePlanningParameters(sku="STEEL", planning=PlanningParametersInput(), reason="x")
    )
    assert same.events == ()
    assert same.position == shop.ledger.max_position()
