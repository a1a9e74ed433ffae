"""Prometheus metrics at /metrics (issue 13, point 7): commands by type and outcome,
latency, batch sizes, conflicts and retries, read models' positions, lags and failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from mims.settings import Settings
from tests.support.identity import admin_headers
from tests.support.servers import serving

# An administrator's credentials for the served ledger (set by the `base` fixture).
HEADERS: dict[str, str] = {}


def samples(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = httpx.get(f"{base}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/events.db"
    settings = Settings(
        database_url=url, read_model_path=tmp_path / "rm.duckdb", expiry_interval_minutes=0
    )
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    HEADERS.update(admin_headers(ledger))
    try:
        with serving(create_app(settings, ledger=ledger)) as found:
            yield found
    finally:
        ledger.close()


def test_commands_are_counted_by_type_and_outcome(base: str) -> None:
    site = {"code": "PLANT", "level": "site", "command_id": "site-1"}
    assert httpx.post(f"{base}/v1/locations", json=site, headers=HEADERS).status_code == 201
    assert httpx.post(f"{base}/v1/locations", json=site, headers=HEADERS).status_code == 201
    orphan = {"code": "Z", "level": "zone", "parent": "NOWHERE"}
    assert httpx.post(f"{base}/v1/locations", json=orphan, headers=HEADERS).status_code >= 400
    found = samples(base)
    command = "RegisterLocation"
    assert value(found, "mims_commands_total", command=command, outcome="accepted") == 1
    assert value(found, "mims_commands_total", command=command, outcome="duplicate") == 1
    refused = {
        dict(labels)["outcome"]: v
        for (name, labels), v in found.items()
        if name == "mims_commands_total"
        and dict(labels)["outcome"] not in ("accepted", "duplicate")
    }
    assert sum(refused.values()) == 1, refused
    assert value(found, "mims_command_seconds_count", command=command) == 3
    assert value(found, "mims_batch_commands_count") >= 1
    assert ("mims_batch_conflicts_total", frozenset()) in found
    assert ("mims_command_retries_total", frozenset()) in found
    # Read models: one position, lag and failed flag each.
    assert value(found, "mims_projection_lag", projection="catalog") >= 0
    assert ("mims_projection_position", frozenset({("projection", "stock_on_hand")})) in found
    assert value(found, "mims_projection_failed", projection="stock_on_hand") == 0


def test_metrics_can_be_turned_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    settings = Settings(
        database_url=url,
        read_model_path=tmp_path / "rm.duckdb",
        metrics_enabled=False,
        expiry_interval_minutes=0,
    )
    with serving(create_app(settings)) as found:
        assert httpx.get(f"{found}/metrics").status_code == 404
