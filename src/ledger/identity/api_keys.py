"""API keys for devices and integrations: named, scoped by their grants, revocable.

The key's text ``mims_<key id>_<secret>`` is shown once, in the answer to the command
that issued it (``UnitOfWork.shown_once``: not in the command's receipt, not in any
event). The store keeps the key id and the SHA-256 of the secret: a key's secret is 256
random bits, so a fast hash is enough (unlike a password, it cannot be guessed from a
dictionary). When a key was last used is kept in memory by each process's
`Authenticator`, not recorded as an event per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.identity.accounts import check_grant
from ledger.identity.roles import Grant
from ledger.ids import derived_id
from ledger.values import Meta

KEY_PREFIX = "mims"
_KEY_ID_BYTES = 8  # 16 hex digits
_SECRET_BYTES = 32


def api_key_id(key_id: str) -> UUID:
    return derived_id("api-key", key_id)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class KeyText:
    """A key as its holder sends it, split into its id and its secret."""

    key_id: str
    secret: str

    @property
    def text(self) -> str:
        return f"{KEY_PREFIX}_{self.key_id}_{self.secret}"

    @classmethod
    def new(cls) -> KeyText:
        return cls(secrets.token_hex(_KEY_ID_BYTES), secrets.token_urlsafe(_SECRET_BYTES))

    @classmethod
    def parse(cls, text: str) -> KeyText | None:
        prefix, _, rest = text.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != KEY_PREFIX or not key_id or not secret:
            return None
        return cls(key_id, secret)


class ApiKey(LedgerAggregate, stored_as="ledger.identity.api_keys"):
    if TYPE_CHECKING:
        key_id: str
        name: str
        secret_sha256: str
        grants: tuple[Grant, ...]
        on_behalf_of: str | None
        issued_by: str
        revoked: bool

    class Issued(LedgerAggregate.Created):
        """``secret_sha256``: the digest of the key's secret; the secret is not stored."""

        key_id: str
        name: str
        secret_sha256: str
        grants: tuple[Grant, ...]
        on_behalf_of: str | None
        issued_by: str

        def apply(self, aggregate: ApiKey) -> None:
            aggregate.key_id = self.key_id
            aggregate.name = self.name
            aggregate.secret_sha256 = self.secret_sha256
            aggregate.grants = self.grants
            aggregate.on_behalf_of = self.on_behalf_of
            aggregate.issued_by = self.issued_by
            aggregate.revoked = False

    class Revoked(LedgerAggregate.Event):
        reason: str

        def apply(self, aggregate: ApiKey) -> None:
            aggregate.revoked = True

    @classmethod
    def issue(
        cls,
        *,
        meta: Meta,
        key: KeyText,
        name: str,
        grants: tuple[Grant, ...],
        on_behalf_of: str | None,
    ) -> Self:
        for grant in grants:
            check_grant(grant)
        return cls._create(
            cls.Issued,
            id=api_key_id(key.key_id),
            meta=meta,
            key_id=key.key_id,
            name=name,
            secret_sha256=secret_digest(key.secret),
            grants=grants,
            on_behalf_of=on_behalf_of,
            issued_by=meta.actor,
        )

    def revoke(self, *, meta: Meta, reason: str) -> None:
        if not self.revoked:
            self.trigger_event(self.Revoked, meta=meta, reason=reason)

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_sha256, secret_digest(secret))
