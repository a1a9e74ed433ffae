"""The webhook routes over HTTP: a target an outside receiver never has is refused before
anything is saved, naming the address; the secret is answered once; only a plant-wide
webhooks.manage grant may subscribe."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.store import store_env
from ledger.webhooks.subscription import WebhookSubscription, webhook_id
from ledger.webhooks.targets import (
    TargetPolicy,
    WebhookTargetRefused,
    check_addresses,
    host_of,
    refusal,
)
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from mims.settings import Settings
from projections.engine.view import ReadModels
from tests.support.identity import bearer, issue_key, log_in

PUBLIC = "https://93.184.215.14/hooks/mims"  # a literal public address: no DNS needed


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Ledger]]:
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    app = create_app(
        settings=Settings(webhooks_enabled=False),
        ledger=ledger,
        read_models=ReadModels(None),
    )
    with TestClient(app) as client:
        log_in(client, ledger, "admin")
        yield client, ledger
    ledger.close()


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://127.0.0.1/hook", "127.0.0.1"),
        ("https://10.1.2.3/hook", "10.1.2.3"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("https://[::1]:8443/hook", "::1"),
        ("https://localhost/hook", "127.0.0.1"),  # a name that resolves to loopback
        ("https://192.168.0.10/hook", "192.168.0.10"),
        ("https://[::ffff:10.0.0.1]/hook", "::ffff:10.0.0.1"),
    ],
)
def test_private_targets_are_refused_and_nothing_is_saved(
    served: tuple[TestClient, Ledger], url: str, address: str
) -> None:
    client, ledger = served
    answer = client.post("/v1/webhooks", json={"subscription_id": "erp", "url": url})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["type"].endswith("/webhook-target-refused")
    assert address in body["detail"]
    assert ledger.find(WebhookSubscription, webhook_id("erp")) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/hook",  # plain http
        "ftp://93.184.215.14/hook",
        "https://user:pw@93.184.215.14/hook",
        "https:///nohost",
    ],
)
def test_malformed_targets_are_refused(served: tuple[TestClient, Ledger], url: str) -> None:
    client, ledger = served
    answer = client.post("/v1/webhooks", json={"subscription_id": "erp", "url": url})
    assert answer.status_code == 422, answer.text
    assert ledger.find(WebhookSubscription, webhook_id("erp")) is None


def test_the_secret_is_answered_once(served: tuple[TestClient, Ledger]) -> None:
    client, ledger = served
    body = {
        "subscription_id": "erp",
        "url": PUBLIC,
        "event_types": ["com.mims.stock.*"],
        "description": "the ERP",
    }
    first = client.post("/v1/webhooks", json=body, headers={"Idempotency-Key": "wh-1"})
    assert first.status_code == 201, first.text
    secret = first.json()["data"]["secret"]
    assert secret.startswith("whsec_")
    again = client.post("/v1/webhooks", json=body, headers={"Idempotency-Key": "wh-1"})
    assert again.status_code == 201
    assert again.json()["duplicate"] is True
    assert secret not in again.text
    taken = client.post("/v1/webhooks", json=body)
    assert taken.status_code == 409
    assert secret not in taken.text
    # The receipt keeps no secret; the subscription's own event does (private topic).
    stored = b"".join(n.state for n in ledger.app.recorder.select_notifications(1, 1000))
    assert stored.count(secret.encode()) == 1
    for path, extra in [
        ("/v1/webhooks/disable", {"reason": "maintenance"}),
        ("/v1/webhooks/enable", {"reason": "back"}),
        ("/v1/webhooks/replay", {"from_position": 1}),
        ("/v1/webhooks/delete", {"reason": "gone"}),
    ]:
        answer = client.post(path, json={"subscription_id": "erp", **extra})
        assert answer.status_code == 201, answer.text
        assert secret not in answer.text
    sub = ledger.find(WebhookSubscription, webhook_id("erp"))
    assert sub is not None
    assert sub.deleted
    assert sub.generation == 1
    refused = client.post("/v1/webhooks/enable", json={"subscription_id": "erp", "reason": "x"})
    assert refused.status_code == 409
    unknown = client.post("/v1/webhooks/enable", json={"subscription_id": "nope", "reason": "x"})
    assert unknown.status_code == 404


def test_only_a_plant_wide_grant_manages_webhooks(served: tuple[TestClient, Ledger]) -> None:
    client, ledger = served
    for grants in [(("storekeeper", "P1"),), (("integration", "P1"),), (("auditor", "*"),)]:
        key = issue_key(ledger, grants)
        answer = client.post(
            "/v1/webhooks",
            json={"subscription_id": "erp", "url": PUBLIC},
            headers=bearer(key),
        )
        assert answer.status_code == 403, (grants, answer.text)
    key = issue_key(ledger, (("administrator", "*"),))
    answer = client.post(
        "/v1/webhooks", json={"subscription_id": "erp", "url": PUBLIC}, headers=bearer(key)
    )
    assert answer.status_code == 201, answer.text


def test_allowing_private_targets_is_the_operators_choice() -> None:
    policy = TargetPolicy(allow_private=True, allow_http=True)
    assert host_of("http://127.0.0.1:8080/x", policy) == ("127.0.0.1", 8080)
    check_addresses("localhost", [ipaddress.ip_address("127.0.0.1")], policy)
    with pytest.raises(WebhookTargetRefused):
        check_addresses("localhost", [ipaddress.ip_address("127.0.0.1")], TargetPolicy())
    # One bad address among good ones is enough to refuse.
    with pytest.raises(WebhookTargetRefused, match=r"10\.0\.0\.1"):
        check_addresses(
            "mixed",
            [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.1")],
            TargetPolicy(),
        )


NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NETWORKS), st.integers(min_value=0))
def test_every_address_of_a_non_public_network_is_refused(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network, offset: int
) -> None:
    address = network[offset % network.num_addresses]
    assert refusal(address) is not None
    if isinstance(address, ipaddress.IPv4Address):
        # The same address written as IPv4-mapped IPv6 is refused too.
        assert refusal(ipaddress.IPv6Address(f"::ffff:{address}")) is not None


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9+.\-]{0,8}", fullmatch=True))
def test_only_https_passes_the_default_policy(scheme: str) -> None:
    url = f"{scheme}://93.184.215.14/x"
    if scheme == "https":
        assert host_of(url, TargetPolicy()) == ("93.184.215.14", 443)
    else:
        with pytest.raises(WebhookTargetRefused):
            host_of(url, TargetPolicy())
