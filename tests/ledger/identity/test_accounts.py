"""Accounts: user ids are never reused, grants are events, secrets never reach the store."""

from __future__ import annotations

import glob
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from ledger.aggregate import LedgerAggregate
from ledger.dispatch import HANDLERS
from ledger.errors import AlreadyExists
from ledger.identity.accounts import (
    Account,
    AccountRefused,
    UnknownUser,
    account_id,
    verify_password,
)
from ledger.identity.commands import (
    ClearFailedLogins,
    DeactivateUser,
    EndSession,
    EnrollTotp,
    GrantInput,
    GrantRole,
    IssueApiKey,
    ReactivateUser,
    RecordFailedLogin,
    RegisterUser,
    RevokeRole,
    SetPassword,
    UnlockUser,
)
from ledger.identity.roles import Grant, Role
from ledger.unit_of_work import Envelope, UnitOfWork
from ledger.writer import Ledger
from tests.support.identity import PASSWORD, register


def test_a_user_id_is_never_reused(ledger: Ledger) -> None:
    register(ledger, "Anna.Keller", password=None)
    with pytest.raises(AlreadyExists):
        register(ledger, "anna.keller", password=None)  # the same id, however spelt
    ledger.execute(DeactivateUser(user_id="anna.keller", reason="left the company"))
    with pytest.raises(AlreadyExists):
        register(ledger, "ANNA.KELLER", password=None)
    account = ledger.find(Account, account_id("anna.keller"))
    assert account is not None
    assert account.user_id == "anna.keller"
    assert not account.active
    ledger.execute(ReactivateUser(user_id="anna.keller", reason="came back"))
    assert ledger.find(Account, account_id("anna.keller")).active  # type: ignore[union-attr]


def test_grants_and_revocations_are_events(ledger: Ledger) -> None:
    register(ledger, "bert", password=None, grants=(("storekeeper", "PLANT-A"),))
    ledger.execute(
        GrantRole(
            user_id="bert",
            grant=GrantInput(role=Role.OPERATOR, site="plant-b", location_prefix="wh1-"),
        )
    )
    account = ledger.find(Account, account_id("bert"))
    assert account is not None
    assert account.grants == (
        Grant(role=Role.STOREKEEPER, site="PLANT-A"),
        Grant(role=Role.OPERATOR, site="PLANT-B", location_prefix="WH1-"),
    )
    ledger.execute(
        RevokeRole(user_id="bert", grant=GrantInput(role=Role.STOREKEEPER, site="PLANT-A"))
    )
    with pytest.raises(AccountRefused, match="holds no storekeeper grant"):
        ledger.execute(
            RevokeRole(user_id="bert", grant=GrantInput(role=Role.STOREKEEPER, site="PLANT-A"))
        )
    stored = ledger.app.recorder.select_events(account_id("bert"))
    events = [row.topic.rpartition(".")[2] for row in stored]
    assert events == ["Registered", "RoleGranted", "RoleGranted", "RoleRevoked"]


def test_grants_that_cannot_be_given(ledger: Ledger) -> None:
    register(ledger, "carl", password=None)
    with pytest.raises(AccountRefused, match="site by site"):
        ledger.execute(GrantRole(user_id="carl", grant=GrantInput(role=Role.STOREKEEPER, site="*")))
    with pytest.raises(AccountRefused, match="plant's own"):
        ledger.execute(GrantRole(user_id="carl", grant=GrantInput(role=Role.SYSTEM, site="*")))
    with pytest.raises(UnknownUser):
        ledger.execute(GrantRole(user_id="nobody", grant=GrantInput(role=Role.AUDITOR, site="*")))
    ledger.execute(GrantRole(user_id="carl", grant=GrantInput(role=Role.AUDITOR, site="*")))
    ledger.execute(DeactivateUser(user_id="carl", reason="left"))
    with pytest.raises(AccountRefused, match="deactivated"):
        ledger.execute(GrantRole(user_id="carl", grant=GrantInput(role=Role.PLANNER, site="P")))


def _stored_bytes(ledger: Ledger, tmp_path: Path) -> bytes:
    """Every stored event's raw state as the store holds it, and for a SQLite store the
    database files themselves (every table, the write-ahead log too)."""
    rows = ledger.app.recorder.select_notifications(start=1, limit=100_000)
    raw = b"\n".join(bytes(row.state) + row.topic.encode() for row in rows)
    for name in glob.glob(f"{tmp_path}/events.db*"):  # noqa: PTH207
        raw += Path(name).read_bytes()
    return raw


def test_no_password_or_secret_reaches_the_store(sqlite_ledger: Ledger, tmp_path: Path) -> None:
    ledger = sqlite_ledger
    first, second, third = "first-Pa55word-xyzzy", "second-Pa55word-plugh", "third-Pa55word"
    ledger.execute(
        RegisterUser(user_id="dora", printed_name="Dora", password=first, command_id="reg-1")  # type: ignore[arg-type]
    )
    ledger.execute(SetPassword(user_id="dora", password=second, command_id="pw-1"))  # type: ignore[arg-type]
    issued = ledger.execute(
        IssueApiKey(
            name="scanner 7",
            grants=(GrantInput(role=Role.OPERATOR, site="PLANT-A"),),
            on_behalf_of="dora",
            command_id="key-1",
        )
    )
    enrolled = ledger.execute(EnrollTotp(user_id="dora", command_id="totp-1"))
    key = issued.data["key"]
    secret = key.rpartition("_")[2]
    totp_uri = enrolled.data["totp_uri"]
    # A refused command's receipt neither: a too-short password never gets that far, and
    # a password change for an unknown user is refused with its receipt saved.
    with pytest.raises(UnknownUser):
        ledger.execute(SetPassword(user_id="nobody", password=third, command_id="pw-2"))  # type: ignore[arg-type]

    stored = _stored_bytes(ledger, tmp_path)
    assert stored  # the scan saw the rows
    for plaintext in (first, second, third, key, secret, totp_uri):
        assert plaintext.encode() not in stored, plaintext
    # What is stored: the argon2id hash, the key's digest, the TOTP seed (never exported).
    account = ledger.find(Account, account_id("dora"))
    assert account is not None
    assert account.password_hash is not None
    assert account.password_hash.encode() in stored
    assert verify_password(account, second)
    assert not verify_password(account, first)


