"""People's accounts: who they are, their password, their roles by site, and whether they
may still act or sign.

One stream per user id (uuid5 of the normalised id), so a user id is never reused:
registering an id that exists, deactivated or not, collides with it and is refused.

What is stored, and must never leave the event store: the argon2id hash of the password
(`PasswordSet`) and the TOTP secret (`TotpEnrolled`). The plaintext password is never
stored anywhere: commands carry it as a pydantic ``SecretStr`` (a command's fingerprint
and receipt see ``**********``) and it is hashed before the command reaches the writer
(`ledger.identity.commands`). The relay, exports and replays filter this feature's
events out (``ledger.identity.IDENTITY_TOPIC_PREFIX``); ``docs/identity.md`` has the list.
"""

from __future__ import annotations

import contextlib
import unicodedata
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Self
from uuid import UUID

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ledger.aggregate import LedgerAggregate
from ledger.errors import LedgerError
from ledger.identity.roles import ALL_SITE_ROLES, ALL_SITES, RESERVED_ROLES, Grant
from ledger.ids import derived_id
from ledger.values import Meta

# Five wrong signature passwords (or codes) lock the account (21 CFR 11.300(d)), and so
# do five wrong passwords in a row at login.
SIGNATURE_ATTEMPTS = 5
LOGIN_ATTEMPTS = SIGNATURE_ATTEMPTS

# argon2id with the library's defaults (RFC 9106's second recommended option: t=3,
# m=64 MiB, p=4): 0.1-0.4 s a hash on this project's machines (docs/identity.md).
_HASHER = PasswordHasher()


class AccountRefused(LedgerError):
    """A rule of accounts says no (an inactive account, a grant that cannot be given)."""

    type = "account-refused"
    title = "Refused by the account's rules"


class UnknownUser(LedgerError):
    """No account is registered under this user id."""

    type = "unknown-user"
    title = "Unknown user"
    kind = "not_found"


