"""How far each projection is behind the log, and whether it is running: every
feature's read models, so apart from them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from queries.context import Context, described


@strawberry.type
class ProjectionStatus:
    name: str
    position: int
    head: int
    lag: int = strawberry.field(description="Events in the log the projection has not applied")
    status: str
    error: str | None
    failed_position: int | None
    updated_at: datetime | None


@strawberry.type
class ProjectionStatusQuery:
    @described("Each projection's position, lag behind the log, health.")
    async def projection_status(self, info: Info[Context, None]) -> list[ProjectionStatus]:
        runner = info.context.runner
        if runner is None:
            return []
        head = runner.head
        return [
            ProjectionStatus(
                name=s.name,
                position=s.position,
                head=max(head, s.position),
                lag=max(0, head - s.position),
                status=s.status,
                error=s.error,
                failed_position=s.failed_position,
                updated_at=s.updated_at,
            )
            for s in runner.statuses()
        ]
