"""A signed release through the real server: the approver, logged in, re-enters their
password in the body; the signer is whoever is logged in (a ``signer`` field is refused),
a key cannot sign, a wrong password is refused without a trace of it in the answer, the
person who placed the hold cannot release it, and GraphQL shows the signature."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledger.quality.commands import PlaceHold
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from tests.support.identity import PASSWORD, bearer, issue_key, register, signature_json
from tests.support.plant import Plant
from tests.support.servers import serving

WRONG = "Tr0ub4dor&3-not-mine"
SIGNED = """{ signedReleases(holdId: "QH-1") { item lot holdId quantity toStatus
  signature { signer printedName meaning reason signedAt timeZone bound } } }"""


class Server:
    def __init__(self, url: str, ledger: Ledger, app: Any) -> None:
        self.url, self.ledger, self.app = url, ledger, app

    def login(self, user: str) -> dict[str, str]:
        answer = httpx.post(f"{self.url}/auth/login", json={"user": user, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return bearer(answer.json()["token"])

    def release(self, headers: dict[str, str], sig: dict[str, str]) -> httpx.Response:
        body = {"hold_id": "QH-1", "signature": sig}
        return httpx.post(f"{self.url}/v1/holds/release", json=body, headers=headers, timeout=30)


@pytest.fixture
def server() -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(
            store_env(f"sqlite:///{folder}/events.db"),
            WriterSettings(batch_wait=0, separation_of_duties=True),
        )
        plant = Plant(ledger)
        plant.item("STEEL", tracking="lot")
        plant.receive("STEEL", "10", lot="L1")
        for person in ("ida", "otto"):
            register(ledger, person, grants=(("quality_approver", "S"),))
        ledger.execute(
            PlaceHold(hold_id="QH-1", sku="STEEL", lot="L1", reason="supplier notice"),
            actor="ida",
        )
        app = create_app(ledger=ledger, read_models=ReadModels(None))
        with serving(app) as url:
            yield Server(url, ledger, app)
        ledger.close()


def problem(answer: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["type"] == f"/problems/{type_}", body
    return body


def test_a_release_signed_with_the_re_entered_password(server: Server) -> None:
    otto = server.login("otto")
    before = server.ledger.max_position()

    named = server.release(otto, {**signature_json(), "signer": "ida"})
    problem(named, 422, "validation-error")  # the signer is who is logged in
    assert server.ledger.max_position() == before

    key = bearer(issue_key(server.ledger, (("quality_approver", "S"),), on_behalf_of="otto"))
    problem(server.release(key, signature_json()), 403, "signature-not-given")

    wrong = server.release(otto, signature_json(password=WRONG))
    problem(wrong, 403, "signature-not-given")
    assert WRONG not in wrong.text

    ida = server.login("ida")  # she placed the hold
    problem(server.release(ida, signature_json()), 409, "separation-of-duties")

    released = server.release(otto, signature_json("hardness test HT-55 passed"))
    assert released.status_code == 201, released.text
    assert PASSWORD not in released.text

    assert server.app.state.runner.wait_for(server.ledger.max_position(), timeout=30)
    answer = httpx.post(f"{server.url}/graphql", json={"query": SIGNED}, headers=otto, timeout=30)
    assert answer.status_code == 200, answer.text
    rows = answer.json()["data"]["signedReleases"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["item"], row["lot"], row["quantity"], row["toStatus"]) == (
        "STEEL", "L1", "10", "available",
    )  # fmt: skip
    sig = row["signature"]
    assert (sig["signer"], sig["printedName"], sig["meaning"]) == ("otto", "Otto", "approved")
    assert sig["reason"] == "hardness test HT-55 passed"
    assert sig["signedAt"].endswith("+00:00") and sig["timeZone"] == "UTC"
    assert sig["bound"] is True
