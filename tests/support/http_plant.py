"""A plant driven over real HTTP: a one-process server on an SQLite ledger, and a client
that remembers the last commit so every read sees every write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from tests.support.identity import bearer, login, register
from tests.support.servers import serving


class HttpPlant:
    def __init__(self, client: httpx.Client, ledger: Ledger, models: ReadModels) -> None:
        self.client = client
        self.ledger = ledger
        self.models = models
        self.position = 0

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.post(f"/v1{path}", json=body)
        assert answer.status_code == 201, answer.text
        found: dict[str, Any] = answer.json()
        self.position = max(self.position, int(found["position"]))
        return found

    def refused(self, path: str, body: dict[str, Any], status: int, type_: str) -> dict[str, Any]:
        before = self.ledger.max_position()
        answer = self.client.post(f"/v1{path}", json=body)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem: dict[str, Any] = answer.json()
        assert problem["type"] == f"/problems/{type_}", problem
        assert problem["detail"], problem
        assert self.ledger.max_position() == before  # nothing saved
        return problem

    def query(self, text: str, **variables: Any) -> Any:
        answer = self.client.post(
            "/graphql",
            json={"query": text, "variables": variables},
            headers={"X-Min-Position": str(self.position)},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


P = TypeVar("P", bound=HttpPlant)


@contextmanager
def served_plant(folder: Path, actor: str, kind: type[P]) -> Iterator[P]:
    """A server on a fresh SQLite ledger and in-memory read models, and its client, logged
    in as ``actor``: a person with an administrator's grant for every site."""
    ledger = Ledger(store_env(f"sqlite:///{folder}/events.db"), WriterSettings(batch_wait=0))
    models = ReadModels(None)
    app = create_app(ledger=ledger, read_models=models)
    try:
        register(ledger, actor, grants=(("administrator", "*"),))
        with serving(app) as url, httpx.Client(base_url=url) as c:
            c.headers.update(bearer(login(c, actor)))
            yield kind(c, ledger, models)
    finally:
        ledger.close()
