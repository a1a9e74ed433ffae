"""Electronic signatures: re-entered secret, the three elements, bound to the record,
five wrong attempts lock, nobody signs for someone else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyotp
import pytest
from pydantic import PrivateAttr

from ledger import writer
from ledger.commands import Command
from ledger.identity.accounts import SIGNATURE_ATTEMPTS, Account, account_id
from ledger.identity.commands import EnrollTotp, SetPassword, UnlockUser
from ledger.identity.principals import Principal, PrincipalKind
from ledger.identity.roles import ALL_SITES, Grant, Role
from ledger.identity.signatures import (
    SecretCheck,
    SeparationOfDuties,
    SignatureNotGiven,
    SignedRecord,
    check_secret,
    check_separation,
    sign,
    verify,
)
from ledger.unit_of_work import UnitOfWork
from ledger.values import Meta, SignatureMeaning
from ledger.writer import Ledger
from tests.support.identity import PASSWORD, register

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
NEW_PASSWORD = "a brand new passphrase"  # noqa: S105 - a test person's
META = Meta(actor="anna", command_id="c", correlation_id="c", site="PLANT-A", effective_at=NOW)
HOLD = SignedRecord(
    kind="hold",
    id="H-1",
    version=3,
    content={"item": "RM-1", "lots": ["L1", "L2"], "quantity": Decimal("12.5")},
)


def person(account: Account) -> Principal:
    return Principal(
        kind=PrincipalKind.PERSON,
        id=account.user_id,
        printed_name=account.printed_name,
        grants=account.grants,
    )


@pytest.fixture
def anna(sqlite_ledger: Ledger) -> Account:
    return register(sqlite_ledger, "anna", grants=(("quality_approver", "PLANT-A"),))


def _sign(account: Account, secret: str, *, by: Principal | None = None, record=HOLD):  # type: ignore[no-untyped-def]
    return sign(
        by or person(account),
        account,
        check_secret(account, secret, NOW),
        meaning=SignatureMeaning.RELEASED,
        reason="retest passed",
        record=record,
        now=NOW,
        meta=META,
    )


def test_a_signature_holds_the_three_elements_and_its_record(anna: Account) -> None:
    signature = _sign(anna, PASSWORD)
    assert (signature.signer, signature.printed_name) == ("anna", "Anna")
    assert signature.meaning is SignatureMeaning.RELEASED
    assert signature.signed_at == NOW
    assert signature.signed_at.tzinfo is UTC
    assert signature.time_zone == "UTC"
    assert verify(signature, HOLD)


def test_a_signature_does_not_verify_on_another_record_or_a_changed_one(anna: Account) -> None:
    signature = _sign(anna, PASSWORD)
    other = SignedRecord(kind="hold", id="H-2", version=3, content=HOLD.content)
    changed = SignedRecord(
        kind="hold", id="H-1", version=3, content={**HOLD.content, "quantity": Decimal("12.6")}
    )
    later = SignedRecord(kind="hold", id="H-1", version=4, content=HOLD.content)
    assert not verify(signature, other)
    assert not verify(signature, changed)
    assert not verify(signature, later)
    # Canonical: the order keys were given in does not matter.
    reordered = SignedRecord(
        kind="hold", id="H-1", version=3, content=dict(reversed(HOLD.content.items()))
    )
    assert verify(signature, reordered)


def test_five_wrong_passwords_lock_the_account(anna: Account) -> None:
    account = anna.clone()
    for attempt in range(1, SIGNATURE_ATTEMPTS + 1):
        with pytest.raises(SignatureNotGiven, match="wrong password"):
            _sign(account, "not the password")
        assert account.failed_signatures == attempt
    assert account.locked
    names = [type(e).__name__ for e in account.pending_events]
    assert names == ["SignatureRefused"] * SIGNATURE_ATTEMPTS + ["Locked"]
    # Locked: even the right password is refused, and not counted again.
    with pytest.raises(SignatureNotGiven, match="locked"):
        _sign(account, PASSWORD)
    assert account.failed_signatures == SIGNATURE_ATTEMPTS


class SignRecord(Command):
    """A signed command as a feature would write one: the secret checked before the
    writer (`check_secret`), the signature decided in the handler."""

    command_name = "SignRecord"
    user_id: str
    _check: SecretCheck | None = PrivateAttr(default=None)


def _sign_record(keep: bool) -> Callable[[UnitOfWork, SignRecord], dict[str, str]]:
    def handler(uow: UnitOfWork, cmd: SignRecord) -> dict[str, str]:
        account = uow.find(Account, account_id(cmd.user_id))
        assert account is not None
        assert cmd._check is not None
        if keep:
            uow.keep_on_refusal(account)
        signature = sign(
            person(account),
            account,
            cmd._check,
            meaning=SignatureMeaning.RELEASED,
            reason="retest passed",
            record=HOLD,
            now=uow.envelope.effective_at,
            meta=uow.meta(),
        )
        return {"signer": signature.signer}

    return handler


def _post(ledger: Ledger, secret: str, command_id: str | None = None) -> dict[str, str]:
    account = ledger.find(Account, account_id("anna"))
    assert account is not None
    command = SignRecord(user_id="anna", command_id=command_id)
    command._check = check_secret(account, secret, datetime.now(UTC))
    return dict(ledger.execute(command).data)


@pytest.mark.parametrize("keep", [True, False], ids=["kept", "not-kept"])
def test_a_refused_signature_is_still_counted_through_the_writer(
    sqlite_ledger: Ledger, anna: Account, monkeypatch: pytest.MonkeyPatch, keep: bool
) -> None:
    monkeypatch.setattr(writer, "HANDLERS", {**writer.HANDLERS, SignRecord: _sign_record(keep)})
    assert _post(sqlite_ledger, PASSWORD) == {"signer": "anna"}
    for attempt in range(SIGNATURE_ATTEMPTS):
        with pytest.raises(SignatureNotGiven):
            # Named or not, a refused command's count is saved with its batch.
            _post(sqlite_ledger, "wrong", command_id=f"c-{attempt}" if attempt % 2 else None)
    stored = sqlite_ledger.find(Account, account_id("anna"))
    assert stored is not None
    if not keep:  # without keep_on_refusal the refusal leaves nothing behind
        assert (stored.failed_signatures, stored.locked) == (0, False)
        return
    assert (stored.failed_signatures, stored.locked) == (SIGNATURE_ATTEMPTS, True)
    with pytest.raises(SignatureNotGiven, match="locked"):
        _post(sqlite_ledger, PASSWORD)
    sqlite_ledger.execute(UnlockUser(user_id="anna", reason="identity checked by phone"))
    assert _post(sqlite_ledger, PASSWORD) == {"signer": "anna"}


def test_a_check_made_before_a_password_change_does_not_count(
    sqlite_ledger: Ledger, anna: Account
) -> None:
    check = check_secret(anna, PASSWORD, NOW)
    sqlite_ledger.execute(SetPassword(user_id="anna", password=NEW_PASSWORD))  # type: ignore[arg-type]
    changed = sqlite_ledger.find(Account, account_id("anna"))
    assert changed is not None
    with pytest.raises(SignatureNotGiven, match="changed while signing"):
        sign(
            person(changed),
            changed,
            check,
            meaning=SignatureMeaning.APPROVED,
            reason="r",
            record=HOLD,
            now=NOW,
            meta=META,
        )
    assert changed.failed_signatures == 0


def test_nobody_signs_for_someone_else(sqlite_ledger: Ledger, anna: Account) -> None:
    root = register(sqlite_ledger, "root", grants=(("administrator", ALL_SITES),))
    with pytest.raises(SignatureNotGiven, match="cannot sign as anna"):
        _sign(anna, PASSWORD, by=person(root))
    key = Principal(
        kind=PrincipalKind.KEY,
        id="3f9a0c1d2b4e5f60",
        printed_name="ERP",
        grants=(Grant(role=Role.QUALITY_APPROVER, site="PLANT-A"),),
        on_behalf_of="anna",
    )
    with pytest.raises(SignatureNotGiven, match="cannot sign as anna"):
        _sign(anna, PASSWORD, by=key)
    assert anna.failed_signatures == 0  # not a wrong password: not counted


def test_a_totp_code_signs_too(sqlite_ledger: Ledger, anna: Account) -> None:
    sqlite_ledger.execute(EnrollTotp(user_id="anna"))
    enrolled = sqlite_ledger.find(Account, account_id("anna"))
    assert enrolled is not None
    assert enrolled.totp_secret is not None
    code = pyotp.TOTP(enrolled.totp_secret).at(NOW)
    assert _sign(enrolled, code).signer == "anna"
    stale = pyotp.TOTP(enrolled.totp_secret).at(NOW - timedelta(minutes=5))
    with pytest.raises(SignatureNotGiven, match="wrong code"):
        _sign(enrolled, stale)


def test_a_deactivated_account_cannot_sign(sqlite_ledger: Ledger, anna: Account) -> None:
    from ledger.identity.commands import DeactivateUser

    sqlite_ledger.execute(DeactivateUser(user_id="anna", reason="left"))
    gone = sqlite_ledger.find(Account, account_id("anna"))
    assert gone is not None
    with pytest.raises(SignatureNotGiven, match="deactivated"):
        _sign(gone, PASSWORD)


def test_separation_of_duties() -> None:
    with pytest.raises(SeparationOfDuties):
        check_separation("ines", ["ines"])
    check_separation("anna", ["ines"])
    check_separation("ines", ["ines"], enforced=False)
