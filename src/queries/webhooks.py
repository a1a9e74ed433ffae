"""Webhook subscriptions and their delivery log, for administrators.

Neither is a read model: the subscriptions are what the dispatcher knows from their
events, and the delivery log lives beside the event store (`mims.webhook_log`). The
composition root gives GraphQL a `WebhookLog` through the context, as it gives the
recall route its finder, since ``queries`` imports no more than the read side. A
subscription's secret is never in this schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import strawberry
from strawberry.types import Info

from queries.access import forbidden
from queries.context import Context, described

MAX_PAGE = 500


@strawberry.type
class WebhookSubscriptionInfo:
    subscription_id: str
    url: str
    description: str
    event_types: list[str]
    sites: list[str]
    batch_max: int
    state: str = strawberry.field(description="active, disabled or deleted")
    disabled_reason: str | None
    generation: int = strawberry.field(description="Replays so far (each starts a new cursor)")
    position: int = strawberry.field(description="The last position delivered or passed over")
    lag: int = strawberry.field(description="Events recorded after the position")
    delivered: int = strawberry.field(description="Events delivered since the server started")
    failed_attempts: int = strawberry.field(description="Failed attempts since the server started")
    last_error: str | None


@strawberry.type
class WebhookDelivery:
    id: str
    subscription_id: str
    generation: int
    webhook_id: str
    first_position: int
    last_position: int
    events: int
    attempt: int
    status: str = strawberry.field(description="delivered or failed")
    status_code: int | None
    error: str | None
    latency_ms: float
    response: str = strawberry.field(description="The receiver's answer, its first 500 characters")
    at: datetime


@strawberry.type
class WebhookDeliveryPage:
    items: list[WebhookDelivery]
    next_cursor: str | None = strawberry.field(description="Give it as `after` for older ones")


class WebhookLog(Protocol):
    """What the composition root gives GraphQL (``app.state.webhooks``)."""

    async def subscription_infos(self) -> list[WebhookSubscriptionInfo]: ...

    async def delivery_page(
        self, *, subscription: str | None, status: str | None, first: int, before_id: int | None
    ) -> list[WebhookDelivery]: ...


def _whole_plant(info: Info[Context, None], field: str) -> None:
    scope = info.context.scope(field)
    if scope is not None and "*" not in scope.whole_sites:
        # A subscription carries the events of every site it names, or of all of them.
        raise forbidden(field, "webhooks span the plant: a grant on every site is needed")


@strawberry.type
class WebhooksQuery:
    @described("Webhook subscriptions, their state and lag (never their secret).")
    async def webhook_subscriptions(
        self, info: Info[Context, None]
    ) -> list[WebhookSubscriptionInfo]:
        _whole_plant(info, "webhookSubscriptions")
        log = info.context.webhooks
        return [] if log is None else await log.subscription_infos()

    @described("The webhook delivery log, newest first: one row per attempt.")
    async def webhook_deliveries(
        self,
        info: Info[Context, None],
        subscription: str | None = None,
        status: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> WebhookDeliveryPage:
        _whole_plant(info, "webhookDeliveries")
        log = info.context.webhooks
        if log is None:
            return WebhookDeliveryPage(items=[], next_cursor=None)
        first = max(1, min(first, MAX_PAGE))
        before = int(after) if after is not None and after.isdigit() else None
        items = await log.delivery_page(
            subscription=subscription, status=status, first=first + 1, before_id=before
        )
        more = len(items) > first
        items = items[:first]
        return WebhookDeliveryPage(items=items, next_cursor=items[-1].id if more else None)
