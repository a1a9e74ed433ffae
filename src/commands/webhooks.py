"""The webhook routes' one check before the writer: where the URL leads.

Resolving a host name takes the resolver's time (milliseconds to seconds), which must
never be spent in the writer's thread; so `check_webhook_target` resolves it here, on the
event loop, and refuses a target outside receivers never have (`WebhookTargetRefused`,
422, naming the address) before the command is queued. The composition root puts the
operator's policy on ``app.state.webhook_policy`` (default: public https only).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import State

from commands.lane import NOTHING_MORE
from ledger.commands import Command
from ledger.webhooks.commands import CreateWebhookSubscription
from ledger.webhooks.targets import TargetPolicy, check_target


async def check_webhook_target(
    body: CreateWebhookSubscription, state: State
) -> tuple[Command, Mapping[str, object]]:
    policy: TargetPolicy = getattr(state, "webhook_policy", None) or TargetPolicy()
    await check_target(body.url, policy)
    return body, NOTHING_MORE
