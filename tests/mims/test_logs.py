"""JSON logs of a real `mims serve` (issue 13, point 8): every line is JSON, uvicorn's
too; each request has an access line with its correlation id, taken from the request or
made and returned; a secret sent in a header, a query string or a body never appears."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from tests.support.servers import ServerProcess

SECRET = "s3cr3t-9f1c2e"  # noqa: S105 - the value the log must never show


def test_json_lines_with_correlation_ids_and_no_secrets(tmp_path: Path) -> None:
    server = ServerProcess(
        f"sqlite:///{tmp_path}/events.db",
        MIMS_LOG_JSON="true",
        MIMS_LOG_LEVEL="info",
        MIMS_READ_MODEL_PATH=str(tmp_path / "read_models.duckdb"),
        MIMS_EXPIRY_INTERVAL_MINUTES="0",
    )
    with server:
        secret_headers = {"X-Signature": SECRET, **server.headers}
        forged = httpx.post(
            f"{server.url}/v1/locations",
            json={"code": "PLANT", "level": "site"},
            headers={"Authorization": f"Bearer {SECRET}"},
        )
        assert forged.status_code == 401
        given = httpx.post(
            f"{server.url}/v1/locations?token={SECRET}",
            json={"code": "PLANT", "level": "site", "note": SECRET},
            headers={**secret_headers, "X-Correlation-ID": "scan-0042"},
            timeout=60,
        )
        assert given.status_code in (201, 422), given.text
        assert given.headers["X-Correlation-ID"] == "scan-0042"
        made = httpx.get(f"{server.url}/health/ready?apikey={SECRET}", headers=secret_headers)
        correlation = made.headers["X-Correlation-ID"]
        assert correlation
        refused = httpx.post(
            f"{server.url}/v1/locations",
            content=f'{{"code": "{SECRET}", "level": "nowhere"}}',
            headers={**secret_headers, "content-type": "application/json"},
        )
        assert refused.status_code == 422
        deadline = time.monotonic() + 30
        while "scan-0042" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.2)
    log = server.log()
    assert SECRET not in log
    assert server.headers["Authorization"].removeprefix("Bearer ") not in log
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # each is JSON
    assert any(line.get("logger", "").startswith("uvicorn") for line in lines)  # uvicorn's too
    access = [line for line in lines if line["event"] == "request"]
    by_id = {line.get("correlation_id"): line for line in access}
    assert by_id["scan-0042"]["path"] == "/v1/locations"
    assert by_id["scan-0042"]["method"] == "POST"
    assert by_id[correlation]["path"] == "/health/ready"
    assert all(line.get("correlation_id") for line in access)
