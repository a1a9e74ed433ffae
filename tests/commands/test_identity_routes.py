"""The identity routes over HTTP: a password is hashed off the writer and never echoed;
a key's text is in the first 201 only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.identity.accounts import Account, account_id, verify_password
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from tests.support.identity import log_in

PASSWORD = "correct horse battery"  # noqa: S105 - a test person's


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Ledger]]:
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    app = create_app(ledger=ledger, read_models=ReadModels(None))
    with TestClient(app) as client:
        log_in(client, ledger, "admin")
        yield client, ledger
    ledger.close()


def test_people_and_keys_over_http(served: tuple[TestClient, Ledger]) -> None:
    client, ledger = served
    posted = client.post(
        "/v1/users",
        json={"user_id": "Anna", "printed_name": "Anna Keller", "password": PASSWORD},
    )
    assert posted.status_code == 201, posted.text
    assert PASSWORD not in posted.text
    account = ledger.find(Account, account_id("anna"))
    assert account is not None
    assert verify_password(account, PASSWORD)
    # A hash of the client's choosing is refused (mass assignment).
    forged = client.post(
        "/v1/users/password",
        json={"user_id": "anna", "password": PASSWORD, "_password_hash": "$argon2id$v=19$x"},
    )
    assert forged.status_code == 422
    short = client.post("/v1/users/password", json={"user_id": "anna", "password": "short"})
    assert short.status_code == 422
    assert "short" not in short.text

    body = {"name": "ERP", "grants": [{"role": "integration", "site": "plant-a"}]}
    first = client.post("/v1/api-keys", json=body, headers={"Idempotency-Key": "key-1"})
    assert first.status_code == 201, first.text
    data = first.json()["data"]
    assert data["key"].startswith(f"mims_{data['key_id']}_")
    again = client.post("/v1/api-keys", json=body, headers={"Idempotency-Key": "key-1"})
    assert again.status_code == 201
    assert again.json()["duplicate"] is True
    assert again.json()["data"] == {"key_id": data["key_id"], "name": "ERP"}
    wide = client.post(
        "/v1/api-keys", json={"name": "x", "grants": [{"role": "storekeeper", "site": "*"}]}
    )
    assert wide.status_code == 409
    assert wide.json()["type"].endswith("account-refused")
