"""The contracts under schemas/ are generated from the code and must not be stale."""

from __future__ import annotations

from pathlib import Path

from ledger.catalog import event_classes
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.demo import load_demo
from mims.schemas import render_schemas, stale_schemas

SCHEMAS = Path(__file__).parent.parent / "schemas"


def test_checked_in_schemas_match_the_code() -> None:
    stale = stale_schemas(SCHEMAS)
    assert not stale, f"stale schemas (run `mims schemas write`): {stale}"


def test_every_event_and_command_has_a_schema() -> None:
    files = render_schemas()
    assert "events/Stock.Issued.json" in files
    assert "commands/ReceiveStock.json" in files
    assert "openapi.json" in files


def test_a_changed_schema_is_detected(tmp_path: Path) -> None:
    for relative, content in render_schemas().items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(content)
    assert stale_schemas(tmp_path) == []
    (tmp_path / "events/Stock.Issued.json").write_text("{}")
    (tmp_path / "events/Stock.Gone.json").write_text("{}")
    assert stale_schemas(tmp_path) == ["events/Stock.Issued.json", "events/Stock.Gone.json"]


def test_every_event_the_ledger_records_has_a_schema(tmp_path: Path) -> None:
    """Every topic the demo plant writes (receipts to work, purchase and sales orders) has
    its JSON Schema: three ``Created`` events had none, as the catalogue skipped them."""
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings())
    try:
        load_demo(ledger, show_progress=False)
        recorded = {
            event.topic
            for event in ledger.app.recorder.select_notifications(start=1, limit=1_000_000)
        }
    finally:
        ledger.close()
    files = render_schemas()
    written = {f"events/{topic.split(':')[1]}.json" for topic in recorded}
    assert {"events/WorkOrder.Created.json", "events/SalesOrder.Created.json"} <= written
    assert written <= files.keys(), sorted(written - files.keys())
    for cls in event_classes():
        assert f"events/{cls.__qualname__}.json" in files
