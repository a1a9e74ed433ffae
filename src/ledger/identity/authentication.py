"""Authentication: from credentials to a `Principal`, or `NotAuthenticated`.

Three ways in: a person's user id and password (the built-in accounts), an API key
(``mims_<key id>_<secret>``), and an OpenID Connect bearer token from the plant's
identity provider, verified against its JWKS (issuer, audience, expiry, clock leeway).
A token names a person whose account, roles and state are MIMS's own: an unknown or
deactivated user id is refused even with a valid token.

Revocation reaches every worker within a second: each `Authenticator` keeps an account
or key it read for at most ``freshness`` seconds (1 s), then reads it again from the
event store. Checking a password costs an argon2id verification (0.1-0.4 s): call
`by_password` from a worker thread, never the event loop.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ledger.aggregate import LedgerAggregate
from ledger.identity.accounts import (
    Account,
    account_id,
    normalise_user_id,
    verify_nobody,
    verify_password,
)
from ledger.identity.api_keys import ApiKey, KeyText, api_key_id
from ledger.identity.principals import Principal, PrincipalKind

A = TypeVar("A", bound=LedgerAggregate)


class NotAuthenticated(Exception):
    """The credentials prove no one (the HTTP layer answers 401 with a problem body).
    ``reason`` is for the log; a client is told no more than "not authenticated"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WrongPassword(NotAuthenticated):
    """A wrong password for an account that may log in: counted on the account (the
    login endpoint records it), answered like every other refusal."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"wrong password for {user_id}")
        self.user_id = user_id


class AggregateReader(Protocol):
    """Reads one aggregate fresh from the event store (`ledger.writer.Ledger.find`)."""

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None: ...


@dataclass(frozen=True, kw_only=True)
class OidcSettings:
    """The plant's identity provider: its issuer, this API's audience, its JWKS."""

    issuer: str
    audience: str
    jwks_url: str
    # The claim that holds the MIMS user id (an account registered under that id).
    user_claim: str = "preferred_username"
    leeway_seconds: int = 60
    jwks_ttl_seconds: float = 300
    # A token signed by a key id not in the cached JWKS refetches it (the provider rotated
    # its keys), at most this often.
    jwks_refetch_seconds: float = 10
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    timeout_seconds: float = 5


def _fetch_jwks(url: str, timeout: float) -> KeySet:
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - configured URL
        return KeySet.import_key_set(json.loads(answer.read()))


class _Jwks:
    """The provider's keys, fetched on first use, again after their time to live, and
    again (at most every ``jwks_refetch_seconds``) when a token names an unknown key."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._keys: KeySet | None = None
        self._fetched = float("-inf")
        self._lock = threading.Lock()

    def keys(self, *, refetch: bool = False) -> KeySet:
        with self._lock:
            age = time.monotonic() - self._fetched
            stale = self._keys is None or age > self.settings.jwks_ttl_seconds
            if stale or (refetch and age > self.settings.jwks_refetch_seconds):
                self._keys = _fetch_jwks(self.settings.jwks_url, self.settings.timeout_seconds)
                self._fetched = time.monotonic()
            assert self._keys is not None  # noqa: S101 - fetched above
            return self._keys


