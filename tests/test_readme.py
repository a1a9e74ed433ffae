"""The README's five-minute tour runs as written against a fresh server with the demo."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.demo import load_demo
from mims.server import create_app
from projections.view import ReadModels
from tests.servers import serving

README = Path(__file__).parent.parent / "README.md"


def tour_steps() -> list[tuple[int, str]]:
    """(expected status, curl command) for every command of the tour, in order."""
    text = README.read_text()
    tour = text.split("## Five-minute tour", 1)[1].split("\n## ", 1)[0]
    steps: list[tuple[int, str]] = []
    for block in re.findall(r"```sh\n(.*?)```", tour, flags=re.DOTALL):
        expected: int | None = None
        command: list[str] = []
        for line in block.splitlines():
            marker = re.match(r"#\s*→\s*(\d{3})", line.strip())
            if not command and marker:
                expected = int(marker.group(1))
                continue
            if not command and not line.startswith("curl"):
                continue
            command.append(line)
            joined = "\n".join(command)
            if joined.count("'") % 2 == 0 and not line.endswith("\\"):
                assert expected is not None, f"no '# → status' before: {joined}"
                steps.append((expected, joined))
                command, expected = [], None
    return steps


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings())
    load_demo(ledger, show_progress=False)
    with serving(
        create_app(ledger=ledger, read_models=ReadModels(tmp_path / "read.duckdb"))
    ) as url:
        yield url
    ledger.close()


def test_the_tour_has_steps() -> None:
    steps = tour_steps()
    assert len(steps) >= 10
    assert {code for code, _ in steps} >= {200, 201, 404, 409, 422}


def test_the_readme_tour_answers_what_it_says(server: str) -> None:
    for expected, command in tour_steps():
        runnable = command.replace("localhost:8000", server.removeprefix("http://"))
        done = subprocess.run(
            ["bash", "-c", runnable + " -o /dev/stderr -w '%{http_code}'"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.stdout.strip() == str(expected), f"{command}\n{done.stderr}"
