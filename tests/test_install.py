"""A plain install works: the wheel, installed WITHOUT extras into a fresh virtual
environment, runs `mims --help`, `mims plan eoq` and `mims serve` (which answers /health
and serves the dashboards and the offline documentation's files from the wheel).

Slow (a minute or two on a busy 2-core machine: building the wheel, resolving and
installing 70 packages from pip's cache), so everything is checked in one test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "planning" / "examples"
# Files the wheel must carry besides the Python modules.
DATA_FILES = [
    "mims/dashboards/static/index.html",
    "mims/dashboards/login.html",
    "mims/dashboards/static/login.js",
    "mims/api_docs/static/swagger-ui/swagger-ui-bundle.js",
    "mims/api_docs/static/graphiql/graphiql.min.js",
    "mims/api_docs/static/graphiql.html",
    "mims/standards/epcis-2.0/EPCIS-JSON-Schema-root.json",  # `mims export epcis --validate`
    "mims/standards/epcis-2.0/NOTICE",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _plain_env(venv: Path, **extra: str) -> dict[str, str]:
    """The environment of a shell with only the fresh venv on PATH (not the dev one)."""
    dev_bin = str(Path(sys.prefix) / "bin")
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p != dev_bin]
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    return {**env, "PATH": os.pathsep.join([str(venv / "bin"), *path]), **extra}


def _run(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, input=stdin, env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_wheel_installed_without_extras_runs_the_cli_and_the_server(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), str(ROOT)])
    (wheel,) = dist.glob("mims-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for name in DATA_FILES:
        assert name in names, f"the wheel lacks {name}"

    venv = tmp_path / "venv"
    # A venv without pip of its own, installed into by this pip (`pip --python`): ensurepip
    # would add 10-15 s. No extras: what `pip install mims` gives a plant. --no-compile:
    # the test imports each module once, byte-compiling every dependency first doubles
    # the install's time.
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = str(venv / "bin" / "python")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-compile", str(wheel)])
    mims = str(venv / "bin" / "mims")
    work = tmp_path / "plant"
    work.mkdir()
    env = _plain_env(
        venv,
        MIMS_DATABASE_URL=f"sqlite:///{work}/events.db",
        MIMS_READ_MODEL_PATH=str(work / "read.duckdb"),
        MIMS_SECRET_KEY_FILE=str(work / "secret_key"),  # development's generated key
        MIMS_LOG_LEVEL="warning",
    )

    helped = _run([mims, "--help"], env=env, cwd=work)
    for command in ("serve", "plan", "projections", "demo"):
        assert command in helped.stdout

    problem = (EXAMPLES / "eoq.problem.json").read_text()
    planned = _run([mims, "plan", "eoq"], stdin=problem, env=env, cwd=work)
    assert json.loads(planned.stdout) == json.loads((EXAMPLES / "eoq.result.json").read_text())
    # GS1's schema comes with the wheel: an export validates where MIMS is installed.
    exported = _run([mims, "export", "epcis", "--output", str(work / "epcis.json"),
                     "--validate"], env=env, cwd=work)  # fmt: skip
    assert "0 schema errors" in exported.stdout

    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [mims, "serve", "--port", str(port)], env=env, cwd=work, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                health = httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "mims serve did not answer /health"
                time.sleep(0.2)
        assert health.status_code == 200
        for path in ("/login", "/dashboards/lib.js", "/docs", "/api-docs/graphiql/graphiql.min.js"):
            assert httpx.get(base + path, timeout=30).status_code == 200, path
        # A dashboard needs a login: a browser is sent to the login page.
        page = httpx.get(f"{base}/dashboards/", timeout=30)
        assert (page.status_code, page.headers["location"]) == (303, "/login")
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    # MIMS_* was honoured: the store is where it says, nothing went to ./var.
    assert (work / "events.db").exists()
    assert (work / "secret_key").stat().st_mode & 0o077 == 0  # the key is the owner's only
    assert not (work / "var").exists()
