"""./scripts/bench cli: how long a `mims` command takes to start and finish.

Figures (median wall time of several runs, the commands taking turns so that a busy
moment of this shared machine falls on all of them alike), each beside the baseline
``python -c pass`` measured in the same run (the interpreter's own start):

* ``help_ms``: `mims --help` (target under 1 s).
* ``plan_eoq_ms``: `mims plan eoq` on the documented 4-item example (target under 2 s).
* ``projections_status_ms``: `mims projections status` on an empty store in a temporary
  folder, with no server to ask (it opens the SQLite store and the DuckDB read models).

Options: ``--quick`` runs each command 3 times instead of 9.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report import Report

ROOT = Path(__file__).resolve().parents[1]
EOQ = ROOT / "docs" / "planning" / "examples" / "eoq.problem.json"


def _mims() -> list[str]:
    """The console script of this environment, as a plant runs it."""
    script = Path(sys.executable).parent / "mims"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mims"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _once(args: list[str], env: dict[str, str], stdin: bytes, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        args, input=stdin, env=env, cwd=cwd, check=True, capture_output=True, timeout=120
    )
    return (time.perf_counter() - start) * 1000


def main(argv: list[str]) -> None:
    runs = 3 if "--quick" in argv else 9
    work = Path(tempfile.mkdtemp(prefix="mims-bench-cli-"))
    env = {
        **os.environ,
        "MIMS_DATABASE_URL": f"sqlite:///{work}/events.db",
        "MIMS_READ_MODEL_PATH": str(work / "read.duckdb"),
        "MIMS_PORT": str(_free_port()),  # nobody listens there: status opens the files
        "MIMS_LOG_LEVEL": "warning",
    }
    mims = _mims()
    commands = {
        "python_pass": ([sys.executable, "-c", "pass"], b""),
        "help": ([*mims, "--help"], b""),
        "plan_eoq": ([*mims, "plan", "eoq"], EOQ.read_bytes()),
        "projections_status": ([*mims, "projections", "status"], b""),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    try:
        for args, stdin in commands.values():  # warm-up: the OS cache, the files
            _once(args, env, stdin, work)
        for _ in range(runs):
            for name, (args, stdin) in commands.items():
                times[name].append(_once(args, env, stdin, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    baseline = statistics.median(times["python_pass"])
    report = Report("cli")
    targets = {"help": "< 1,000 ms", "plan_eoq": "< 2,000 ms"}
    for name in ("help", "plan_eoq", "projections_status"):
        report.add(
            f"{name}_ms",
            statistics.median(times[name]),
            "ms",
            baseline=baseline,
            target=targets.get(name, ""),
        )
    report.add("python_pass_ms", baseline, "ms")
    report.print()
