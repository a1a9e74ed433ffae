"""Events that never leave the event store.

Identity's events hold password hashes, key digests and TOTP seeds, and a webhook
subscription's hold its signing secret; a feature whose events hold secrets adds its
topic prefix here. Whatever publishes or exports the log (the relay, webhooks, EPCIS and
other exports) asks :func:`is_private` and passes over them.
"""

from __future__ import annotations

from ledger.identity import IDENTITY_TOPIC_PREFIX
from ledger.webhooks import WEBHOOKS_TOPIC_PREFIX

PRIVATE_TOPIC_PREFIXES: tuple[str, ...] = (IDENTITY_TOPIC_PREFIX, WEBHOOKS_TOPIC_PREFIX)


def is_private(topic: str) -> bool:
    return topic.startswith(PRIVATE_TOPIC_PREFIXES)
