"""The README's five-minute tour runs as written against a fresh server with the demo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.demo import DEMO_PASSWORD, demo_people, load_demo
from mims.server import create_app
from mims.settings import Settings
from tests.support.servers import serving

README = Path(__file__).parent.parent / "README.md"
SECRET_KEY = "tour-secret-key-of-at-least-32-characters"  # noqa: S105 - a test server's


def login_token(url: str, user: str) -> str:
    answer = httpx.post(f"{url}/auth/login", json={"user": user, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


def tour_steps() -> list[tuple[int, str]]:
    """(expected HTTP status or exit code, command) for every command of the tour."""
    text = README.read_text()
    tour = text.split("## Five-minute tour", 1)[1].split("\n## ", 1)[0]
    steps: list[tuple[int, str]] = []
    for block in re.findall(r"```sh\n(.*?)```", tour, flags=re.DOTALL):
        expected: int | None = None
        command: list[str] = []
        for line in block.splitlines():
            marker = re.match(r"#\s*→\s*(?:exit\s+)?(\d+)", line.strip())
            if not command and marker:
                expected = int(marker.group(1))
                continue
            if not command and not line.startswith(("curl", ".venv/bin/mims")):
                continue
            command.append(line)
            joined = "\n".join(command)
            if joined.count("'") % 2 == 0 and not line.endswith("\\"):
                assert expected is not None, f"no '# → status' before: {joined}"
                steps.append((expected, joined))
                command, expected = [], None
    return steps


@dataclass
class Server:
    url: str
    ledger: Ledger
    app: FastAPI

    def caught_up(self) -> None:
        """A reader of the tour is slower than this test: wait, as they would, until the
        read models hold every command posted so far."""
        assert self.app.state.runner.wait_for(self.ledger.max_position(), timeout=30)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path}/events.db"
    ledger = Ledger(store_env(url), WriterSettings())
    load_demo(ledger, show_progress=False)
    demo_people(ledger)  # as `mims demo load` creates them in development
    settings = Settings(
        database_url=url, read_model_path=tmp_path / "read.duckdb", secret_key=SECRET_KEY
    )
    app = create_app(settings, ledger=ledger)
    with serving(app) as base:
        yield Server(base, ledger, app)
    ledger.close()


def test_the_tour_has_steps() -> None:
    steps = tour_steps()
    assert len(steps) >= 10
    assert {code for code, _ in steps} >= {200, 201, 404, 409, 422}


def test_the_readme_tour_answers_what_it_says(server: Server, tmp_path: Path) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    env = {
        **os.environ,
        "MIMS_DATABASE_URL": f"sqlite:///{tmp_path}/events.db",
        "MIMS_READ_MODEL_PATH": str(tmp_path / "read.duckdb"),
        "MIMS_HOST": host,
        "MIMS_PORT": port,
        # The tour's `mims` commands ask the server, signed with its secret key.
        "MIMS_SECRET_KEY": SECRET_KEY,
        # The tour's first block logs in; each step below runs in a shell of its own.
        "MIMS_TOKEN": login_token(server.url, "demo-administrator"),
        "QA_TOKEN": login_token(server.url, "demo-quality-approver"),
    }
    mims = str(Path(sys.executable).parent / "mims")
    (tmp_path / "var").mkdir()
    for expected, command in tour_steps():
        if "/graphql" in command:
            server.caught_up()
        if command.startswith("curl"):
            runnable = command.replace("localhost:8000", f"{host}:{port}")
            runnable += " -o /dev/stderr -w '%{http_code}'"
        else:
            runnable = command.replace(".venv/bin/mims", mims) + "; echo $?"
        done = subprocess.run(
            ["bash", "-c", runnable],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
            env=env,
        )
        answer = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        assert answer == str(expected), f"{command}\n{done.stdout}\n{done.stderr}"
        if "/graphql" in command:  # GraphQL answers 200 with its errors in the body
            assert '"errors"' not in done.stderr, f"{command}\n{done.stderr}"
