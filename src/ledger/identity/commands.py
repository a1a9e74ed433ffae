"""Identity commands: people, their passwords and roles, and API keys.

A password travels as a pydantic ``SecretStr``: a command's fingerprint, its receipt and
any log line see ``**********``. It is hashed (argon2id) by `prepared`, which `Ledger`
runs in the caller's thread before queueing, and the hash is kept in a private
attribute that no request body can set (``extra="forbid"``, and private attributes are
not fields): a client cannot post a hash of its choosing (mass assignment).
"""

from __future__ import annotations

import zoneinfo
from abc import abstractmethod
from typing import Annotated, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
)

from ledger.commands import Code, Command, Text
from ledger.identity.accounts import hash_password, normalise_user_id
from ledger.identity.roles import Grant, Role


def _user_id(value: object) -> object:
    """A user id is taken in any case and kept in lower case; anything else the pattern
    refuses as sent (so the schema and the server agree on what is valid)."""
    return (
        normalise_user_id(value)
        if isinstance(value, str) and value.isascii() and value == value.strip()
        else value
    )


def _time_zone(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        msg = f"{value!r} is not an IANA time zone (like Europe/Berlin)"
        raise ValueError(msg) from None
    return value


UserId = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@\-]{0,63}$", examples=["anna.keller"]),
    BeforeValidator(_user_id),
]
PrintedName = Annotated[str, Field(min_length=1, max_length=128, examples=["Anna Keller"])]
TimeZone = Annotated[
    str, Field(max_length=64, examples=["Europe/Berlin"]), BeforeValidator(_time_zone)
]
# NIST SP 800-63B: at least 8 characters, long passphrases allowed; bounded, because
# hashing a megabyte would be a way to keep the server busy.
Password = Annotated[SecretStr, Field(min_length=8, max_length=256)]
KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$", examples=["3f9a0c1d2b4e5f60"])]


class GrantInput(BaseModel):
    """A role for one site (``"*"``: every site, administrators and auditors only),
    optionally for the locations whose code starts with ``location_prefix``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    site: Literal["*"] | Code
    location_prefix: Code | None = None

    def grant(self) -> Grant:
        return Grant(role=self.role, site=self.site, location_prefix=self.location_prefix)


class _WithPassword(Command):
    prepares = True
    _password_hash: str | None = PrivateAttr(default=None)

    @abstractmethod
    def secret(self) -> SecretStr | None:
        """The password to hash, if the command carries one."""

    def prepared(self) -> Self:
        secret = self.secret()
        if secret is None or self._password_hash is not None:
            return self
        twin = self.model_copy()
        twin._password_hash = hash_password(secret.get_secret_value())
        return twin

    @property
    def password_hash(self) -> str | None:
        """The argon2id hash `prepared` made (None before: the handler then refuses)."""
        return self._password_hash


class RegisterUser(_WithPassword):
    command_name = "RegisterUser"

    user_id: UserId
    printed_name: PrintedName
    time_zone: TimeZone = "UTC"
    password: Password | None = None
    password_expires_at: AwareDatetime | None = None

    def secret(self) -> SecretStr | None:
        return self.password


class SetPassword(_WithPassword):
    command_name = "SetPassword"

    user_id: UserId
    password: Password
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the password must be changed (none: never)"
    )

    def secret(self) -> SecretStr | None:
        return self.password


class GrantRole(Command):
    command_name = "GrantRole"

    user_id: UserId
    grant: GrantInput


class RevokeRole(Command):
    command_name = "RevokeRole"

    user_id: UserId
    grant: GrantInput


class DeactivateUser(Command):
    command_name = "DeactivateUser"

    user_id: UserId
    reason: Text


class ReactivateUser(Command):
    command_name = "ReactivateUser"

    user_id: UserId
    reason: Text


class EnrollTotp(Command):
    """A new TOTP secret for the account; answered once (``totp_uri``), never again."""

    command_name = "EnrollTotp"

    user_id: UserId


class UnlockUser(Command):
    command_name = "UnlockUser"

    user_id: UserId
    reason: Text


class EndSession(Command):
    """End one login session before its expiry: its token is refused on every worker
    within a second. A person ends their own (``POST /auth/logout``); ending anyone's
    takes identity.manage (the session id is in each event's ``meta.session``)."""

    command_name = "EndSession"

    user_id: UserId
    session_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{8,64}$")]
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the session would have expired anyway"
    )


class RecordFailedLogin(Command):
    """A wrong password at ``/auth/login``: counted on the account, the fifth in a row
    locks it. Sent by the login endpoint itself, never posted (no route)."""

    command_name = "RecordFailedLogin"

    user_id: UserId


class ClearFailedLogins(Command):
    """A good password at ``/auth/login`` after wrong ones. Sent by the login endpoint
    itself, never posted (no route)."""

    command_name = "ClearFailedLogins"

    user_id: UserId


class IssueApiKey(Command):
    """A new key; its text is in this command's answer only (``key``)."""

    command_name = "IssueApiKey"

    name: Annotated[str, Field(min_length=1, max_length=128, examples=["ERP inbound"])]
    grants: Annotated[tuple[GrantInput, ...], Field(min_length=1, max_length=64)]
    on_behalf_of: UserId | None = Field(
        default=None, description="The person the key acts for (both are recorded)"
    )


class RevokeApiKey(Command):
    command_name = "RevokeApiKey"

    key_id: KeyId
    reason: Text


# Decided for the login endpoint itself (``commands.authentication``), never posted: they
# have no route, and nobody can record a failed login for someone else.
LOGIN_COMMANDS: tuple[type[Command], ...] = (RecordFailedLogin, ClearFailedLogins)
