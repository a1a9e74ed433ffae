"""A webhook subscription: where to deliver, what to deliver, whether it is delivering.

One stream per subscription id (uuid5 of ``webhook:<id>``). ``generation`` counts
replays: the dispatcher keeps one delivery cursor per (subscription, generation), so a
replay starts a fresh cursor at its position and the old one is simply left behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.errors import LedgerError
from ledger.ids import derived_id
from ledger.values import Meta


class WebhookRefused(LedgerError):
    """A rule of webhook subscriptions says no (a deleted subscription, nothing to do)."""

    type = "webhook-refused"
    title = "Refused by the webhook's rules"


class UnknownWebhook(LedgerError):
    """No webhook subscription is registered under this id."""

    type = "unknown-webhook"
    title = "Unknown webhook subscription"
    kind = "not_found"


def webhook_id(subscription_id: str) -> UUID:
    return derived_id("webhook", subscription_id)


class WebhookSubscription(LedgerAggregate, stored_as="ledger.webhooks.subscription"):
    if TYPE_CHECKING:
        subscription_id: str
        url: str
        event_types: tuple[str, ...]
        sites: tuple[str, ...]
        description: str
        secret: str
        batch_max: int
        from_position: int | None
        active: bool
        deleted: bool
        disabled_reason: str | None
        generation: int

    class Created(LedgerAggregate.Created):
        """``secret``: the signing secret (``whsec_...``). It must never leave the event
        store: this machinery's topics are private (``ledger.private``).
        ``from_position``: the first position to deliver (None: what is recorded after
        this event)."""

        subscription_id: str
        url: str
        event_types: tuple[str, ...]
        sites: tuple[str, ...]
        description: str
        secret: str
        batch_max: int
        from_position: int | None

        def apply(self, aggregate: WebhookSubscription) -> None:
            aggregate.subscription_id = self.subscription_id
            aggregate.url = self.url
            aggregate.event_types = self.event_types
            aggregate.sites = self.sites
            aggregate.description = self.description
            aggregate.secret = self.secret
            aggregate.batch_max = self.batch_max
            aggregate.from_position = self.from_position
            aggregate.active = True
            aggregate.deleted = False
            aggregate.disabled_reason = None
            aggregate.generation = 0

    class Disabled(LedgerAggregate.Event):
        """Deliveries stop. ``automatic``: the dispatcher gave up after the retry window
        (or the receiver answered 410 Gone); else a person or key did."""

        reason: str
        automatic: bool

        def apply(self, aggregate: WebhookSubscription) -> None:
            aggregate.active = False
            aggregate.disabled_reason = self.reason

    class Enabled(LedgerAggregate.Event):
        """Deliveries resume where they stopped (the cursor was kept), retries afresh."""

        reason: str

        def apply(self, aggregate: WebhookSubscription) -> None:
            aggregate.active = True
            aggregate.disabled_reason = None

    class Replayed(LedgerAggregate.Event):
        """Deliver again from ``from_position`` (or from the first event recorded at or
        after ``from_time``, resolved by the dispatcher) under a new ``generation``."""

        from_position: int | None
        from_time: datetime | None
        generation: int

        def apply(self, aggregate: WebhookSubscription) -> None:
            aggregate.generation = self.generation

    class Deleted(LedgerAggregate.Event):
        reason: str

        def apply(self, aggregate: WebhookSubscription) -> None:
            aggregate.active = False
            aggregate.deleted = True

    # --- deciding ------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        meta: Meta,
        subscription_id: str,
        url: str,
        event_types: tuple[str, ...],
        sites: tuple[str, ...],
        description: str,
        secret: str,
        batch_max: int,
        from_position: int | None,
    ) -> Self:
        if not secret.startswith("whsec_"):
            msg = "a webhook secret is whsec_ and base64"  # a bug upstream
            raise ValueError(msg)
        return cls._create(
            cls.Created,
            id=webhook_id(subscription_id),
            meta=meta,
            subscription_id=subscription_id,
            url=url,
            event_types=event_types,
            sites=sites,
            description=description,
            secret=secret,
            batch_max=batch_max,
            from_position=from_position,
        )

    def _not_deleted(self) -> None:
        if self.deleted:
            raise WebhookRefused(
                f"the webhook {self.subscription_id} is deleted",
                field="subscription_id",
                subscription=self.subscription_id,
            )

    def disable(self, *, meta: Meta, reason: str, automatic: bool) -> None:
        self._not_deleted()
        if self.active:
            self.trigger_event(self.Disabled, meta=meta, reason=reason, automatic=automatic)

    def enable(self, *, meta: Meta, reason: str) -> None:
        self._not_deleted()
        if not self.active:
            self.trigger_event(self.Enabled, meta=meta, reason=reason)

    def replay(self, *, meta: Meta, from_position: int | None, from_time: datetime | None) -> None:
        self._not_deleted()
        if (from_position is None) == (from_time is None):
            msg = "a replay starts from a position or from a time"  # the command checks it
            raise ValueError(msg)
        self.trigger_event(
            self.Replayed,
            meta=meta,
            from_position=from_position,
            from_time=from_time,
            generation=self.generation + 1,
        )

    def delete(self, *, meta: Meta, reason: str) -> None:
        self._not_deleted()
        self.trigger_event(self.Deleted, meta=meta, reason=reason)
