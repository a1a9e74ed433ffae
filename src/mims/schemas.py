"""The checked-in contracts under ``schemas/``, generated from the code.

``mims schemas write`` regenerates them; a test fails when the files are stale, so a
change to an event, a command or the API is always a visible diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eventsourcing.utils import get_topic
from pydantic import TypeAdapter

from ledger.catalog import event_classes
from ledger.dispatch import ALL_COMMANDS
from queries.schema import sdl


def _dump(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_schemas() -> dict[str, str]:
    """Relative path under ``schemas/`` -> file content."""
    from mims.server import create_app

    files: dict[str, str] = {}
    for event in event_classes():
        name = event.__qualname__
        schema = TypeAdapter(event).json_schema(mode="serialization")
        schema["title"] = name
        schema["$comment"] = f"topic {get_topic(event)}"
        files[f"events/{name}.json"] = _dump(schema)
    for command in ALL_COMMANDS:
        schema = command.model_json_schema()
        files[f"commands/{command.command_name}.json"] = _dump(schema)
    files["openapi.json"] = _dump(create_app().openapi())
    files["graphql/schema.graphql"] = sdl()
    return files


def write_schemas(root: Path) -> list[Path]:
    written = []
    for relative, content in render_schemas().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
            written.append(path)
    return written


def stale_schemas(root: Path) -> list[str]:
    """Files that are missing, different, or no longer generated."""
    expected = render_schemas()
    stale = [
        relative
        for relative, content in expected.items()
        if not (root / relative).exists() or (root / relative).read_text() != content
    ]
    for folder in ("events", "commands", "graphql"):
        for path in sorted((root / folder).glob("*.*")):
            relative = f"{folder}/{path.name}"
            if relative not in expected:
                stale.append(relative)
    return stale
