"""Webhook handlers. Who may send these commands: ``webhooks.manage``, plant-wide
(`ledger.identity.permissions`)."""

from __future__ import annotations

import base64
import secrets

from ledger.errors import AlreadyExists
from ledger.unit_of_work import UnitOfWork
from ledger.webhooks.commands import (
    CreateWebhookSubscription,
    DeleteWebhookSubscription,
    DisableWebhookSubscription,
    EnableWebhookSubscription,
    ReplayWebhookSubscription,
)
from ledger.webhooks.subscription import UnknownWebhook, WebhookSubscription, webhook_id

# The dispatcher's actor when it disables a subscription on its own.
DISPATCHER = "system:webhooks"
SECRET_BYTES = 32  # the Standard Webhooks secret: whsec_ + base64 of 24-64 random bytes


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _subscription(uow: UnitOfWork, subscription_id: str) -> WebhookSubscription:
    found = uow.find(WebhookSubscription, webhook_id(subscription_id))
    if found is None:
        raise UnknownWebhook(
            f"no webhook subscription {subscription_id}",
            field="subscription_id",
            subscription=subscription_id,
        )
    return found


def create_webhook_subscription(uow: UnitOfWork, cmd: CreateWebhookSubscription) -> dict[str, str]:
    if uow.peek(WebhookSubscription, webhook_id(cmd.subscription_id)) is not None:
        raise AlreadyExists(
            f"webhook subscription {cmd.subscription_id} exists (ids are never reused)",
            field="subscription_id",
            subscription=cmd.subscription_id,
        )
    secret = new_secret()
    subscription = WebhookSubscription.create(
        meta=uow.meta(),
        subscription_id=cmd.subscription_id,
        url=cmd.url,
        event_types=tuple(dict.fromkeys(cmd.event_types)),
        sites=tuple(dict.fromkeys(cmd.sites)),
        description=cmd.description,
        secret=secret,
        batch_max=cmd.batch_max,
        from_position=cmd.from_position,
    )
    uow.add(subscription)
    # Shown once: in this answer only, never in the receipt, GraphQL or a log line.
    uow.shown_once["secret"] = secret
    return {"subscription_id": cmd.subscription_id}


def disable_webhook_subscription(
    uow: UnitOfWork, cmd: DisableWebhookSubscription
) -> dict[str, str]:
    subscription = _subscription(uow, cmd.subscription_id)
    automatic = uow.envelope.principal is None and uow.envelope.actor == DISPATCHER
    subscription.disable(meta=uow.meta(), reason=cmd.reason, automatic=automatic)
    return {"subscription_id": cmd.subscription_id}


def enable_webhook_subscription(uow: UnitOfWork, cmd: EnableWebhookSubscription) -> dict[str, str]:
    subscription = _subscription(uow, cmd.subscription_id)
    subscription.enable(meta=uow.meta(), reason=cmd.reason)
    return {"subscription_id": cmd.subscription_id}


def replay_webhook_subscription(uow: UnitOfWork, cmd: ReplayWebhookSubscription) -> dict[str, str]:
    subscription = _subscription(uow, cmd.subscription_id)
    subscription.replay(meta=uow.meta(), from_position=cmd.from_position, from_time=cmd.from_time)
    return {
        "subscription_id": cmd.subscription_id,
        "generation": str(subscription.generation),
    }


def delete_webhook_subscription(uow: UnitOfWork, cmd: DeleteWebhookSubscription) -> dict[str, str]:
    subscription = _subscription(uow, cmd.subscription_id)
    subscription.delete(meta=uow.meta(), reason=cmd.reason)
    return {"subscription_id": cmd.subscription_id}
