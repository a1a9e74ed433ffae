"""The webhook subscriptions and delivery log in GraphQL, from a running server's own
dispatcher delivering to a real local receiver: state, lag, attempts with status,
latency and the receiver's answer; never the secret; administrators of every site
only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from mims.settings import Settings
from projections.engine.view import ReadModels
from tests.support.graphql import GraphQL
from tests.support.identity import bearer, issue_key, log_in
from tests.support.plant import Plant
from tests.support.webhook_receiver import Receiver, receiving, wait_until

SUBSCRIPTIONS = """{ webhookSubscriptions { subscriptionId url state disabledReason position
  lag delivered failedAttempts eventTypes } }"""
DELIVERIES = """query($sub: String, $status: String, $first: Int, $after: String) {
  webhookDeliveries(subscription: $sub, status: $status, first: $first, after: $after) {
    items { id subscriptionId webhookId attempt status statusCode error latencyMs response
            firstPosition lastPosition events at }
    nextCursor } }"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Ledger]]:
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    settings = Settings(
        webhooks_allow_private=True,
        webhooks_allow_http=True,
        webhooks_read_timeout_seconds=0.5,
        webhooks_retry_base_seconds=0.01,
        webhooks_retry_cap_seconds=0.05,
    )
    app = create_app(settings=settings, ledger=ledger, read_models=ReadModels(None))
    with TestClient(app) as client:
        log_in(client, ledger, "admin")
        yield client, ledger
    ledger.close()


def test_subscriptions_and_their_delivery_log(served: tuple[TestClient, Ledger]) -> None:
    client, ledger = served
    graphql = GraphQL(client)
    receiver = Receiver(fail=0.4, seed=2)
    with receiving(receiver):
        created = client.post(
            "/v1/webhooks",
            json={"subscription_id": "erp", "url": receiver.url("/erp"), "description": "ERP"},
        )
        assert created.status_code == 201, created.text
        secret = created.json()["data"]["secret"]
        receiver.secrets["/erp"] = secret
        Plant(ledger)  # nine locations
        wait_until(lambda: len({r.webhook_id for r in receiver.accepted()}) >= 9)

        def caught_up() -> bool:
            subs = graphql.query(SUBSCRIPTIONS)["webhookSubscriptions"]
            return bool(subs) and subs[0]["lag"] == 0

        wait_until(caught_up, what="lag 0")
        answer = client.post("/graphql", json={"query": SUBSCRIPTIONS})
    assert secret not in answer.text
    (sub,) = answer.json()["data"]["webhookSubscriptions"]
    assert sub["subscriptionId"] == "erp"
    assert sub["state"] == "active"
    assert sub["delivered"] >= 9
    assert sub["failedAttempts"] > 0
    log = graphql.query(DELIVERIES, {"sub": "erp", "first": 500})["webhookDeliveries"]
    items = log["items"]
    assert log["nextCursor"] is None
    assert {i["status"] for i in items} == {"delivered", "failed"}
    assert all(i["latencyMs"] >= 0 for i in items)
    failed = [i for i in items if i["status"] == "failed"]
    assert all(i["statusCode"] == 500 and "receiver says no" in i["response"] for i in failed)
    assert [int(i["id"]) for i in items] == sorted((int(i["id"]) for i in items), reverse=True)
    # Paging: two at a time, newest first, the whole log once.
    paged, after = [], None
    while True:
        page = graphql.query(DELIVERIES, {"first": 2, "after": after})["webhookDeliveries"]
        paged += [i["id"] for i in page["items"]]
        after = page["nextCursor"]
        if after is None:
            break
    assert paged == [i["id"] for i in items]
    only_failed = graphql.query(DELIVERIES, {"status": "failed", "first": 500})
    assert len(only_failed["webhookDeliveries"]["items"]) == len(failed)


def test_only_administrators_of_every_site_read_webhooks(
    served: tuple[TestClient, Ledger],
) -> None:
    client, ledger = served
    for grants, allowed in [
        ((("administrator", "P1"),), False),
        ((("auditor", "*"),), False),
        ((("administrator", "*"),), True),
    ]:
        headers = bearer(issue_key(ledger, grants))
        answer = client.post(
            "/graphql", json={"query": "{ webhookSubscriptions { url } }"}, headers=headers
        ).json()
        codes = [e.get("extensions", {}).get("code") for e in answer.get("errors", [])]
        assert ("FORBIDDEN" not in codes) == allowed, (grants, answer)
