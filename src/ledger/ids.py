"""Stream ids derived from the plant's natural keys.

Deriving ids with uuid5 makes uniqueness a property of the store: registering a SKU twice,
or replaying a command id, collides on version 1 of the same stream inside the save.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import sha1
from uuid import UUID

NAMESPACE = UUID("6f3c1a52-4c8e-5d2b-9a77-2c1e0f4b8d10")
_NAMESPACE_BYTES = NAMESPACE.bytes


def _uuid5(namespace: bytes, name: str) -> UUID:
    """``uuid.uuid5`` without re-deriving the namespace's bytes on every call (the writer
    computes two per command)."""
    return UUID(
        bytes=sha1(namespace + name.encode(), usedforsecurity=False).digest()[:16], version=5
    )


@lru_cache(maxsize=65536)
def item_id(sku: str) -> UUID:
    return _uuid5(_NAMESPACE_BYTES, f"item:{sku}")


@lru_cache(maxsize=65536)
def stock_id(sku: str) -> UUID:
    return _uuid5(_NAMESPACE_BYTES, f"stock:{sku}")


@lru_cache(maxsize=65536)
def location_id(code: str) -> UUID:
    return _uuid5(_NAMESPACE_BYTES, f"location:{code}")


def receipt_id(command_id: str) -> UUID:
    return _uuid5(_NAMESPACE_BYTES, f"command:{command_id}")


def derived_id(kind: str, key: str) -> UUID:
    """Any other id derived from a natural key (reservations, orders...)."""
    return _uuid5(_NAMESPACE_BYTES, f"{kind}:{key}")


def event_id(originator_id: UUID, version: int) -> UUID:
    """A stable id for one stored event (used as NATS Nats-Msg-Id and in API answers)."""
    return _uuid5(originator_id.bytes, str(version))
