"""Health endpoints and metrics for the operator and the load balancer.

``/health/live``: the process serves HTTP (restart it if not). ``/health/ready``: it can do
its work: the event store answers, no read model has failed, each is within
``MIMS_READY_MAX_LAG`` events of the log's head, the projection runner runs, and the NATS
relay is connected when one is configured; otherwise 503 with an RFC 9457 problem
(``/problems/not-ready``) that names what is down. ``/health`` is the old liveness answer,
kept for old clients and for the CLI, which looks for a server with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from commands.problems import PROBLEM_JSON, problem, register_problem_type
from mims.cli.errors import scrub
from mims.metrics import CONTENT_TYPE, Metrics
from mims.relay import Relay
from projections.engine.runner import ProjectionRunner

STORE_TIMEOUT = 5.0

register_problem_type(
    "not-ready",
    503,
    "Not Ready",
    "The server is up but cannot do its work yet or any more: the problem's `down` lists"
    " what (event store, a read model failed or too far behind, the NATS relay).",
)


async def _head(state: Any) -> int:
    ledger = state.ledger
    return int(await asyncio.wait_for(asyncio.to_thread(ledger.max_position), STORE_TIMEOUT))


def _read_model_checks(
    runner: ProjectionRunner, head: int | None, max_lag: int
) -> tuple[dict[str, Any], list[str]]:
    checks: dict[str, Any] = {}
    down: list[str] = []
    if not runner.is_running:
        down.append("the projection runner is not running")
    elif runner.last_error:
        down.append(f"the projection runner cannot read the event store: {runner.last_error}")
    for status in runner.statuses():
        lag = None if head is None else max(0, head - status.position)
        checks[status.name] = {"status": status.status, "position": status.position, "lag": lag}
        if status.status != "running":
            checks[status.name] |= {
                "failed_position": status.failed_position,
                "error": status.error,
            }
            down.append(
                f"read model {status.name} failed at position {status.failed_position}:"
                f" {status.error}"
            )
        elif lag is not None and lag > max_lag:
            down.append(
                f"read model {status.name} is {lag} events behind (MIMS_READY_MAX_LAG={max_lag})"
            )
    return checks, down


async def _relay_lag(relay: Relay, head: int) -> int:
    position = await asyncio.wait_for(asyncio.to_thread(lambda: relay.position), STORE_TIMEOUT)
    return max(0, head - position)


async def readiness(state: Any, max_lag: int) -> tuple[dict[str, Any], list[str]]:
    """What each part says (``state``: the app's), and the sentences of what is down
    (none: ready)."""
    checks: dict[str, Any] = {}
    down: list[str] = []
    head: int | None = None
    try:
        head = await _head(state)
        checks["event_store"] = {"status": "up", "head": head}
    except Exception as e:  # noqa: BLE001 - any failure to answer is "down", said precisely
        reason = scrub(str(e)) or type(e).__name__
        checks["event_store"] = {"status": "down", "error": reason}
        down.append(f"the event store does not answer: {reason}")
    models, models_down = _read_model_checks(state.runner, head, max_lag)
    checks["read_models"] = models
    down += models_down
    relay: Relay | None = getattr(state, "relay", None)
    if relay is not None:
        checks["relay"] = {"status": "connected" if relay.connected else "disconnected"}
        if not relay.connected:
            down.append(f"the NATS relay is not connected to {relay.settings.url}")
        if head is not None:
            with contextlib.suppress(Exception):  # the event store's check says why
                checks["relay"]["lag"] = await _relay_lag(relay, head)
    return checks, down


async def sample(state: Any, metrics: Metrics) -> None:
    """Set this worker's read-side gauges from what it knows now."""
    try:
        head = await _head(state)
    except Exception:  # noqa: BLE001 - /health/ready says why; the gauges keep their values
        return
    metrics.read_models(
        head, {s.name: (s.position, s.status != "running") for s in state.runner.statuses()}
    )
    relay: Relay | None = getattr(state, "relay", None)
    if relay is not None:
        with contextlib.suppress(Exception):  # as above
            metrics.relay(await _relay_lag(relay, head))


def install_health(app: FastAPI, *, max_lag: int, metrics: Metrics | None) -> None:
    @app.get("/health", tags=["operations"])
    def health() -> dict[str, str]:
        """Liveness, as before /health/live: kept for old clients and the CLI."""
        return {"status": "ok"}

    @app.get("/health/live", tags=["operations"])
    def live() -> dict[str, str]:
        """The process serves HTTP. Nothing else is checked: restart it only if this fails."""
        return {"status": "ok"}

    @app.get(
        "/health/ready",
        tags=["operations"],
        responses={503: {"description": "Not ready: an RFC 9457 problem naming what is down"}},
    )
    async def ready(request: Request) -> JSONResponse:
        """Ready to take traffic: event store, read models (failed, lag), NATS relay."""
        checks, down = await readiness(request.app.state, max_lag)
        if not down:
            return JSONResponse({"status": "ready", "checks": checks})
        code, body = problem(
            503,
            "not-ready",
            "Not Ready",
            "; ".join(down),
            instance=request.url.path,
            extensions={"down": down, "checks": checks},
        )
        return JSONResponse(body, status_code=code, media_type=PROBLEM_JSON)

    if metrics is None:
        return

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def prometheus(request: Request) -> Response:
        """Prometheus text format: commands, latency, batches, conflicts, read models, relay."""
        await sample(request.app.state, metrics)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)


async def sample_every(state: Any, metrics: Metrics, seconds: float) -> None:
    """Keep this worker's gauges fresh for a scrape that another worker answers."""
    while True:
        await sample(state, metrics)
        await asyncio.sleep(seconds)
