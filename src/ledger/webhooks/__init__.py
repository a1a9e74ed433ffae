"""Webhooks: other systems subscribe to the ledger's events over HTTP (the Standard
Webhooks specification). Cross-cutting machinery, apart from the plant's features, like
identity.

A subscription is an aggregate of the ledger (`WebhookSubscription`), so creating,
disabling, re-enabling, replaying and deleting one are events with their actor and
time. Its Created event holds the signing secret: this machinery's events never leave
the event store (`WEBHOOKS_TOPIC_PREFIX` is one of `ledger.private`'s prefixes). The
delivery itself (reading the log, signing, retrying) is the composition root's
(`mims.webhooks`); ``docs/webhooks.md`` has the model.
"""

# Every stored topic of this machinery starts with it (relay, exports, webhooks skip it).
WEBHOOKS_TOPIC_PREFIX = "ledger.webhooks."
