"""Engineering on the ledger: BOMs, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ledger import errors
from ledger.engineering.aggregates import BomCycle
from tests.support.plant import Plant, bom

D = Decimal
TODAY = datetime.now(UTC).date()
SINCE = TODAY - timedelta(days=30)


def test_a_bom_that_would_contain_itself_is_refused(shop: Plant) -> None:
    run = shop.ledger.execute
    run(bom("FRAME", ("STEEL", "2")))
    run(bom("BIKE", ("FRAME", "1")))
    position = shop.ledger.max_position()
    with pytest.raises(BomCycle) as refused:
        run(bom("STEEL", ("BIKE", "1")))
    assert refused.value.facts["cycle"] == ["STEEL", "BIKE", "FRAME", "STEEL"]
    with pytest.raises(BomCycle):
        run(bom("FRAME", ("FRAME", "1"), version="B"))
    with pytest.raises(errors.UnknownItem):
        run(bom("BIKE", ("NOTHING", "1"), version="B"))
    with pytest.raises(errors.InvalidMasterData):
        run(bom("FRAME", ("STEEL", "1")))  # version A exists
    assert shop.ledger.max_position() == position
