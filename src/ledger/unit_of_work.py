"""The unit of work one command is decided in.

It hands out *clones* of the aggregates the command reads, so a command that is refused
halfway leaves no trace: the writer only keeps the clones of a command that succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.errors import NotPermitted, UnknownItem, UnknownLocation
from ledger.identity.permissions import allowed
from ledger.identity.principals import Principal, PrincipalKind
from ledger.identity.roles import Permission
from ledger.ids import event_id, item_id, location_id, stock_id
from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.stock.card import Place, Stock
from ledger.values import EventRef, Meta

A = TypeVar("A", bound=LedgerAggregate)
KEY = PrincipalKind.KEY


class AggregateSource(Protocol):
    def load(self, aggregate_id: UUID) -> LedgerAggregate | None: ...


@dataclass(frozen=True, kw_only=True)
class Envelope:
    """Who sent a command and for when: the parts of every event's metadata that the
    command does not decide itself."""

    actor: str
    command_id: str
    correlation_id: str
    effective_at: datetime
    # Who sent it, when authenticated (the HTTP edge), and what the command needs: each
    # place the handler resolves is checked against the principal's grants. None: a
    # trusted caller in-process (the CLI at a terminal, tests, the jobs' own SYSTEM).
    principal: Principal | None = None
    permission: Permission | None = None
    # Whoever recorded what is approved (placed the hold, recorded the inspection) may not
    # sign its release (the plant's setting, MIMS_SEPARATION_OF_DUTIES).
    separation_of_duties: bool = False

    @property
    def session(self) -> str | None:
        """The login session the command came in (its id, never its token)."""
        return self.principal.session_id if self.principal is not None else None

    @property
    def device(self) -> str | None:
        """The API key (device or integration) that sent the command."""
        principal = self.principal
        return principal.id if principal is not None and principal.kind is KEY else None

    @property
    def on_behalf_of(self) -> str | None:
        return self.principal.on_behalf_of if self.principal is not None else None


class UnitOfWork:
    def __init__(
        self,
        source: AggregateSource,
        envelope: Envelope,
        places: dict[str, Place] | None = None,
    ) -> None:
        self._source = source
        # Places resolved earlier in the same batch (the writer clears it when a command
        # changes a location): a bin's place walks three parents otherwise.
        self._places = {} if places is None else places
        self._working: dict[UUID, LedgerAggregate] = {}
        self._origins: dict[UUID, int] = {}
        self._kept: set[UUID] = set()
        self.envelope = envelope
        self.data: dict[str, str] = {}
        # Answered to this command's caller once and never stored, not even in its
        # receipt (a new API key's text, a TOTP secret): a resend does not get it again.
        self.shown_once: dict[str, str] = {}
        self._permitted_sites: set[str] = set()

    def _check(self, site: str, location: str | None) -> None:
        """Refuse (`NotPermitted`) unless one grant of the principal permits the command
        here (``ledger.identity.permissions.allowed``)."""
        principal, permission = self.envelope.principal, self.envelope.permission
        if principal is None or permission is None:
            return
        if not allowed(principal, permission, site, location):
            where = f"location {location} of site {site}" if location else f"site {site}"
            raise NotPermitted(
                f"{principal.actor} may not {permission} at {where}",
                permission=str(permission),
                site=site,
                location=location,
            )
        self._permitted_sites.add(site)

    def meta(self, site: str = "") -> Meta:
        e = self.envelope
        # A site named without a place (a new location's, a grant's) is checked as a whole;
        # one reached through a checked place already was (a location-scoped grant
        # permits its subtree, not its site as a whole).
        if site and site != "*" and site not in self._permitted_sites:
            self._check(site, None)
        return Meta(
            actor=e.actor,
            command_id=e.command_id,
            correlation_id=e.correlation_id,
            site=site,
            effective_at=e.effective_at,
            session=e.session,
            device=e.device,
            on_behalf_of=e.on_behalf_of,
        )

    # --- aggregates -------------------------------------------------------------------

    def peek(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """A read-only view (this command's working copy, else the committed or batch-staged
        one), for facts a decision needs. Never change what this returns: use ``find``."""
        found = self._working.get(aggregate_id) or self._source.load(aggregate_id)
        if found is not None and not isinstance(found, cls):
            msg = f"{aggregate_id} is a {type(found).__name__}, not a {cls.__name__}"
            raise TypeError(msg)
        return found

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate to change: a clone only this command sees until it commits."""
        working = self._working.get(aggregate_id)
        if working is None:
            loaded = self._source.load(aggregate_id)
            if loaded is None:
                return None
            working = loaded.clone()
            self._working[aggregate_id] = working
            self._origins[aggregate_id] = loaded.version
        if not isinstance(working, cls):
            msg = f"{aggregate_id} is a {type(working).__name__}, not a {cls.__name__}"
            raise TypeError(msg)
        return working

    def add(self, aggregate: LedgerAggregate) -> None:
        self._working[aggregate.id] = aggregate
        self._origins[aggregate.id] = 0

    def keep_on_refusal(self, aggregate: LedgerAggregate) -> None:
        """What happens to ``aggregate`` is recorded even if the command is then refused:
        a wrong signature password is counted (and may lock the account) although the
        release it was to sign is refused. Only what a rule must record goes here."""
        self._kept.add(aggregate.id)

    def kept(self) -> dict[UUID, LedgerAggregate]:
        """The aggregates a refusal of this command still records (`keep_on_refusal`)."""
        return {key: agg for key, agg in self.changed().items() if key in self._kept}

    def changed(self) -> dict[UUID, LedgerAggregate]:
        return {key: agg for key, agg in self._working.items() if agg.version != self._origins[key]}

    def event_refs(self) -> list[EventRef]:
        return [
            EventRef(
                id=event_id(key, event.originator_version),
                stream=key,
                version=event.originator_version,
                type=type(event).__qualname__,
            )
            for key, agg in self.changed().items()
            for event in agg.pending_events[
                len(agg.pending_events) - (agg.version - self._origins[key]) :
            ]
        ]

    # --- the plant's vocabulary ---------------------------------------------------------

    def item(self, sku: str, field: str = "sku", *, to_change: bool = False) -> Item:
        get = self.find if to_change else self.peek
        item = get(Item, item_id(sku))
        if item is None:
            raise UnknownItem(f"no item {sku}", field=field, sku=sku)
        return item

    def stock(self, sku: str) -> Stock:
        stock = self.find(Stock, stock_id(sku))
        if stock is None:
            raise UnknownItem(f"no stock card for {sku}", field="sku", sku=sku)
        return stock

    def location(self, code: str, field: str = "location", *, to_change: bool = False) -> Location:
        get = self.find if to_change else self.peek
        location = get(Location, location_id(code))
        if location is None:
            raise UnknownLocation(f"no location {code}", field=field, location=code)
        return location

    def place(self, code: str, field: str = "location") -> Place:
        known = self._places.get(code)
        if known is not None:
            self._check(known.site, known.code)
            return known
        location = self.location(code, field)
        blocked_by = None
        walk: Location | None = location
        while walk is not None:
            if walk.blocked:
                blocked_by = walk.code
                break
            walk = self.location(walk.parent, field) if walk.parent else None
        place = Place(
            code=location.code,
            site=location.site,
            kind=location.kind,
            holds_stock=location.holds_stock,
            blocked_by=blocked_by,
        )
        self._places[code] = place
        self._check(place.site, place.code)
        return place
