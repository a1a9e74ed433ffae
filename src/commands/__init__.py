"""The command API: FastAPI routes that turn shop-floor requests into ledger commands."""

from __future__ import annotations

from fastapi import FastAPI

from commands.api import problems_router, router
from commands.lane import CommandLane
from commands.problems import document_problems, install_problem_handlers


def install_command_api(app: FastAPI) -> None:
    """Mount the /v1 command routes and the problem-details handlers on ``app``; the
    composition root puts the ledger on ``app.state.ledger``."""
    app.include_router(router)
    app.include_router(problems_router)
    install_problem_handlers(app)
    document_problems(app)
    app.add_middleware(CommandLane)
