"""`mims users …` and `mims keys …` on the ledger of MIMS_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.identity.authentication import Authenticator, NotAuthenticated
from ledger.identity.roles import Grant, Role
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cli import app

cli = CliRunner()
PASSWORD = "a long enough passphrase"  # noqa: S105 - a test person's


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/events.db"
    monkeypatch.setenv("MIMS_DATABASE_URL", url)
    monkeypatch.setenv("MIMS_READ_MODEL_PATH", str(tmp_path / "read.duckdb"))
    return url


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = cli.invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def test_people_are_managed_from_the_command_line(url: str) -> None:
    code, out = run(
        "users", "add", "Anna", "--name", "Anna Keller", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0, out
    assert "registered anna" in out
    assert run("users", "grant", "anna", "storekeeper", "plant-a", "--locations", "wh1-")[0] == 0
    assert run("users", "grant", "anna", "auditor", "*")[0] == 0
    code, out = run("users", "grant", "anna", "storekeeper", "*")
    assert code == 1
    assert "site by site" in out
    code, out = run("users", "add", "anna", "--name", "Another Anna", "--no-password")
    assert code == 1
    assert "never reused" in out
    code, out = run("users", "list")
    assert code == 0, out
    assert "anna" in out
    assert "storekeeper@PLANT-A/WH1-" in out
    assert PASSWORD not in out
    assert "$argon2" not in out

    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        auth = Authenticator(ledger, freshness=0)
        principal = auth.by_password("anna", PASSWORD)
        assert (
            Grant(role=Role.STOREKEEPER, site="PLANT-A", location_prefix="WH1-") in principal.grants
        )
        # The password typed twice at the prompt.
        code, out = run("users", "passwd", "anna", stdin="another passphrase\nanother passphrase\n")
        assert code == 0, out
        assert auth.by_password("anna", "another passphrase").id == "anna"
        assert run("users", "revoke", "anna", "auditor", "*")[0] == 0
        assert run("users", "deactivate", "anna", "--reason", "left")[0] == 0
        with pytest.raises(NotAuthenticated, match="deactivated"):
            auth.by_password("anna", "another passphrase")
        assert "deactivated" in run("users", "list")[1]
        assert run("users", "reactivate", "anna", "--reason", "back")[0] == 0
        assert run("users", "unlock", "anna", "--reason", "checked")[0] == 0
        assert auth.by_password("anna", "another passphrase").grants == (
            Grant(role=Role.STOREKEEPER, site="PLANT-A", location_prefix="WH1-"),
        )
    finally:
        ledger.close()
    code, out = run("users", "passwd", "nobody", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1
    assert "no user nobody" in out


def test_keys_are_issued_once_and_revoked(url: str) -> None:
    assert run("users", "add", "erp.owner", "--name", "ERP Owner", "--no-password")[0] == 0
    code, out = run(
        "keys", "issue", "ERP inbound", "--grant", "integration@PLANT-A", "--grant",
        "storekeeper@PLANT-A/RECV", "--on-behalf-of", "erp.owner",
    )  # fmt: skip
    assert code == 0, out
    key = next(line for line in out.splitlines() if line.startswith("mims_"))
    key_id = key.split("_")[1]
    code, listed = run("keys", "list")
    assert code == 0, listed
    assert key_id in listed
    assert "inbound" in listed
    assert key.rpartition("_")[2] not in listed
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        auth = Authenticator(ledger, freshness=0)
        principal = auth.by_api_key(key)
        assert principal.on_behalf_of == "erp.owner"
        assert principal.grants == (
            Grant(role=Role.INTEGRATION, site="PLANT-A"),
            Grant(role=Role.STOREKEEPER, site="PLANT-A", location_prefix="RECV"),
        )
        assert run("keys", "revoke", key_id, "--reason", "rotated")[0] == 0
        with pytest.raises(NotAuthenticated, match="revoked"):
            auth.by_api_key(key)
    finally:
        ledger.close()
    assert "revoked" in run("keys", "list")[1]
    code, out = run("keys", "issue", "bad", "--grant", "integration")
    assert code != 0
    assert "ROLE@SITE" in out