def normalise_user_id(text: str) -> str:
    """One spelling per person: NFKC, trimmed, lower case (``Anna.K`` is ``anna.k``)."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def account_id(user_id: str) -> UUID:
    return derived_id("account", normalise_user_id(user_id))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_grant(grant: Grant) -> None:
    if grant.role in RESERVED_ROLES:
        raise AccountRefused(f"the {grant.role} role is the plant's own", field="role")
    if grant.site == ALL_SITES and grant.role not in ALL_SITE_ROLES:
        raise AccountRefused(
            f"a {grant.role} is granted site by site, not for every site",
            field="site",
            role=grant.role.value,
        )


class Account(LedgerAggregate, stored_as="ledger.identity.accounts"):
    if TYPE_CHECKING:
        user_id: str
        printed_name: str
        time_zone: str
        password_hash: str | None
        password_expires_at: datetime | None
        grants: tuple[Grant, ...]
        active: bool
        totp_secret: str | None
        failed_signatures: int
        locked: bool
        # Wrong passwords at login since the last good one (or the last unlock).
        failed_logins: int
        # Login sessions ended before their expiry (logout): id -> expiry (None: kept).
        ended_sessions: dict[str, datetime | None]

    class Registered(LedgerAggregate.Created):
        user_id: str
        printed_name: str
        time_zone: str

        def apply(self, aggregate: Account) -> None:
            aggregate.user_id = self.user_id
            aggregate.printed_name = self.printed_name
            aggregate.time_zone = self.time_zone
            aggregate.password_hash = None
            aggregate.password_expires_at = None
            aggregate.grants = ()
            aggregate.active = True
            aggregate.totp_secret = None
            aggregate.failed_signatures = 0
            aggregate.locked = False
            aggregate.failed_logins = 0
            aggregate.ended_sessions = {}

    class PasswordSet(LedgerAggregate.Event):
        """``password_hash``: argon2id, salted; never the password."""

        password_hash: str
        expires_at: datetime | None

        def apply(self, aggregate: Account) -> None:
            aggregate.password_hash = self.password_hash
            aggregate.password_expires_at = self.expires_at
            aggregate.failed_signatures = 0

    class RoleGranted(LedgerAggregate.Event):
        grant: Grant

        def apply(self, aggregate: Account) -> None:
            aggregate.grants = (*aggregate.grants, self.grant)

    class RoleRevoked(LedgerAggregate.Event):
        grant: Grant

        def apply(self, aggregate: Account) -> None:
            aggregate.grants = tuple(g for g in aggregate.grants if g != self.grant)

    class Deactivated(LedgerAggregate.Event):
        reason: str

        def apply(self, aggregate: Account) -> None:
            aggregate.active = False

    class Reactivated(LedgerAggregate.Event):
        reason: str

        def apply(self, aggregate: Account) -> None:
            aggregate.active = True

    class TotpEnrolled(LedgerAggregate.Event):
        """``secret``: the TOTP seed (base32). It must never leave the event store."""

        secret: str

        def apply(self, aggregate: Account) -> None:
            aggregate.totp_secret = self.secret

    class SignatureRefused(LedgerAggregate.Event):
        """A signature attempt with a wrong password or code (11.300(d))."""

        meaning: str
        attempts: int

        def apply(self, aggregate: Account) -> None:
            aggregate.failed_signatures = self.attempts

    class Locked(LedgerAggregate.Event):
        """Too many wrong signature attempts: a security event; an administrator unlocks."""

        failed_attempts: int

        def apply(self, aggregate: Account) -> None:
            aggregate.locked = True

    class Unlocked(LedgerAggregate.Event):
        reason: str

        def apply(self, aggregate: Account) -> None:
            aggregate.locked = False
            aggregate.failed_signatures = 0
            aggregate.failed_logins = 0

    class LoginRefused(LedgerAggregate.Event):
        """A wrong password at login (a security event); ``attempts`` in a row."""

        attempts: int

        def apply(self, aggregate: Account) -> None:
            aggregate.failed_logins = self.attempts

    class LockedOut(LedgerAggregate.Event):
        """Too many wrong passwords in a row at login: a security event (logged as an
        alert); an administrator unlocks."""

        failed_logins: int

        def apply(self, aggregate: Account) -> None:
            aggregate.locked = True

    class FailedLoginsCleared(LedgerAggregate.Event):
        """A good password at login after wrong ones: the count starts again."""

        failed_logins: int

        def apply(self, aggregate: Account) -> None:
            aggregate.failed_logins = 0

    class SessionEnded(LedgerAggregate.Event):
        """A login session ended before its expiry (logout, or an administrator): its
        token is refused from then on. ``session_id`` is the session's id, never its
        token; ``expires_at`` is when the token would have expired anyway (None: not
        known), after which the id need not be kept."""

        session_id: str
        expires_at: datetime | None

        def apply(self, aggregate: Account) -> None:
            ended = {
                sid: until
                for sid, until in aggregate.ended_sessions.items()
                if until is None or until > self.timestamp
            }
            ended[self.session_id] = self.expires_at
            aggregate.ended_sessions = ended

    # --- deciding ------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        meta: Meta,
        user_id: str,
        printed_name: str,
        time_zone: str,
    ) -> Self:
        user = normalise_user_id(user_id)
        return cls._create(
            cls.Registered,
            id=account_id(user),
            meta=meta,
            user_id=user,
            printed_name=printed_name,
            time_zone=time_zone,
        )

    def _active(self) -> None:
        if not self.active:
            raise AccountRefused(
                f"the account {self.user_id} is deactivated", field="user_id", user=self.user_id
            )

    def set_password(self, *, meta: Meta, password_hash: str, expires_at: datetime | None) -> None:
        self._active()
        if not password_hash.startswith("$argon2id$"):
            # A bug upstream, never a plaintext password in the log.
            msg = "a password is stored only as an argon2id hash"
            raise ValueError(msg)
        self.trigger_event(
            self.PasswordSet, meta=meta, password_hash=password_hash, expires_at=expires_at
        )

    def grant(self, *, meta: Meta, grant: Grant) -> None:
        self._active()
        check_grant(grant)
        if grant not in self.grants:
            self.trigger_event(self.RoleGranted, meta=meta, grant=grant)

    def revoke(self, *, meta: Meta, grant: Grant) -> None:
        if grant not in self.grants:
            raise AccountRefused(
                f"{self.user_id} holds no {grant.role} grant for site {grant.site}"
                + (f" under {grant.location_prefix}" if grant.location_prefix else ""),
                field="role",
                user=self.user_id,
            )
        self.trigger_event(self.RoleRevoked, meta=meta, grant=grant)

    def deactivate(self, *, meta: Meta, reason: str) -> None:
        if self.active:
            self.trigger_event(self.Deactivated, meta=meta, reason=reason)

    def reactivate(self, *, meta: Meta, reason: str) -> None:
        if not self.active:
            self.trigger_event(self.Reactivated, meta=meta, reason=reason)

    def enroll_totp(self, *, meta: Meta, secret: str) -> None:
        self._active()
        self.trigger_event(self.TotpEnrolled, meta=meta, secret=secret)

    def refuse_signature(self, *, meta: Meta, meaning: str) -> None:
        """Count a wrong signature password or code; the fifth locks the account."""
        attempts = self.failed_signatures + 1
        self.trigger_event(self.SignatureRefused, meta=meta, meaning=meaning, attempts=attempts)
        if attempts >= SIGNATURE_ATTEMPTS and not self.locked:
            self.trigger_event(self.Locked, meta=meta, failed_attempts=attempts)

    def unlock(self, *, meta: Meta, reason: str) -> None:
        if self.locked or self.failed_signatures or self.failed_logins:
            self.trigger_event(self.Unlocked, meta=meta, reason=reason)

    def refuse_login(self, *, meta: Meta) -> None:
        """Count a wrong password at login; the fifth in a row locks the account. A locked
        or deactivated account is refused whatever the password: nothing more to count."""
        if self.locked or not self.active:
            return
        attempts = self.failed_logins + 1
        self.trigger_event(self.LoginRefused, meta=meta, attempts=attempts)
        if attempts >= LOGIN_ATTEMPTS:
            self.trigger_event(self.LockedOut, meta=meta, failed_logins=attempts)

    def clear_failed_logins(self, *, meta: Meta) -> None:
        if self.failed_logins and not self.locked:
            self.trigger_event(
                self.FailedLoginsCleared, meta=meta, failed_logins=self.failed_logins
            )

    def end_session(self, *, meta: Meta, session_id: str, expires_at: datetime | None) -> None:
        if session_id not in self.ended_sessions:
            self.trigger_event(
                self.SessionEnded, meta=meta, session_id=session_id, expires_at=expires_at
            )

    def session_ended(self, session_id: str) -> bool:
        return session_id in self.ended_sessions

    # --- reading -------------------------------------------------------------------------

    def password_expired(self, now: datetime) -> bool:
        return self.password_expires_at is not None and now >= self.password_expires_at


def verify_password(account: Account, password: str) -> bool:
    """The password against the account's argon2id hash (0.1-0.4 s: never in the writer)."""
    if account.password_hash is None:
        return False
    try:
        return _HASHER.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _nobody_hash() -> str:
    return _HASHER.hash("no such user: as long as checking a real password")


def verify_nobody(password: str) -> None:
    """As long as `verify_password`, for a user id that has no password: the time taken
    does not tell which user ids exist."""
    with contextlib.suppress(VerificationError):
        _HASHER.verify(_nobody_hash(), password)


def verify_totp(account: Account, code: str, now: datetime) -> bool:
    """A TOTP code for ``now``, one 30 s step of clock drift either way."""
    if account.totp_secret is None:
        return False
    return pyotp.TOTP(account.totp_secret).verify(code, for_time=now, valid_window=1)


def new_totp_secret() -> str:
    return pyotp.random_base32()
