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


PASSWORD = "Tr0ub4dor-log-test-7731"  # noqa: S105 - must never reach the log
WRONG = "wrong-password-log-test-5520"


def test_passwords_session_tokens_and_new_keys_never_reach_the_log(tmp_path: Path) -> None:
    """The secrets of identity at the most verbose level: a password registered and set, a
    login and a failed one, the session token it answers, a key's text shown once, and a
    signed release with a wrong and then the right password re-entered."""
    server = ServerProcess(
        f"sqlite:///{tmp_path}/events.db",
        MIMS_LOG_JSON="true",
        MIMS_LOG_LEVEL="debug",
        MIMS_READ_MODEL_PATH=str(tmp_path / "read_models.duckdb"),
        MIMS_EXPIRY_INTERVAL_MINUTES="0",
    )
    with server:
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as admin:
            registered = admin.post(
                "/v1/users",
                json={"user_id": "erin", "printed_name": "Erin Ward", "password": PASSWORD},
            )
            assert registered.status_code == 201, registered.text
            granted = admin.post(
                "/v1/users/grant",
                json={"user_id": "erin", "grant": {"role": "auditor", "site": "*"}},
            )
            assert granted.status_code == 201, granted.text
            approver = admin.post(
                "/v1/users/grant",
                json={"user_id": "erin", "grant": {"role": "quality_approver", "site": "PLANT"}},
            )
            assert approver.status_code == 201, approver.text
            for path, body in (
                ("/v1/locations", {"code": "PLANT", "level": "site"}),
                ("/v1/locations", {"code": "W", "level": "warehouse", "parent": "PLANT"}),
                ("/v1/locations", {"code": "A", "level": "zone", "parent": "W"}),
                ("/v1/items", {"sku": "STEEL", "description": "Steel", "kind": "raw_material",
                               "unit_of_measure": "kg"}),
                ("/v1/receipts", {"sku": "STEEL", "location": "A", "quantity": "5",
                                  "unit_cost": "2"}),
                ("/v1/holds", {"hold_id": "QH-1", "sku": "STEEL", "reason": "suspect"}),
            ):  # fmt: skip
                made = admin.post(path, json=body)
                assert made.status_code == 201, made.text
            issued = admin.post(
                "/v1/api-keys",
                json={"name": "scanner 7", "grants": [{"role": "operator", "site": "PLANT"}]},
            )
            assert issued.status_code == 201, issued.text
            key = issued.json()["data"]["key"]
        with httpx.Client(base_url=server.url, timeout=60) as person:
            refused = person.post("/auth/login", json={"user": "erin", "password": WRONG})
            assert refused.status_code == 401
            logged_in = person.post("/auth/login", json={"user": "erin", "password": PASSWORD})
            assert logged_in.status_code == 200, logged_in.text
            token = logged_in.json()["token"]
            person.cookies.clear()
            asked = person.post(
                "/graphql",
                json={"query": "{ projectionStatus { name } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert asked.status_code == 200, asked.text
            used = person.post(
                "/graphql",
                json={"query": "{ projectionStatus { name } }"},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert used.status_code in (200, 403), used.text
            signer = {"Authorization": f"Bearer {token}"}
            for password, status in ((WRONG, 403), (PASSWORD, 201)):
                signed = person.post(
                    "/v1/holds/release",
                    json={
                        "hold_id": "QH-1",
                        "signature": {"meaning": "approved", "reason": "ok", "password": password},
                    },
                    headers=signer,
                )
                assert signed.status_code == status, signed.text
                assert password not in signed.text
        time.sleep(1)  # let the last access lines reach the log
    log = server.log()
    assert "erin" in log or "/auth/login" in log  # the requests were logged at all
    for secret in (PASSWORD, WRONG, token, key, key.rsplit("_", 1)[-1]):
        assert secret not in log
