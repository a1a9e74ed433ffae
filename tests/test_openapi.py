"""The served OpenAPI document describes the API exactly: a bounded Schemathesis run
(response conformance, status codes, content types, Allow headers, valid data accepted and
invalid data refused) against a real `mims serve` holding the demo plant finds 0 failures.

By hand, against any running server (from the repository's root):
    st --config-file tests/schemathesis.toml run http://127.0.0.1:8000/openapi.json \\
        --checks all --phases examples,coverage,fuzzing -n 15 --generation-database none
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.demo import SITE, load_demo
from tests.support.identity import issue_key
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 15
SEED = 2026  # the same cases every run: a red run is reproduced by running it again


def failures(report: Path) -> Counter[str]:
    """Failed checks by operation and Schemathesis code, from the run's NDJSON events."""
    found: Counter[str] = Counter()
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        label = finished["recorder"]["label"]
        for checks in finished["recorder"].get("checks", {}).values():
            for check in checks:
                if check["status"] == "failure":
                    failure = check["failure_info"]["failure"]
                    why = " | ".join(failure.get("message", "").splitlines()[:3])
                    found[f"{label} {failure['code']} {failure.get('title', '')}: {why}"] += 1
    return found


def test_the_api_answers_as_its_openapi_document_says(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    ledger = Ledger(store_env(url), WriterSettings())
    try:
        load_demo(ledger, show_progress=False)
        # Everything an administrator may do, and the signed quality decisions at the plant.
        key = issue_key(ledger, (("administrator", "*"), ("quality_approver", SITE)))
    finally:
        ledger.close()
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is in the dev extra"
    reports = tmp_path / "report"
    with ServerProcess(url, MIMS_READ_MODEL_PATH=str(tmp_path / "read.duckdb")) as server:
        run = subprocess.run(
            [
                st,
                "--config-file",
                str(CONFIG),
                "run",
                f"{server.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--seed",
                str(SEED),
                "--generation-database",
                "none",
                "--no-color",
                "--report",
                "ndjson",
                "--report-dir",
                str(reports),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,  # its cache of found failures stays out of the repository
            check=False,
        )
    summary = run.stdout[run.stdout.rfind("SUMMARY") :]
    print(summary)  # operations, cases generated and failures, in the test's output
    found = failures(next(reports.glob("*.ndjson")))
    assert not found, "\n".join(f"{n} x {what}" for what, n in sorted(found.items()))
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Tested: " in summary
