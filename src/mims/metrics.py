"""Prometheus metrics of the server (``GET /metrics``), safe with several workers.

Under `mims serve --workers N` every worker writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` (set by `mims serve` before the workers start, see
``prepare_multiprocess_dir``) and a scrape of any worker sums them (prometheus-client's
multiprocess mode). A worker keeps read models of its own, so the gauges of positions and
lags carry its pid. An app built in-process (tests, one worker without `mims serve`) gets
a registry of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

from ledger.writer import WriterObserver

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


def prepare_multiprocess_dir(base: Path | None = None) -> Path:
    """An empty directory for the workers' metric files, named in the environment they
    inherit. Called by `mims serve` in the supervisor, before any worker starts."""
    if base is None:
        found = Path(tempfile.mkdtemp(prefix="mims-metrics-"))
    else:
        shutil.rmtree(base, ignore_errors=True)  # samples of a previous run are stale
        base.mkdir(parents=True)
        found = base
    os.environ[MULTIPROC_ENV] = str(found)
    return found


def worker_gone(pid: int) -> None:
    """Drop a dead worker's live gauges (its counters still count)."""
    if os.environ.get(MULTIPROC_ENV):
        prometheus_multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class Metrics(WriterObserver):
    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        # Multiprocess mode: samples go to files whatever the registry; a scrape reads them.
        self.registry = None if self.multiprocess else CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "mims_commands",
            "Commands answered, by type and outcome (accepted, duplicate, or the refusal)",
            ["command", "outcome"],
            registry=r,
        )
        self.command_seconds = Histogram(
            "mims_command_seconds",
            "Time from a command's submission to its answer (queue, decision, commit)",
            ["command"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.batch_commands = Histogram(
            "mims_batch_commands",
            "Commands saved per batch (one transaction)",
            buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000),
            registry=r,
        )
        self.conflicts = Counter(
            "mims_batch_conflicts", "Batches whose save met a concurrency conflict", registry=r
        )
        self.retries = Counter(
            "mims_command_retries", "Commands decided again after a conflict", registry=r
        )
        self.projection_position = Gauge(
            "mims_projection_position",
            "Last event position applied to each read model",
            ["projection"],
            multiprocess_mode="liveall",
            registry=r,
        )
        self.projection_lag = Gauge(
            "mims_projection_lag",
            "Events each read model is behind the event log's head",
            ["projection"],
            multiprocess_mode="liveall",
            registry=r,
        )
        self.projection_failed = Gauge(
            "mims_projection_failed",
            "1 when a read model has stopped on an event it could not apply",
            ["projection"],
            multiprocess_mode="liveall",
            registry=r,
        )
        self.relay_lag = Gauge(
            "mims_relay_lag",
            "Events not yet published to NATS JetStream",
            multiprocess_mode="liveall",
            registry=r,
        )

    # --- the writer's observer (called in the writer thread) ----------------------------

    def answered(self, command_type: str, outcome: str, seconds: float) -> None:
        self.commands.labels(command_type, outcome).inc()
        self.command_seconds.labels(command_type).observe(seconds)

    def committed(self, commands: int, aggregates: int) -> None:  # noqa: ARG002 - observer API
        self.batch_commands.observe(commands)

    def conflicted(self, retried: int) -> None:
        self.conflicts.inc()
        self.retries.inc(retried)

    # --- the read side, sampled before each scrape and now and then ---------------------

    def read_models(self, head: int, positions: dict[str, tuple[int, bool]]) -> None:
        """``positions``: each read model's position and whether it failed."""
        for name, (position, failed) in positions.items():
            self.projection_position.labels(name).set(position)
            self.projection_lag.labels(name).set(max(0, head - position))
            self.projection_failed.labels(name).set(1 if failed else 0)

    def relay(self, lag: int) -> None:
        self.relay_lag.set(lag)

    def exposition(self) -> bytes:
        if self.registry is not None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
