"""A GraphQL client over a TestClient for the read-side tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


class GraphQL:
    """``query`` answers the data of a 200 without errors; ``errors`` the errors of a
    query that must fail."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def query(self, text: str, variables: dict[str, Any] | None = None, **headers: str) -> Any:
        answer = self.client.post(
            "/graphql", json={"query": text, "variables": variables or {}}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(self, text: str) -> list[dict[str, Any]]:
        body = self.client.post("/graphql", json={"query": text}).json()
        assert body.get("errors"), body
        return list(body["errors"])
