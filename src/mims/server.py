"""The one-process server: command API, GraphQL and dashboards over one ledger, with the
projection runner keeping the read models current in the same process."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import duckdb
import structlog
from eventsourcing.postgres import PostgresApplicationRecorder
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import State
from starlette.middleware.cors import CORSMiddleware

from commands import install_command_api
from commands.authentication import Authentication, Sessions
from commands.problems import PROBLEM_JSON, problem, problem_responses, register_problem_type
from commands.rate_limits import RateLimit
from commands.recalls import AffectedLots
from ledger.identity.authentication import Authenticator
from ledger.writer import Ledger
from mims.access import AccessMiddleware
from mims.admin import router as admin_router
from mims.api_docs import document_graphql, graphiql_page, install_api_docs
from mims.audit import run_anchor_job
from mims.dashboards import install_dashboards
from mims.epcis import epcis_router
from mims.exports import POSITION_HEADER, install_exports
from mims.health import install_health, sample_every
from mims.imports.api import ImportJobs, imports_router
from mims.jobs import run_expiry_job
from mims.metrics import Metrics
from mims.permissions import check_epcis, epcis_places, graphql_access
from mims.relay import Relay
from mims.settings import Settings
from mims.webhooks import WebhookDispatcher, WebhookLogReader
from planning.errors import PlanningError
from planning.preview import preview_mrp
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from projections.engine.waker import PostgresWaker
from projections.quality_trace import affected_lots
from queries.context import PositionProblem
from queries.planning.planner import MrpPlanning
from queries.schema import graphql_router

log = structlog.get_logger("mims.server")

# What a page of an allowed origin may send besides CORS's safe headers.
CORS_HEADERS = [
    "Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-ID", "X-Min-Position",
    "X-CSRF-Token",
]  # fmt: skip
SAMPLE_SECONDS = 5.0  # how often a worker refreshes its read-side gauges

# GraphQL's mrpRun plans with the planning package, which `queries` may not import.
MRP_PLANNING = MrpPlanning(preview=preview_mrp, input_error=PlanningError)


def tune_garbage_collector() -> None:
    """Keep full collections off the request path.

    Everything imported and built at start-up (~100k objects: FastAPI, pydantic, polars...)
    is frozen out of the collector, and the young generation is collected less often.
    Without this, the writer's churn of committed aggregates triggers a full collection
    twice a second that stalls every request for 50-150 ms (measured: p99 160 ms at
    2,300 commands/s; with it, no request over 50 ms).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def open_read_models(path: Path) -> ReadModels:
    """The read models' file, or, when another worker process serves it (DuckDB allows
    one writing process per file), a file of this process's own, built from the log."""
    try:
        return ReadModels(path)
    except duckdb.IOException as e:
        if "lock" not in str(e).lower():
            raise
        import os

        own = path.with_name(f"{path.stem}.worker-{os.getpid()}{path.suffix}")
        log.info("read models are served by another worker: this one keeps its own", file=str(own))
        own.unlink(missing_ok=True)
        return ReadModels(own)


@asynccontextmanager
async def run_webhooks(
    settings: Settings, ledger: Ledger, state: State
) -> AsyncIterator[WebhookDispatcher | None]:
    """The webhook dispatcher on its own task (never in the writer's way), put on
    ``state.webhooks`` for GraphQL's delivery log and the operations page."""
    state.webhook_policy = settings.webhook_policy()
    state.webhooks = None
    try:
        dispatcher = WebhookDispatcher(ledger, settings.webhook_settings())
    except Exception:  # the delivery log's tables: the server still serves without them
        log.exception("webhooks are not delivered: the delivery log could not be opened")
        yield None
        return
    state.webhooks = WebhookLogReader(dispatcher)
    task = None
    stop = asyncio.Event()
    if settings.webhooks_enabled:
        task = asyncio.create_task(dispatcher.run(stop))
    try:
        yield dispatcher
    finally:
        if task is not None:
            stop.set()
            await task


@asynccontextmanager
async def background_jobs(
    settings: Settings, ledger: Ledger, models: ReadModels
) -> AsyncIterator[Relay | None]:
    """The server's own jobs: the NATS relay (when MIMS_NATS_URL is set), yielded for the
    readiness check, the expiry job (every MIMS_EXPIRY_INTERVAL_MINUTES), the chain's
    anchors (every MIMS_ANCHOR_INTERVAL_SECONDS) and the webhook dispatcher
    (MIMS_WEBHOOKS_ENABLED), which `run_webhooks` starts."""
    stop_relay = asyncio.Event()
    relay = None
    the_relay = Relay(ledger, settings.relay_settings()) if settings.nats_url else None
    if the_relay is not None:
        relay = asyncio.create_task(the_relay.run(stop_relay))
    expiry = None
    if settings.expiry_interval_minutes > 0:
        expiry = asyncio.create_task(
            run_expiry_job(ledger, models, settings.expiry_interval_minutes)
        )
    anchors = None
    if settings.anchor_interval_seconds > 0:
        anchors = asyncio.create_task(
            run_anchor_job(
                ledger,
                settings.anchor_file,
                settings.anchor_interval_seconds,
                settings.anchor_nats(),
            )
        )
    try:
        yield the_relay
    finally:
        if anchors is not None:
            anchors.cancel()
        if expiry is not None:
            expiry.cancel()
        if relay is not None:
            stop_relay.set()
            await relay


def recall_finder(ledger: Ledger, runner: ProjectionRunner, models: ReadModels) -> AffectedLots:
    """The lots a recall reaches, from the genealogy read model, once it has caught up with
    every command answered before (`commands.recalls` holds them)."""

    async def affected(
        *, supplier_lot: str | None, item: str | None, lot: str | None
    ) -> list[tuple[str, str]]:
        await asyncio.to_thread(runner.wait_for, ledger.max_position(), 30)

        def find() -> list[tuple[str, str]]:
            with models.reader() as con:
                return affected_lots(
                    con, supplier_lot=supplier_lot, item=item, lot=lot, graph=models.lot_graph
                )

        return await asyncio.to_thread(find)

    return affected