# Accounts and keys kept at once (the oldest read is dropped first).
_KEPT_AT_MOST = 10_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Authenticator:
    def __init__(
        self,
        reader: AggregateReader,
        *,
        oidc: OidcSettings | None = None,
        clock: Callable[[], datetime] = _utc_now,
        freshness: float = 1.0,
    ) -> None:
        self._reader = reader
        self._oidc = oidc
        self._jwks = _Jwks(oidc) if oidc else None
        self._clock = clock
        self._freshness = freshness
        self._read: dict[UUID, tuple[float, LedgerAggregate]] = {}
        self._last_used: dict[str, datetime] = {}

    # --- reading accounts and keys, at most `freshness` seconds old ---------------------

    def _find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        now = time.monotonic()
        cached = self._read.get(aggregate_id)
        if cached is not None and now - cached[0] <= self._freshness:
            found: LedgerAggregate | None = cached[1]
        else:
            found = self._reader.find(cls, aggregate_id)
            # What is not there is not kept: made-up key ids must not fill the memory.
            if found is not None:
                self._read[aggregate_id] = (now, found)
                if len(self._read) > _KEPT_AT_MOST:
                    self._read.pop(next(iter(self._read)))
        return found if isinstance(found, cls) else None

    def account(self, user_id: str) -> Account | None:
        return self._find(Account, account_id(user_id))

    def _person(self, account: Account, session_id: str | None) -> Principal:
        return Principal(
            kind=PrincipalKind.PERSON,
            id=account.user_id,
            printed_name=account.printed_name,
            grants=account.grants,
            session_id=session_id,
        )

    def _usable(self, account: Account | None, user: str) -> Account:
        if account is None:
            raise NotAuthenticated(f"no user {user}")
        if not account.active:
            raise NotAuthenticated(f"{account.user_id} is deactivated")
        if account.locked:
            raise NotAuthenticated(f"{account.user_id} is locked")
        return account

    # --- the three ways in ----------------------------------------------------------------

    def by_password(self, user: str, password: str, *, session_id: str | None = None) -> Principal:
        found = self.account(normalise_user_id(user))
        if found is None or found.password_hash is None:
            verify_nobody(password)
            raise NotAuthenticated(f"no user {user} with a password")
        if not verify_password(found, password):
            if found.active and not found.locked:
                raise WrongPassword(found.user_id)
            raise NotAuthenticated(f"wrong password for {found.user_id} (not usable)")
        account = self._usable(found, user)
        if account.password_expired(self._clock()):
            raise NotAuthenticated(f"the password of {account.user_id} has expired")
        return self._person(account, session_id)

    def by_session(self, user_id: str, session_id: str) -> Principal:
        """The person of a session the HTTP layer signed at login, read again (at most
        ``freshness`` old): a deactivated or locked account's sessions stop with it, and
        an ended session (logout) stops on its own."""
        account = self._usable(self.account(user_id), user_id)
        if account.session_ended(session_id):
            raise NotAuthenticated(f"session {session_id} of {account.user_id} has ended")
        return self._person(account, session_id)

    def forget(self, user_id: str) -> None:
        """Read the account again next time (this process just changed it)."""
        self._read.pop(account_id(user_id), None)

    def by_api_key(self, text: str) -> Principal:
        key = KeyText.parse(text)
        if key is None:
            raise NotAuthenticated("not an API key")
        found = self._find(ApiKey, api_key_id(key.key_id))
        if found is None or not found.matches(key.secret):
            raise NotAuthenticated(f"no API key {key.key_id} with this secret")
        if found.revoked:
            raise NotAuthenticated(f"API key {key.key_id} is revoked")
        if found.on_behalf_of is not None:
            self._usable(self.account(found.on_behalf_of), found.on_behalf_of)
        self._last_used[found.key_id] = self._clock()
        return Principal(
            kind=PrincipalKind.KEY,
            id=found.key_id,
            printed_name=found.name,
            grants=found.grants,
            on_behalf_of=found.on_behalf_of,
        )

    def by_bearer(self, token: str) -> Principal:
        claims, user_claim = self._verified_claims(token)
        user = claims.get(user_claim)
        if not isinstance(user, str) or not user:
            raise NotAuthenticated(f"the token has no {user_claim} claim")
        account = self._usable(self.account(normalise_user_id(user)), user)
        session = claims.get("sid") or claims.get("jti")
        return self._person(account, session if isinstance(session, str) else None)

    def _verified_claims(self, token: str) -> tuple[dict[str, Any], str]:
        oidc = self._oidc
        if oidc is None or self._jwks is None:
            raise NotAuthenticated("no identity provider is configured for bearer tokens")
        try:
            try:
                decoded = jwt.decode(token, self._jwks.keys(), algorithms=list(oidc.algorithms))
            except (JoseError, ValueError):
                # Perhaps signed with a key the provider added since the JWKS was read.
                keys = self._jwks.keys(refetch=True)
                decoded = jwt.decode(token, keys, algorithms=list(oidc.algorithms))
            registry = jwt.JWTClaimsRegistry(
                now=lambda: int(self._clock().timestamp()),
                leeway=oidc.leeway_seconds,
                iss={"essential": True, "value": oidc.issuer},
                aud={"essential": True, "value": oidc.audience},
                exp={"essential": True},
            )
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as e:
            raise NotAuthenticated(f"bearer token refused: {type(e).__name__}: {e}") from None
        except OSError as e:
            raise NotAuthenticated(f"the identity provider's keys cannot be read: {e}") from None
        return dict(decoded.claims), oidc.user_claim

    # --- what each process knows of its own traffic -------------------------------------

    def last_used(self, key_id: str) -> datetime | None:
        """When this process last let the key in (kept in memory, never an event)."""
        return self._last_used.get(key_id)
