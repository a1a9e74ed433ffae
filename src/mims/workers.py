"""`mims serve --workers N`: uvicorn's worker processes under a supervisor that lets them
start, and says why one dies.

uvicorn's own supervisor pings every worker every half second and kills one that does not
answer within ``timeout_worker_healthcheck`` (5 s), starting or not. A MIMS worker imports
FastAPI, strawberry, DuckDB, polars and the ledger before it serves: 14 s on an idle 2-core
machine here, 46 s with the cores busy, and an import that holds the GIL in a C extension
can leave the ping unanswered for seconds. The worker was killed and restarted with one
line, "Child process [...] died", and the server never came up. This supervisor gives a
starting worker ``MIMS_WORKER_START_SECONDS`` to become ready, health-checks a ready one
with ``MIMS_WORKER_HEALTHCHECK_SECONDS``, and logs each death with its cause.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from socket import socket

import structlog
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from mims.metrics import worker_gone

log = structlog.get_logger("mims.workers")


def why_it_ended(exitcode: int | None) -> str:
    """A worker's exit code in words: a signal by name, a plain code, or still running."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = " (the out-of-memory killer, or an operator)" if name == "SIGKILL" else ""
        return f"killed by {name}{hint}"
    if exitcode == STARTUP_FAILURE:
        return "its application failed to start (see the lines above)"
    return f"exited with code {exitcode}"


def started(process: Process, timeout: float) -> bool | None:
    """Ask a worker whether its server has started: None when it does not answer in time.

    uvicorn's own check reads the oldest answer in the pipe; the answers to pings that
    timed out while a worker was busy importing would pile up there and be read first."""
    conn = process.parent_conn
    try:
        while conn.poll(0):
            conn.recv()
        conn.send(b"ping")
        if conn.poll(timeout):
            return bool(conn.recv())
    except (OSError, EOFError):
        return None
    return None


@dataclass
class _Watch:
    """What the supervisor knows of one worker."""

    started_at: float = field(default_factory=time.monotonic)
    ready: bool = False


class Supervisor(Multiprocess):
    """uvicorn's Multiprocess with a start-up allowance and a reason for every restart."""

    def __init__(
        self,
        config: Config,
        sockets: list[socket],
        *,
        start_seconds: float,
        healthcheck_seconds: float,
    ) -> None:
        super().__init__(config, sockets)
        self.start_seconds = start_seconds
        self.healthcheck_seconds = healthcheck_seconds
        self._watch: dict[int, _Watch] = {}
        # A SIGHUP restart waits this long for each new worker to be ready.
        config.timeout_worker_healthcheck = int(start_seconds)

    def _watched(self, process: Process) -> _Watch:
        return self._watch.setdefault(id(process), _Watch())

    def init_processes(self) -> None:
        super().init_processes()
        for process in self.processes:
            self._watched(process)
        log.info(
            "workers starting",
            workers=len(self.processes),
            pids=[p.pid for p in self.processes],
            start_seconds=self.start_seconds,
            healthcheck_seconds=self.healthcheck_seconds,
        )

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            watch = self._watched(process)
            reason = self._trouble(process, watch)
            if reason is None:
                continue
            process.kill()
            process.join()
            self._watch.pop(id(process), None)
            if process.pid is not None:
                worker_gone(process.pid)
            if process.exitcode == STARTUP_FAILURE and not watch.ready:
                log.error("worker failed to start: stopping", pid=process.pid, reason=reason)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            log.error("worker died: starting another", pid=process.pid, reason=reason)
            replacement = Process(self.config, self.sockets)
            replacement.start()
            self.processes[index] = replacement
            self._watched(replacement)

    def _trouble(self, process: Process, watch: _Watch) -> str | None:
        """None while the worker is well (or still within its start-up allowance)."""
        if not process.process.is_alive():
            return why_it_ended(process.process.exitcode)
        if watch.ready:
            if started(process, self.healthcheck_seconds) is not None:
                return None
            return (
                f"no answer to the health check within {self.healthcheck_seconds:g} s"
                " (MIMS_WORKER_HEALTHCHECK_SECONDS): killed"
            )
        waited = time.monotonic() - watch.started_at
        if started(process, 0.2):
            watch.ready = True
            log.info("worker ready", pid=process.pid, seconds=round(waited, 1))
            return None
        if waited <= self.start_seconds:
            return None  # still importing or opening its stores: let it be
        return f"not serving after {self.start_seconds:g} s (MIMS_WORKER_START_SECONDS): killed"


def serve_workers(config: Config, *, start_seconds: float, healthcheck_seconds: float) -> None:
    """Bind the socket once and run ``config.workers`` workers on it until stopped."""
    sock = config.bind_socket()
    try:
        Supervisor(
            config,
            [sock],
            start_seconds=start_seconds,
            healthcheck_seconds=healthcheck_seconds,
        ).run()
    finally:
        sock.close()
