"""Every `mims` error is one line that says what to do, never a traceback (issue 13,
points 12 and 18): the real `mims` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.servers import ServerProcess, free_port

MIMS = str(Path(sys.executable).parent / "mims")


def run_mims(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIMS_")}
    return subprocess.run(
        [MIMS, *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_command_aimed_at_the_wrong_port_says_to_give_the_servers_url(tmp_path: Path) -> None:
    files = {
        "MIMS_DATABASE_URL": f"sqlite:///{tmp_path}/events.db",
        "MIMS_READ_MODEL_PATH": str(tmp_path / "read_models.duckdb"),
    }
    with ServerProcess(files["MIMS_DATABASE_URL"], **files) as server:
        # The server listens on server.port; the command looks on another, finds nobody,
        # and opens the read models' file, which the server holds.
        done = run_mims("projections", "status", **files, MIMS_PORT=str(free_port()))
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "--url" in lines[0]
    assert "MIMS_PORT" in lines[0]
    assert str(server.port) not in lines[0] or "--url" in lines[0]


def test_a_mistyped_database_scheme_is_one_line_without_the_password(tmp_path: Path) -> None:
    done = run_mims(
        "demo",
        "load",
        MIMS_DATABASE_URL="postgress://plant:secret@127.0.0.1/ledger",
        MIMS_READ_MODEL_PATH=str(tmp_path / "rm.duckdb"),
    )
    assert done.returncode == 1, done
    output = done.stderr + done.stdout
    assert "secret" not in output
    assert "Traceback" not in output
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "'postgress'" in lines[0]
    assert "MIMS_DATABASE_URL" in lines[0]


def test_an_unreachable_event_store_is_one_line_without_the_password() -> None:
    port = free_port()  # nobody listens there
    done = run_mims(
        "demo",
        "load",
        MIMS_DATABASE_URL=f"postgresql://plant:secret@127.0.0.1:{port}/ledger?connect_timeout=2",
    )
    assert done.returncode == 1, done
    output = done.stderr + done.stdout
    assert "secret" not in output
    assert "Traceback" not in output
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "MIMS_DATABASE_URL" in done.stderr
