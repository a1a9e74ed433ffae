"""CORS is closed unless MIMS_CORS_ORIGINS names the origins whose pages may call the API:
a preflight from any other origin gets no allow header, so the browser sends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mims.server import create_app
from mims.settings import Settings
from projections.engine.view import ReadModels

MES = "https://mes.plant.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


def client(tmp_path: Path, **settings: str) -> TestClient:
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path}/events.db", **settings),  # type: ignore[arg-type]
        read_models=ReadModels(None),
    )
    return TestClient(app)


@pytest.mark.parametrize("path", ["/v1/holds/release", "/graphql", "/admin/projections/rebuild"])
def test_by_default_a_preflight_from_a_foreign_origin_is_not_allowed(
    tmp_path: Path, path: str
) -> None:
    assert Settings().cors_origins == ""
    with client(tmp_path) as api:
        answer = api.options(path, headers={"Origin": "https://evil.example", **PREFLIGHT})
        assert "access-control-allow-origin" not in answer.headers
        plain = api.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in plain.headers


def test_a_configured_origin_is_allowed_and_no_other(tmp_path: Path) -> None:
    with client(tmp_path, cors_origins=f"{MES}, https://wms.plant.example") as api:
        allowed = api.options("/v1/holds/release", headers={"Origin": MES, **PREFLIGHT})
        assert allowed.status_code == 200, allowed.text
        assert allowed.headers["access-control-allow-origin"] == MES
        foreign = api.options(
            "/v1/holds/release", headers={"Origin": "https://evil.example", **PREFLIGHT}
        )
        assert "access-control-allow-origin" not in foreign.headers


@pytest.mark.parametrize("origins", ["*", "mes.plant.example", "https://mes.plant.example/path"])
def test_a_wildcard_or_a_malformed_origin_is_refused_at_start(origins: str) -> None:
    with pytest.raises(ValueError, match="MIMS_CORS_ORIGINS"):
        Settings(cors_origins=origins)
