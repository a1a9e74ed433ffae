"""The stable, versioned name of each kind of event for other systems (CloudEvents ``type``,
webhook ``type``): ``ledger.stock:Stock.Received`` -> ``com.mims.stock.received.v1``.

Derived from the stored topic, which never changes when a class moves (``stored_as``), so
a published name changes only when someone changes it here on purpose.
"""

from __future__ import annotations

import re

NAMESPACE = "com.mims"
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(name: str) -> str:
    """``WorkOrder`` -> ``work_order``."""
    return _WORD.sub("_", name).lower()


def event_type(topic: str, version: int = 1) -> str:
    """``ledger.work_order:WorkOrder.OperationReported`` ->
    ``com.mims.work_order.operation_reported.v1``."""
    qualname = topic.rsplit(":", 1)[-1]
    return ".".join([NAMESPACE, *(snake(part) for part in qualname.split(".")), f"v{version}"])
