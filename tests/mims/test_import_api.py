"""POST /v1/imports answers 202 with a job; the job's result is fetched, kept over a
restart of the server, and shown only to whoever started it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from mims.settings import Settings
from projections.engine.view import ReadModels
from tests.support.identity import admin_headers, bearer, issue_key
from tests.support.plant import Plant

SAMPLES = Path(__file__).parents[2] / "docs" / "samples"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    yield led
    led.close()


def app_of(ledger: Ledger, tmp_path: Path) -> Any:
    settings = Settings(imports_dir=tmp_path / "imports")
    return create_app(settings=settings, ledger=ledger, read_models=ReadModels(None))


def finished(client: TestClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(600):
        job: dict[str, Any] = client.get(location, headers=headers).json()
        if job["state"] in ("done", "refused", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(job)


def test_an_import_job_from_202_to_its_result(ledger: Ledger, tmp_path: Path) -> None:
    Plant(ledger)
    headers = admin_headers(ledger)
    sheet = b"sku,description,kind,unit_of_measure\nA1,Steel,raw_material,kg\nB1,Bad,plastic,kg\n"
    with TestClient(app_of(ledger, tmp_path)) as client:
        answer = client.post(
            "/v1/imports",
            data={"kind": "items"},
            files={"file": ("items.csv", sheet, "text/csv")},
            headers=headers,
        )
        assert answer.status_code == 202, answer.text
        location = answer.headers["Location"]
        job = finished(client, location, headers)
        assert job["state"] == "refused"
        assert job["result"]["posted"] == 0
        assert [(e["row"], e["column"]) for e in job["result"]["errors"]] == [(3, "kind")]
        assert ledger.item("A1") is None
        # Someone else cannot see it.
        other = bearer(issue_key(ledger, (("administrator", "*"),), name="someone else"))
        assert client.get(location, headers=other).status_code == 404
        # The good rows, asked for.
        answer = client.post(
            "/v1/imports",
            data={"kind": "items", "skip_invalid": "true"},
            files={"file": ("items.csv", sheet, "text/csv")},
            headers=headers,
        )
        job = finished(client, answer.headers["Location"], headers)
        assert (job["state"], job["result"]["posted"], job["result"]["skipped"]) == ("done", 1, 1)
        assert ledger.item("A1") is not None
    # A restarted server still has the finished job's result.
    with TestClient(app_of(ledger, tmp_path)) as client:
        again = client.get(answer.headers["Location"], headers=headers).json()
        assert again["result"]["posted"] == 1


def test_a_caller_without_the_kinds_permission_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    storekeeper = bearer(issue_key(ledger, (("storekeeper", "S"),), name="storekeeper"))
    with TestClient(app_of(ledger, tmp_path)) as client:
        answer = client.post(
            "/v1/imports",
            data={"kind": "items"},
            files={"file": ("items.csv", (SAMPLES / "items.csv").read_bytes(), "text/csv")},
            headers=storekeeper,
        )
        assert answer.status_code == 403, answer.text
        assert ledger.item("STEEL-SHEET") is None