def install_read_side_problems(app: FastAPI) -> None:
    """A read-your-writes position GraphQL cannot serve is an RFC 9457 problem too."""
    stack: list[type[PositionProblem]] = [PositionProblem]
    while stack:
        cls = stack.pop()
        register_problem_type(cls.type, cls.status, cls.title, (cls.__doc__ or "").strip())
        stack.extend(cls.__subclasses__())

    @app.exception_handler(PositionProblem)
    async def position_problem(request: Request, exc: PositionProblem) -> JSONResponse:
        code, body = problem(exc.status, exc.type, exc.title, str(exc), instance=request.url.path)
        return JSONResponse(body, status_code=code, media_type=PROBLEM_JSON)


def install_request_limits(app: FastAPI, settings: Settings) -> None:
    """Rate limits per caller (outside the body limit: a refused request is not read), and
    CORS outside them, closed unless MIMS_CORS_ORIGINS names origins (without it a browser
    lets no other site read an answer or send more than a simple request). The identity
    layer, which names the caller (``scope["state"]["principal"]``), goes between them:
    outside the rate limiter, inside CORS (a preflight carries no credentials, and a 401
    must carry CORS headers for a page to read it)."""
    limits = settings.rate_limits()
    app.add_middleware(RateLimit, limits=limits, kinds=frozenset({"commands", "graphql", "admin"}))
    app.add_middleware(
        Authentication,
        sessions=Sessions(settings.session_secret(), int(settings.session_hours * 3600)),
        metrics_open=settings.metrics_open,
    )
    # Logins are answered by the identity layer itself: their limiter stands outside it.
    app.add_middleware(RateLimit, limits=limits, kinds=frozenset({"login"}))
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=CORS_HEADERS,
            expose_headers=[
                "Retry-After",
                "X-Correlation-ID",
                "Idempotent-Replayed",
                "Content-Disposition",
                POSITION_HEADER,
            ],
        )


def create_app(  # noqa: PLR0915 - the composition root: one statement per part
    settings: Settings | None = None,
    ledger: Ledger | None = None,
    read_models: ReadModels | None = None,
) -> FastAPI:
    """Build the ASGI app. Nothing connects until the app starts (lifespan)."""
    settings = settings or Settings()
    metrics = Metrics() if settings.metrics_enabled else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_ledger = ledger is None
        app.state.ledger = the_ledger = ledger or Ledger(
            settings.store_env(), settings.writer_settings()
        )
        own_models = read_models is None
        app.state.read_models = models = read_models or open_read_models(settings.read_model_path)
        app.state.runner = runner = ProjectionRunner(
            the_ledger.app.recorder, models, serves_traces=True
        )
        the_ledger.listeners.append(runner.wake)
        app.state.authenticator = Authenticator(the_ledger, oidc=settings.oidc())
        app.state.affected_lots = recall_finder(the_ledger, runner, models)
        waker = None
        if isinstance(the_ledger.app.recorder, PostgresApplicationRecorder):
            waker = PostgresWaker(the_ledger.app.recorder, runner.wake).start()
        runner.start()
        sampler = None
        if metrics is not None:
            the_ledger.observers.append(metrics)
            sampler = asyncio.create_task(sample_every(app.state, metrics, SAMPLE_SECONDS))
        tune_garbage_collector()
        try:
            async with (
                background_jobs(settings, the_ledger, models) as relay,
                run_webhooks(settings, the_ledger, app.state),
            ):
                app.state.relay = relay
                yield
        finally:
            if sampler is not None:
                sampler.cancel()
            if metrics is not None:
                the_ledger.observers.remove(metrics)
            runner.stop()
            if waker is not None:
                waker.stop()
            if own_models:
                models.close()
                if models.path is not None and models.path != settings.read_model_path:
                    # A worker's own file (see open_read_models): rebuilt at each start.
                    models.path.unlink(missing_ok=True)
                    models.path.with_name(models.path.name + ".wal").unlink(missing_ok=True)
            if own_ledger:
                the_ledger.close()

    app = FastAPI(
        title="MIMS",
        version="0.1.0",
        summary="Event-sourced inventory ledger for manufacturing plants",
        lifespan=lifespan,
        docs_url=None,  # served by install_api_docs, from files installed with MIMS
        redoc_url=None,
    )
    install_command_api(app, max_body=settings.max_body_bytes)
    app.include_router(
        document_graphql(
            graphql_router(
                mrp=MRP_PLANNING,
                ide_page=graphiql_page(),
                limits=settings.graphql_limits(),
                access=graphql_access,
            ),
            # a request strawberry cannot read (400), no credentials (401), a bad
            # X-Min-Position (422), the read models behind it (503)
            problem_responses(400, 401, 422, 503),
        ),
        prefix="/graphql",
        tags=["queries"],
    )
    app.include_router(admin_router)
    app.include_router(
        imports_router(ImportJobs(settings.imports_dir), lambda request: request.app.state.ledger)
    )
    app.include_router(epcis_router(epcis_places, check_epcis, lambda: settings.epcis_urn_prefix))
    install_exports(app)
    install_dashboards(app)
    install_read_side_problems(app)
    install_api_docs(app)
    install_health(app, max_lag=settings.ready_max_lag, metrics=metrics)
    install_request_limits(app, settings)
    # Outermost (added last): every answer, the command lane's too, names its worker.
    app.add_middleware(AccessMiddleware, access_log=settings.access_log)

    return app
