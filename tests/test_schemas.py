"""The contracts under schemas/ are generated from the code and must not be stale."""

from __future__ import annotations

from pathlib import Path

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
