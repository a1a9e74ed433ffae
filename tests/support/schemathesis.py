"""Running Schemathesis (`st`) against a served plant and reading its NDJSON report: one
way for the OpenAPI and the GraphQL fuzz tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SEED = 2026  # the same cases every run: a red run is reproduced by running it again


@dataclass(frozen=True)
class FuzzRun:
    returncode: int
    stdout: str
    cases: int
    failures: Counter[str]  # failed checks by operation/field and Schemathesis code

    @property
    def summary(self) -> str:
        return self.stdout[self.stdout.rfind("SUMMARY") :]


def read_report(report: Path) -> tuple[int, Counter[str]]:
    """Cases run, and failed checks by label and code, from the run's NDJSON events."""
    cases = 0
    found: Counter[str] = Counter()
    for line in report.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        cases += len(recorder.get("cases", {}))
        for checks in recorder.get("checks", {}).values():
            for check in checks:
                if check["status"] == "failure":
                    failure = check["failure_info"]["failure"]
                    why = " | ".join(failure.get("message", "").splitlines()[:3])
                    title = f" {failure['title']}" if failure.get("title") else ""
                    found[f"{recorder['label']} {failure['code']}{title}: {why}"] += 1
    return cases, found


def fuzz(
    target: str,
    key: str,
    folder: Path,
    *,
    checks: str,
    phases: str,
    examples: int,
    config: Path | None = None,
    hooks: Path | None = None,
) -> FuzzRun:
    """One bounded Schemathesis run against ``target`` (an OpenAPI document's or the
    GraphQL endpoint's URL) as the holder of ``key``; ``folder`` keeps its report and its
    cache of found failures (out of the repository)."""
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is in the dev extra"
    folder.mkdir(parents=True, exist_ok=True)
    options = ["--config-file", str(config)] if config else []
    arguments = [
        *("run", target, "--header", f"Authorization: Bearer {key}"),
        *("--checks", checks, "--phases", phases, "--max-examples", str(examples)),
        *("--seed", str(SEED), "--generation-database", "none", "--no-color"),
        *("--report", "ndjson", "--report-dir", str(folder / "report")),
    ]
    run = subprocess.run(
        [st, *options, *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=folder,
        env={**os.environ, **({"SCHEMATHESIS_HOOKS": str(hooks)} if hooks else {})},
        check=False,
    )
    cases, found = read_report(next((folder / "report").glob("*.ndjson")))
    return FuzzRun(run.returncode, run.stdout, cases, found)
