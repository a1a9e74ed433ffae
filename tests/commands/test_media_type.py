"""A command is taken only as ``application/json``. A web page on another site can make a
browser post ``text/plain``, a form or a body without a type to the plant's MIMS with no
CORS preflight; such a post is refused with 415 and saves nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from tests.support.identity import PASSWORD, log_in

RELEASE = orjson.dumps(
    {"hold_id": "QH-1", "signature": {"meaning": "approved", "reason": "ok", "password": PASSWORD}}
)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    yield led
    led.close()


@pytest.fixture
def api(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger=ledger, read_models=ReadModels(None))) as client:
        log_in(client, ledger, "qa", grants=(("administrator", "*"), ("quality_approver", "S")))
        setup = [
            ("/v1/locations", {"code": "S", "level": "site"}),
            ("/v1/locations", {"code": "W", "level": "warehouse", "parent": "S"}),
            ("/v1/locations", {"code": "A", "level": "zone", "parent": "W"}),
            (
                "/v1/items",
                {"sku": "STEEL", "description": "Steel", "kind": "raw_material",
                 "unit_of_measure": "kg", "precision": 2},
            ),
            ("/v1/receipts", {"sku": "STEEL", "location": "A", "quantity": "10", "unit_cost": "2"}),
            ("/v1/holds", {"hold_id": "QH-1", "sku": "STEEL", "reason": "suspect"}),
        ]  # fmt: skip
        for path, body in setup:
            answer = client.post(path, json=body)
            assert answer.status_code == 201, answer.text
        yield client


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",  # what a cross-site fetch() or <form enctype="text/plain"> sends
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        None,
    ],
)
def test_a_release_posted_as_anything_but_json_is_refused_and_the_hold_stays(
    api: TestClient, ledger: Ledger, content_type: str | None
) -> None:
    before = ledger.max_position()
    headers = {"Origin": "https://evil.example"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = api.post("/v1/holds/release", content=RELEASE, headers=headers)
    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/unsupported-media-type"
    assert ledger.max_position() == before
    # The hold is still there: the same body sent as JSON releases it.
    released = api.post(
        "/v1/holds/release", content=RELEASE, headers={"Content-Type": "application/json"}
    )
    assert released.status_code == 201, released.text
    assert ledger.max_position() > before


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_with_parameters_or_in_other_case_is_taken(api: TestClient, content_type: str) -> None:
    answer = api.post("/v1/holds/release", content=RELEASE, headers={"Content-Type": content_type})
    assert answer.status_code == 201, answer.text


def test_the_415_problem_type_explains_itself(api: TestClient) -> None:
    answer = api.get("/problems/unsupported-media-type")
    assert answer.status_code == 200, answer.text
    assert "application/json" in answer.text