def test_the_key_and_the_totp_uri_are_answered_once(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    register(ledger, "emil", password=None)
    command = IssueApiKey(
        name="ERP", grants=(GrantInput(role=Role.INTEGRATION, site="PLANT-A"),), command_id="k"
    )
    first = ledger.execute(command)
    assert first.data["key"].startswith(f"mims_{first.data['key_id']}_")
    again = ledger.execute(command)
    assert again.duplicate
    assert "key" not in again.data
    assert again.data["key_id"] == first.data["key_id"]
    totp = EnrollTotp(user_id="emil", command_id="t")
    assert "totp_uri" in ledger.execute(totp).data
    assert "totp_uri" not in ledger.execute(totp).data


class _Accounts:
    """The aggregates a unit of work reads, without a writer around it."""

    def __init__(self, *accounts: Account) -> None:
        self.accounts = {a.id: a for a in accounts}

    def load(self, aggregate_id: UUID) -> LedgerAggregate | None:
        return self.accounts.get(aggregate_id)


_NOW = datetime(2026, 12, 3, tzinfo=UTC)


def test_a_password_is_hashed_before_the_writer() -> None:
    command = SetPassword(user_id="fred", password=PASSWORD)  # type: ignore[arg-type]
    assert command.password_hash is None
    assert "**********" in command.model_dump_json()
    prepared = command.prepared()
    assert prepared.password_hash is not None
    assert prepared.password_hash.startswith("$argon2id$")
    assert prepared.fingerprint() == command.fingerprint()
    # The writer never hashes: an unprepared command reaching a handler is a bug.
    envelope = Envelope(actor="t", command_id="c", correlation_id="c", effective_at=_NOW)
    fred = Account.register(
        meta=UnitOfWork(_Accounts(), envelope).meta(),
        user_id="fred",
        printed_name="Fred",
        time_zone="UTC",
    )
    uow = UnitOfWork(_Accounts(fred), envelope)
    with pytest.raises(RuntimeError, match="without its password hashed"):
        HANDLERS[SetPassword](uow, command)


def test_a_request_cannot_bring_its_own_hash() -> None:
    body = b'{"user_id": "gus", "password": "long enough pw", "_password_hash": "$argon2id$x"}'
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        SetPassword.model_validate_json(body)
    plain = body.replace(b', "_password_hash": "$argon2id$x"', b"")
    assert SetPassword.model_validate_json(plain).password_hash is None


def test_five_wrong_logins_in_a_row_lock_and_an_unlock_clears(ledger: Ledger) -> None:
    register(ledger, "hugo", password=None)
    for attempt in range(1, 5):
        outcome = ledger.execute(RecordFailedLogin(user_id="hugo"))
        assert outcome.data == {
            "user_id": "hugo",
            "failed_logins": str(attempt),
            "locked_now": "false",
        }
    ledger.execute(ClearFailedLogins(user_id="hugo"))
    for _ in range(4):
        ledger.execute(RecordFailedLogin(user_id="hugo"))
    assert not _hugo(ledger).locked  # cleared in between: four in a row, not eight
    assert ledger.execute(RecordFailedLogin(user_id="hugo")).data["locked_now"] == "true"
    assert _hugo(ledger).locked
    # Locked: nothing more is counted (an attacker cannot grow the stream).
    version = _hugo(ledger).version
    assert ledger.execute(RecordFailedLogin(user_id="hugo")).data["locked_now"] == "false"
    assert _hugo(ledger).version == version
    ledger.execute(UnlockUser(user_id="hugo", reason="verified by phone"))
    assert (_hugo(ledger).locked, _hugo(ledger).failed_logins) == (False, 0)


def test_ended_sessions_are_kept_until_they_would_have_expired(ledger: Ledger) -> None:
    register(ledger, "ida", password=None)
    now = datetime.now(UTC)
    ledger.execute(EndSession(user_id="ida", session_id="expired-soon", expires_at=now))
    ledger.execute(EndSession(user_id="ida", session_id="kept-for-ever"))
    ledger.execute(
        EndSession(user_id="ida", session_id="later-one", expires_at=now + timedelta(hours=8))
    )
    account = ledger.find(Account, account_id("ida"))
    assert account is not None
    assert account.ended_sessions.keys() == {"kept-for-ever", "later-one"}
    version = account.version
    ledger.execute(EndSession(user_id="ida", session_id="later-one"))  # ended already
    assert ledger.find(Account, account_id("ida")).version == version  # type: ignore[union-attr]


def _hugo(ledger: Ledger) -> Account:
    account = ledger.find(Account, account_id("hugo"))
    assert account is not None
    return account
