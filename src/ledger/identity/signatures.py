"""Electronic signatures (21 CFR Part 11 §11.50, §11.70, §11.100, §11.200, §11.300).

A signature is given by re-entering one's password (or a TOTP code) at the moment of
signing, even inside a session, and records the three elements of §11.50: the signer's
printed name (and user id), the time (UTC, server clock, with the signer's time zone for
display), and the meaning. It covers a hash of the signed record's canonical content and
version (§11.70): copied to another record, or kept after the record changed, it no
longer verifies.

Two steps, because checking an argon2id hash takes 0.1-0.4 s and must never run in the
writer: `check_secret` where the request is received (in a worker thread, before the
signed command is queued), then `sign` in the command's handler, on the account as the
writer holds it. A wrong password or code is recorded on the account there
(`Account.SignatureRefused`; the fifth locks it, `Account.Locked`, a security event),
and ``UnitOfWork.keep_on_refusal`` saves that although the signed command is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import orjson

from ledger.errors import LedgerError
from ledger.identity.accounts import Account, verify_password, verify_totp
from ledger.identity.principals import Principal, PrincipalKind
from ledger.values import Meta, Signature, SignatureMeaning

_TOTP_DIGITS = 6


class SignatureNotGiven(LedgerError):
    """The signature was not given: wrong password or code, a locked or inactive account,
    or a signer other than the authenticated person."""

    type = "signature-not-given"
    title = "The electronic signature was not given"
    kind = "forbidden"


class SeparationOfDuties(LedgerError):
    """The signer took part in what is being approved (recorded the inspection, placed the
    hold) and the rule asks for someone else."""

    type = "separation-of-duties"
    title = "Someone else must sign"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    msg = f"cannot put {type(value).__name__} in a signed record"
    raise TypeError(msg)


@dataclass(frozen=True, kw_only=True)
class SignedRecord:
    """What a signature covers: a record (its kind and id), its version, and its content
    as plain values (Decimals, dates, enums, UUIDs, dataclasses are canonicalised)."""

    kind: str
    id: str
    version: int
    content: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def canonical(self) -> bytes:
        """Canonical JSON: keys sorted, no spaces, decimals as text."""
        body = {"kind": self.kind, "id": self.id, "version": self.version}
        body["content"] = dict(self.content)
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=_plain)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


# A signature as Part 11 asks, bound to the record it signs (``record_hash``): the value
# the signed events hold (``ledger.values.Signature``).
ElectronicSignature = Signature


def _secret_in_force(account: Account, by_code: bool) -> str:
    """Names the secret a check was made against (the password's hash or the TOTP seed),
    without holding it: a check made before a password change no longer counts."""
    secret = account.totp_secret if by_code else account.password_hash
    return hashlib.sha256((secret or "").encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class SecretCheck:
    """A signature's password or code checked against the account as it was read."""

    user_id: str
    by_code: bool
    against: str
    passed: bool


def check_secret(account: Account, secret: str, now: datetime) -> SecretCheck:
    """Check the re-entered password (argon2id: 0.1-0.4 s) or 6-digit TOTP code. Slow:
    run it where the request is received, off the event loop, never in the writer; the
    writer then decides with `sign`, which is fast."""
    by_code = len(secret) == _TOTP_DIGITS and secret.isdigit()
    passed = verify_totp(account, secret, now) if by_code else verify_password(account, secret)
    return SecretCheck(
        user_id=account.user_id,
        by_code=by_code,
        against=_secret_in_force(account, by_code),
        passed=passed,
    )


def sign(
    principal: Principal,
    account: Account,
    check: SecretCheck,
    *,
    meaning: SignatureMeaning,
    reason: str,
    record: SignedRecord,
    now: datetime,
    meta: Meta,
) -> ElectronicSignature:
    """The signature of ``account``'s person on ``record``, or `SignatureNotGiven`.

    ``principal`` is who is authenticated: only they can sign, as themselves (an
    administrator cannot sign for someone else, a key cannot sign at all). ``check`` is
    `check_secret`'s verdict on the password or code they re-entered. A wrong one is
    recorded on ``account`` (the fifth locks it): a handler calls
    ``uow.keep_on_refusal(account)`` first, so the count is saved although the command
    is refused."""
    if principal.kind is not PrincipalKind.PERSON or principal.id != account.user_id:
        raise SignatureNotGiven(
            f"{principal.actor} cannot sign as {account.user_id}: sign for yourself",
            field="signature.signer",
            signer=account.user_id,
            actor=principal.actor,
        )
    if not account.active:
        raise SignatureNotGiven(
            f"{account.user_id} is deactivated", field="signature", signer=account.user_id
        )
    if account.locked:
        raise SignatureNotGiven(
            f"{account.user_id} is locked after wrong signatures; an administrator unlocks",
            field="signature",
            signer=account.user_id,
        )
    if check.user_id != account.user_id or check.against != _secret_in_force(
        account, check.by_code
    ):
        raise SignatureNotGiven(
            f"{account.user_id}'s password or code changed while signing; sign again",
            field="signature.password",
            signer=account.user_id,
        )
    if now.tzinfo is None:
        msg = "a signature's time is an aware UTC instant from the server clock"
        raise ValueError(msg)
    if not check.passed:
        account.refuse_signature(meta=meta, meaning=meaning.value)
        raise SignatureNotGiven(
            f"wrong {'code' if check.by_code else 'password'} for {account.user_id}'s signature"
            + (" (the account is now locked)" if account.locked else ""),
            field="signature.password",
            signer=account.user_id,
            attempts=account.failed_signatures,
        )
    return ElectronicSignature(
        signer=account.user_id,
        printed_name=account.printed_name,
        meaning=meaning,
        reason=reason,
        signed_at=now.astimezone(UTC),
        time_zone=account.time_zone,
        record_hash=record.digest(),
    )


def verify(signature: ElectronicSignature, record: SignedRecord) -> bool:
    """Whether ``signature`` was given on this record at this version and content."""
    return hmac.compare_digest(signature.record_hash, record.digest())


def check_separation(signer: str, took_part: Iterable[str], *, enforced: bool = True) -> None:
    """Separation of duties where configured: whoever took part in what is approved (the
    inspector who recorded an inspection) cannot approve its release."""
    if enforced and signer in set(took_part):
        raise SeparationOfDuties(
            f"{signer} took part in this record; someone else must sign its release",
            field="signature.signer",
            signer=signer,
        )
