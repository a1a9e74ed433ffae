"""Principals: who a request or a job acts as, once authenticated.

A principal is what the write and read sides trust, never a header: the HTTP layer gets
one from `ledger.identity.authentication.Authenticator`, a scheduled job builds its own
with `SYSTEM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ledger.identity.roles import Grant, Role


class PrincipalKind(StrEnum):
    PERSON = "person"
    KEY = "key"
    SYSTEM = "system"


@dataclass(frozen=True, kw_only=True)
class Principal:
    """``id``: the person's user id, the key id, or ``system:<job>``. ``on_behalf_of``: the
    person an integration key acts for (both are recorded)."""

    kind: PrincipalKind
    id: str
    printed_name: str
    grants: tuple[Grant, ...]
    session_id: str | None = None
    on_behalf_of: str | None = None

    @property
    def actor(self) -> str:
        """What the ledger records as the event's actor: the person, or the key and the
        person it acts for (``key:K for person``)."""
        if self.kind is PrincipalKind.KEY:
            named = f"key:{self.id}"
            return f"{named} for {self.on_behalf_of}" if self.on_behalf_of else named
        return self.id


def SYSTEM(job: str) -> Principal:  # noqa: N802 - reads as a constant: SYSTEM("expiry")
    """The plant's own scheduled jobs (expiry, anchoring the chain): recorded as such."""
    return Principal(
        kind=PrincipalKind.SYSTEM,
        id=f"system:{job}",
        printed_name=f"MIMS {job} job",
        grants=(Grant(role=Role.SYSTEM, site="*"),),
    )
