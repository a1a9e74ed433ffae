"""Operations on read models: rebuild into a fresh file, replay to an instant."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from eventsourcing.persistence import ApplicationRecorder

from projections.engine.runner import ProjectionRunner, Window
from projections.engine.view import ReadModels
from projections.master_data import catalog
from projections.registry import BY_NAME

OnPage = Callable[[int, int], None]


def rebuild_into(
    recorder: ApplicationRecorder,
    into: Path,
    names: Iterable[str] | None = None,
    *,
    page_size: int = 200_000,
    on_page: OnPage | None = None,
) -> dict[str, int]:
    """Build the named projections (all when None) from the whole log into a new file;
    returns each one's position. Their master data (catalog) is built alongside. A
    projection that cannot apply an event stops there (the file's tracking row says so,
    and ``ProjectionRunner.adopt`` keeps it); the others are built to the head."""
    wanted = list(BY_NAME) if names is None else list(names)
    unknown = [n for n in wanted if n not in BY_NAME]
    if unknown:
        msg = f"no projection named {', '.join(unknown)}; there are {', '.join(BY_NAME)}"
        raise ValueError(msg)
    projections = tuple(p for p in BY_NAME.values() if p.name in wanted or p is catalog)
    into.unlink(missing_ok=True)
    models = ReadModels(into, projections=projections)
    try:
        runner = ProjectionRunner(recorder, models, page_size=page_size)
        runner.catch_up(on_page=on_page)
        return {name: position for name, position in models.positions().items() if name in wanted}
    finally:
        models.close()


def replay_into(
    recorder: ApplicationRecorder,
    into: Path,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    page_size: int = 200_000,
    on_page: OnPage | None = None,
) -> int:
    """Every read model as of a business instant (and as known at a recording instant),
    into a file of its own for an auditor. Returns the log position replayed to."""
    if into.exists():
        msg = f"{into} exists: replay writes a new file"
        raise FileExistsError(msg)
    models = ReadModels(into)
    try:
        runner = ProjectionRunner(
            recorder, models, page_size=page_size, window=Window(as_of=as_of, known_at=known_at)
        )
        runner.catch_up(on_page=on_page)
        with models.reader() as con:
            for key, value in (
                ("replay_as_of", as_of.isoformat() if as_of else ""),
                ("replay_known_at", known_at.isoformat() if known_at else ""),
                ("replay_position", str(runner.head)),
            ):
                con.execute("INSERT OR REPLACE INTO read_model_meta VALUES (?, ?)", [key, value])
        return runner.head
    finally:
        models.close()
