"""The command API: every command posted to /v1, answered by one path (`commands.lane`)."""

from __future__ import annotations

from fastapi import FastAPI

from commands.api import problems_router, router
from commands.limits import DEFAULT_MAX_BODY, BodyLimit
from commands.problems import document_problems, install_problem_handlers
from commands.routes import documented_routes, serve_commands


def install_command_api(app: FastAPI, max_body: int = DEFAULT_MAX_BODY) -> None:
    """Serve the /v1 command routes (`commands.routes`), the write side's reads and the
    problem-details handlers on ``app``; the composition root puts the ledger on
    ``app.state.ledger`` (and the recall's finder on ``app.state.affected_lots``). Every
    route of ``app`` refuses a body of more than ``max_body`` bytes (413)."""
    app.include_router(router)
    app.include_router(problems_router)
    install_problem_handlers(app)
    document_problems(app, documented_routes().routes)
    serve_commands(app, max_body)
    app.add_middleware(BodyLimit, max_bytes=max_body)  # added last: outside the lane
