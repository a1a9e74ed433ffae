"""`mims serve`: the command API, GraphQL and the dashboards, in one process or several."""

from __future__ import annotations

import typer


def serve(
    host: str | None = typer.Option(None, help="Default: MIMS_HOST or 127.0.0.1"),
    port: int | None = typer.Option(None, help="Default: MIMS_PORT or 8000"),
    workers: int | None = typer.Option(None, help="Worker processes (PostgreSQL only)"),
) -> None:
    """Serve the command API, GraphQL and the dashboards."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from mims.logs import configure_logging
    from mims.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    count = workers or settings.workers
    if count > 1 and not settings.uses_postgres:
        raise typer.BadParameter("several workers need MIMS_DATABASE_URL=postgresql://...")
    config = uvicorn.Config(
        "mims.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=count,
        log_level=settings.log_level,
        access_log=False,  # mims.access logs each request, with its correlation id
        log_config=None,  # uvicorn's lines go through structlog (mims.logs)
    )
    if count == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise SystemExit(STARTUP_FAILURE)
        return
    import shutil

    from mims.metrics import prepare_multiprocess_dir
    from mims.workers import serve_workers

    # Set before any worker starts: each writes its samples there, a scrape sums them.
    samples = prepare_multiprocess_dir() if settings.metrics_enabled else None
    try:
        serve_workers(
            config,
            start_seconds=settings.worker_start_seconds,
            healthcheck_seconds=settings.worker_healthcheck_seconds,
        )
    finally:
        if samples is not None:
            shutil.rmtree(samples, ignore_errors=True)
