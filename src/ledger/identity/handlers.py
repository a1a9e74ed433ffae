"""Identity handlers: people's accounts and API keys.

Who may send these commands is the HTTP layer's check (`permissions.COMMAND_PERMISSIONS`:
identity.manage, or a person's own password); the handlers decide what the accounts'
rules allow.
"""

from __future__ import annotations

from ledger.errors import AlreadyExists, LedgerError
from ledger.identity.accounts import (
    Account,
    AccountRefused,
    UnknownUser,
    account_id,
    new_totp_secret,
)
from ledger.identity.api_keys import ApiKey, KeyText, api_key_id
from ledger.identity.commands import (
    ClearFailedLogins,
    DeactivateUser,
    EndSession,
    EnrollTotp,
    GrantRole,
    IssueApiKey,
    ReactivateUser,
    RecordFailedLogin,
    RegisterUser,
    RevokeApiKey,
    RevokeRole,
    SetPassword,
    UnlockUser,
)
from ledger.unit_of_work import UnitOfWork

TOTP_ISSUER = "MIMS"


class UnknownApiKey(LedgerError):
    """No API key was issued under this key id."""

    type = "unknown-api-key"
    title = "Unknown API key"
    kind = "not_found"


def _account(uow: UnitOfWork, user_id: str, field: str = "user_id") -> Account:
    account = uow.find(Account, account_id(user_id))
    if account is None:
        raise UnknownUser(f"no user {user_id}", field=field, user=user_id)
    return account


def _hash(cmd: RegisterUser | SetPassword) -> str:
    if cmd.password_hash is None:
        # `Ledger.submit` prepares every command; hashing here would stall the writer.
        msg = f"{cmd.command_name} reached the writer without its password hashed"
        raise RuntimeError(msg)
    return cmd.password_hash


def register_user(uow: UnitOfWork, cmd: RegisterUser) -> dict[str, str]:
    if uow.peek(Account, account_id(cmd.user_id)) is not None:
        # Deactivated ones too: a user id is never given to another person.
        raise AlreadyExists(
            f"user id {cmd.user_id} is taken (user ids are never reused)",
            field="user_id",
            user=cmd.user_id,
        )
    meta = uow.meta()
    account = Account.register(
        meta=meta, user_id=cmd.user_id, printed_name=cmd.printed_name, time_zone=cmd.time_zone
    )
    if cmd.password is not None:
        account.set_password(
            meta=meta, password_hash=_hash(cmd), expires_at=cmd.password_expires_at
        )
    uow.add(account)
    return {"user_id": account.user_id}


def set_password(uow: UnitOfWork, cmd: SetPassword) -> dict[str, str]:
    account = _account(uow, cmd.user_id)
    account.set_password(meta=uow.meta(), password_hash=_hash(cmd), expires_at=cmd.expires_at)
    return {"user_id": account.user_id}


def grant_role(uow: UnitOfWork, cmd: GrantRole) -> dict[str, str]:
    account = _account(uow, cmd.user_id)
    account.grant(meta=uow.meta(cmd.grant.site), grant=cmd.grant.grant())
    return {"user_id": account.user_id, "role": cmd.grant.role.value, "site": cmd.grant.site}


def revoke_role(uow: UnitOfWork, cmd: RevokeRole) -> dict[str, str]:
    account = _account(uow, cmd.user_id)
    account.revoke(meta=uow.meta(cmd.grant.site), grant=cmd.grant.grant())
    return {"user_id": account.user_id, "role": cmd.grant.role.value, "site": cmd.grant.site}


def deactivate_user(uow: UnitOfWork, cmd: DeactivateUser) -> dict[str, str]:
    account = _account(uow, cmd.user_id)
    account.deactivate(meta=uow.meta(), reason=cmd.reason)
    return {"user_id": account.user_id}


def reactivate_user(uow: UnitOfWork, cmd: ReactivateUser) -> dict[str, str]:
    account = _account(uow, cmd.user_id)
    account.reactivate(meta=uow.meta(), reason=cmd.reason)
    return {"user_id": account.user_id}


def enroll_totp(uow: UnitOfWork, cmd: EnrollTotp) -> dict[str, str]:
    import pyotp

    account = _account(uow, cmd.user_id)
    secret = new_totp_secret()
    account.enroll_totp(meta=uow.meta(), secret=secret)
    uow.shown_once["totp_uri"] = pyotp.TOTP(secret).provisioning_uri(
        name=account.user_id, issuer_name=TOTP_ISSUER
    )
    return {"user_id": account.user_id}


def unlock_user(uow: UnitOfWork, cmd: UnlockUser) -> dict[str, str]:
    account = _account(uow, cmd.user_id)
    account.unlock(meta=uow.meta(), reason=cmd.reason)
    return {"user_id": account.user_id}


def end_session(uow: UnitOfWork, cmd: EndSession) -> dict[str, str]:
    account = _account(uow, cmd.user_id)
    account.end_session(meta=uow.meta(), session_id=cmd.session_id, expires_at=cmd.expires_at)
    return {"user_id": account.user_id, "session_id": cmd.session_id}


def record_failed_login(uow: UnitOfWork, cmd: RecordFailedLogin) -> dict[str, str]:
    account = _account(uow, cmd.user_id)
    was_locked = account.locked
    account.refuse_login(meta=uow.meta())
    return {
        "user_id": account.user_id,
        "failed_logins": str(account.failed_logins),
        # Locked by this very login (the login endpoint raises the alert).
        "locked_now": str(account.locked and not was_locked).lower(),
    }


def clear_failed_logins(uow: UnitOfWork, cmd: ClearFailedLogins) -> dict[str, str]:
    account = _account(uow, cmd.user_id)
    account.clear_failed_logins(meta=uow.meta())
    return {"user_id": account.user_id}


def issue_api_key(uow: UnitOfWork, cmd: IssueApiKey) -> dict[str, str]:
    if cmd.on_behalf_of is not None:
        person = _account(uow, cmd.on_behalf_of, "on_behalf_of")
        if not person.active:
            raise AccountRefused(
                f"{person.user_id} is deactivated: no key can act for them",
                field="on_behalf_of",
                user=person.user_id,
            )
    key = KeyText.new()
    api_key = ApiKey.issue(
        meta=uow.meta(),
        key=key,
        name=cmd.name,
        grants=tuple(g.grant() for g in cmd.grants),
        on_behalf_of=cmd.on_behalf_of,
    )
    uow.add(api_key)
    uow.shown_once["key"] = key.text
    return {"key_id": key.key_id, "name": cmd.name}


def revoke_api_key(uow: UnitOfWork, cmd: RevokeApiKey) -> dict[str, str]:
    api_key = uow.find(ApiKey, api_key_id(cmd.key_id))
    if api_key is None:
        raise UnknownApiKey(f"no API key {cmd.key_id}", field="key_id", key_id=cmd.key_id)
    api_key.revoke(meta=uow.meta(), reason=cmd.reason)
    return {"key_id": cmd.key_id}
