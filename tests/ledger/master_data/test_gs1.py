"""GS1 keys on master data: a GTIN and a GLN are checked by their check digit, a GTIN is
kept as the 14 digits GS1 Digital Link names it by, and events stored before the keys
existed still decode (without one)."""

from __future__ import annotations

from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from pydantic import ValidationError

from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.master_data.gs1 import check_digit, gln, gtin14
from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.writer import Ledger
from tests.support.plant import Plant

# Keys printed in GS1's own documentation, with their check digits.
GS1_GTINS = ["09506000134352", "9506000134352", "4006381333931", "96385074", "036000291452"]


@pytest.mark.parametrize("key", GS1_GTINS)
def test_a_valid_gtin_is_kept_as_fourteen_digits(key: str) -> None:
    assert gtin14(key) == key.zfill(14)
    assert check_digit(key[:-1]) == int(key[-1])


@pytest.mark.parametrize(
    "key", ["09506000134353", "950600013435", "95060001343521X", "٩٥٠٦٠٠٠١٣٤٣٥٢"]
)
def test_a_gtin_with_a_wrong_check_digit_or_length_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="GTIN"):
        gtin14(key)


def test_a_gln_is_checked() -> None:
    assert gln("9506000134376") == "9506000134376"
    with pytest.raises(ValueError, match="check digit should be 6"):
        gln("9506000134377")


def test_the_commands_refuse_a_bad_key_naming_the_field() -> None:
    with pytest.raises(ValidationError) as bad:
        RegisterItem(sku="X", description="x", kind="raw_material", unit_of_measure="kg",
                     gtin="09506000134353")  # fmt: skip
    assert bad.value.errors()[0]["loc"] == ("gtin",)
    with pytest.raises(ValidationError) as bad:
        RegisterLocation(code="S2", level="site", gln="9506000134377")
    assert bad.value.errors()[0]["loc"] == ("gln",)


def test_the_keys_are_recorded_on_the_master_data(plant: Plant) -> None:
    plant.item("MILK", unit_of_measure="l", gtin="9506000134352")
    plant.ledger.execute(RegisterLocation(code="DC", level="site", gln="9506000134376"))
    events = [
        plant.ledger.app.mapper.to_domain_event(n)
        for n in plant.ledger.app.recorder.select_notifications(start=1, limit=1000)
    ]
    items = {e.sku: e for e in events if isinstance(e, Item.Registered)}
    sites = {e.code: e for e in events if isinstance(e, Location.Registered)}
    assert items["MILK"].gtin == "09506000134352"
    assert sites["DC"].gln == "9506000134376"
    assert sites["S"].gln is None


def _version_1(cls: type, state: dict[str, object]) -> StoredEvent:
    meta = {"actor": "a", "command_id": "c", "correlation_id": "c", "site": "S",
            "effective_at": "2026-01-01T00:00:00+00:00"}  # fmt: skip
    return StoredEvent(
        originator_id=uuid4(),
        originator_version=1,
        topic=get_topic(cls),
        state=orjson.dumps({"timestamp": "2026-01-01T00:00:00+00:00", "meta": meta, **state}),
    )


def test_master_data_stored_before_the_keys_decodes_without_them(ledger: Ledger) -> None:
    item = ledger.app.mapper.to_domain_event(
        _version_1(
            Item.Registered,
            {
                "originator_topic": get_topic(Item), "sku": "OLD", "description": "old",
                "kind": "raw_material", "unit_of_measure": "kg", "precision": 0,
                "tracking": "none", "costing_method": "fifo", "standard_cost": None,
                "shelf_life_days": None, "inspection_required": False,
                "planning": {"lead_time_days": 0, "lot_size_rule": "lot_for_lot",
                             "lot_size_quantity": "0", "minimum_lot": "0",
                             "safety_stock": "0", "reorder_point": "0"},
            },
        )
    )  # fmt: skip
    assert item.gtin is None
    location = ledger.app.mapper.to_domain_event(
        _version_1(
            Location.Registered,
            {"originator_topic": get_topic(Location), "code": "OLD", "name": "old",
             "level": "site", "kind": "storage", "parent": None, "site": "OLD"},
        )
    )  # fmt: skip
    assert location.gln is None
