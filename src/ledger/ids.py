"""Stream ids derived from the plant's natural keys.

Deriving ids with uuid5 makes uniqueness a property of the store: registering a SKU twice,
or replaying a command id, collides on version 1 of the same stream inside the save.
"""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f3c1a52-4c8e-5d2b-9a77-2c1e0f4b8d10")


def item_id(sku: str) -> UUID:
    return uuid5(NAMESPACE, f"item:{sku}")


def stock_id(sku: str) -> UUID:
    return uuid5(NAMESPACE, f"stock:{sku}")


def location_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"location:{code}")


def receipt_id(command_id: str) -> UUID:
    return uuid5(NAMESPACE, f"command:{command_id}")


def event_id(originator_id: UUID, version: int) -> UUID:
    """A stable id for one stored event (used as NATS Nats-Msg-Id and in API answers)."""
    return uuid5(originator_id, str(version))
