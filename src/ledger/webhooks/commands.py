"""Webhook commands: subscribe another system, disable, re-enable, replay, delete.

The URL's form is checked here (a malformed URL is a 422 field error); whether its host
resolves to an address outside receivers may have is checked by the HTTP layer before
the command is queued (`commands.webhooks`: resolving a name must never stall the
writer) and again by the dispatcher before each delivery.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, model_validator

from ledger.commands import Code, Command, Text
from ledger.webhooks.filters import TYPE_PATTERN

SubscriptionId = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$", examples=["erp-receipts"])
]
EventTypePattern = Annotated[str, Field(pattern=TYPE_PATTERN, examples=["com.mims.stock.*"])]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
# Events per signed delivery when a backlog builds up (1: one event per delivery).
BatchMax = Annotated[int, Field(ge=1, le=1_000)]


class CreateWebhookSubscription(Command):
    """The answer holds the signing secret (``data.secret``) once; it is never shown
    again."""

    command_name = "CreateWebhookSubscription"

    subscription_id: SubscriptionId
    url: Annotated[
        str, Field(min_length=8, max_length=2048, examples=["https://erp.example.com/mims"])
    ]
    event_types: tuple[EventTypePattern, ...] = Field(
        default=(),
        max_length=50,
        description="Published event types or glob patterns (com.mims.stock.*); none: every type",
    )
    sites: tuple[Code, ...] = Field(
        default=(), max_length=50, description="Only events of these sites; none: every site"
    )
    description: Text = ""
    batch_max: BatchMax = Field(
        default=1,
        description="Up to this many events in one signed delivery when a backlog builds up",
    )
    from_position: int | None = Field(
        default=None,
        ge=1,
        description="Deliver from this position of the log on (default: what is recorded"
        " after the subscription)",
    )


class DisableWebhookSubscription(Command):
    command_name = "DisableWebhookSubscription"

    subscription_id: SubscriptionId
    reason: Reason


class EnableWebhookSubscription(Command):
    """Deliveries resume from where they stopped; nothing recorded meanwhile is skipped."""

    command_name = "EnableWebhookSubscription"

    subscription_id: SubscriptionId
    reason: Reason


class ReplayWebhookSubscription(Command):
    """Deliver again from a position of the log, or from the first event recorded at or
    after a time; the deliveries carry the events' own ids (receivers de-duplicate)."""

    command_name = "ReplayWebhookSubscription"

    subscription_id: SubscriptionId
    from_position: int | None = Field(default=None, ge=1)
    from_time: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_start(self) -> ReplayWebhookSubscription:
        if (self.from_position is None) == (self.from_time is None):
            msg = "name either from_position or from_time"
            raise ValueError(msg)
        return self


class DeleteWebhookSubscription(Command):
    command_name = "DeleteWebhookSubscription"

    subscription_id: SubscriptionId
    reason: Reason
