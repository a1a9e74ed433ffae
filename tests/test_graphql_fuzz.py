"""GraphQL fuzzing: a bounded Schemathesis run against the schema a real `mims serve`
holding the demo plant serves at /graphql (introspected; as an administrator, then as a
planner of the plant's site), and 0
server errors: no 5xx, no error in ``errors`` that the server did not mean (an internal
one, without a code of ours), and every answer a GraphQL response. Prints "graphql fuzz:
cases N, server errors 0".

Queries that are valid GraphQL but that the plant refuses (a cost over the budget, a
recall with no start, a code no command would take, a position not reached) are answered
with an ``errors`` entry carrying a code: those are the client's, not failures, so the
"valid data accepted" check is not run; the server-error and response checks are.

By hand, against any running server (from the repository's root):
    SCHEMATHESIS_HOOKS=tests/support/schemathesis_graphql.py st run http://127.0.0.1:8000/graphql -H "Authorization: Bearer $KEY" \\
        --checks not_a_server_error,response_schema_conformance -n 6 --generation-database none
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.demo import SITE, load_demo
from tests.support.identity import admin_key, issue_key
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

EXAMPLES_PER_FIELD = 6
SEED = 2026  # the same cases every run: a red run is reproduced by running it again
CHECKS = "not_a_server_error,response_schema_conformance"
HOOKS = Path(__file__).parent / "support" / "schemathesis_graphql.py"  # the Decimal scalar


def outcome(report: Path) -> tuple[int, Counter[str]]:
    """Cases run, and failed checks by field and Schemathesis code, from the NDJSON events."""
    cases = 0
    found: Counter[str] = Counter()
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        cases += len(recorder.get("cases", {}))
        for checks in recorder.get("checks", {}).values():
            for check in checks:
                if check["status"] == "failure":
                    failure = check["failure_info"]["failure"]
                    why = " | ".join(failure.get("message", "").splitlines()[:3])
                    found[f"{recorder['label']} {failure['code']}: {why}"] += 1
    return cases, found


def fuzz(st: str, url: str, key: str, folder: Path) -> tuple[int, Counter[str], str]:
    """One Schemathesis run as the holder of ``key``: cases, failures, its summary."""
    folder.mkdir()
    run = subprocess.run(
        [
            st,
            "run",
            f"{url}/graphql",
            "--header",
            f"Authorization: Bearer {key}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_FIELD),
            "--seed",
            str(SEED),
            "--generation-database",
            "none",
            "--no-color",
            "--report",
            "ndjson",
            "--report-dir",
            str(folder / "report"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=folder,  # its cache of found failures stays out of the repository
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
        check=False,
    )
    cases, found = outcome(next((folder / "report").glob("*.ndjson")))
    assert found or run.returncode == 0, run.stdout[-3000:]
    return cases, found, run.stdout[run.stdout.rfind("SUMMARY") :]


def test_fuzzed_graphql_queries_find_no_server_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As an administrator (every site), and as the plant's planner (its one site: every
    resolver then takes its scoped path, `queries.access.in_scope`)."""
    url = f"sqlite:///{tmp_path}/events.db"
    ledger = Ledger(store_env(url), WriterSettings())
    try:
        load_demo(ledger, show_progress=False)
        keys = {
            "administrator": admin_key(ledger),
            "planner": issue_key(ledger, (("planner", SITE),), name="site planner"),
        }
    finally:
        ledger.close()
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is in the dev extra"
    cases, found = 0, Counter[str]()
    with ServerProcess(url, MIMS_READ_MODEL_PATH=str(tmp_path / "read.duckdb")) as server:
        for who, key in keys.items():
            ran, failed, summary = fuzz(st, server.url, key, tmp_path / who)
            cases += ran
            found.update({f"{who}: {what}": n for what, n in failed.items()})
            with capsys.disabled():
                print(f"\n{who}: {summary}")
    with capsys.disabled():
        print(f"graphql fuzz: cases {cases}, server errors {sum(found.values())}")
    assert not found, "\n".join(f"{n} x {what}" for what, n in sorted(found.items()))
    assert cases >= 200, f"only {cases} cases ran"
