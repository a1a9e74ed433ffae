"""The ledger's single writer: group commit over an aggregate cache.

Commands are queued; one writer thread per process takes them in batches (up to
``batch_max`` commands, waiting at most ``batch_wait`` seconds for a batch to fill),
decides each in order against clones of committed aggregates, and saves the whole batch
with ONE ``Application.save(*aggregates)``: one transaction, optimistic concurrency on
every stream. Every caller is answered after that transaction commits, with its own
outcome and the notification id of its last event (its read-your-writes position).

* A command refused by a rule changes nothing and never fails its batch-mates.
* When the save conflicts (another process wrote one of the streams, or a command id
  was already used), the writer asks the store for the current version of every stream in
  the batch in one query, evicts the stale ones from the cache, and decides the batch
  again; commands that touched a stale stream more than ``max_retries`` times get a
  ``ConcurrencyConflict``.
* The stored ``CommandReceipt`` is the authority on a command id (idempotency). An
  accepted command's receipt answers every resend with the original outcome, forever; a
  refusal of a command the client named (``command_id``) is saved as a receipt too, so
  that a resend within ``idempotency_window`` gets the same refusal from any process,
  after any restart. A resend is decided again (its cached receipt may be missing or
  stale); its receipt then collides with the stored one and the stored outcome is
  answered, whatever the new decision was.
* A command id belongs to whoever sent it first (the receipt's actor): a resend by
  another principal is refused (`CommandIdTaken`, 409) and learns nothing of the answer.
* The cache only ever holds committed aggregates: commands work on clones, and only the
  clones of a committed batch replace the cached ones.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from uuid import UUID, uuid4

import structlog
from eventsourcing.persistence import IntegrityError

from ledger.aggregate import LedgerAggregate
from ledger.application import LedgerApplication
from ledger.commands import Command
from ledger.dispatch import HANDLERS
from ledger.errors import (
    CommandIdTaken,
    ConcurrencyConflict,
    EffectiveTimeOutOfWindow,
    IdempotencyKeyReused,
    LedgerError,
    NotPermitted,
)
from ledger.identity.accounts import Account, account_id, verify_nobody
from ledger.identity.commands import LOGIN_COMMANDS, EndSession, SetPassword
from ledger.identity.permissions import (
    COMMAND_PERMISSIONS,
    allowed,
    may_end_session,
    may_set_password,
)
from ledger.identity.principals import Principal, PrincipalKind
from ledger.identity.roles import ROLE_PERMISSIONS, Grant, Permission
from ledger.identity.signatures import SecretCheck, SignatureNotGiven, check_secret
from ledger.ids import item_id, location_id, receipt_id, stock_id
from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.receipt import CommandReceipt
from ledger.stock.card import Place, Stock
from ledger.stock.commands import Signed
from ledger.store import StoreQueries
from ledger.unit_of_work import Envelope, UnitOfWork
from ledger.values import EventRef, ledger_precision

log = structlog.get_logger("mims.ledger.writer")

A = TypeVar("A", bound=LedgerAggregate)

# A business time a little ahead of the server clock is a scanner's clock drift, not a
# post-dated transaction.
CLOCK_SKEW = timedelta(minutes=5)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What a caller gets back once its command is committed (or was already)."""

    command_id: str
    command_type: str
    events: tuple[EventRef, ...]
    position: int
    data: Mapping[str, str]
    duplicate: bool = False


@dataclass(eq=False)
class Submission:
    command: Command
    envelope: Envelope
    future: Future[Outcome] = field(default_factory=Future)
    attempts: int = 0
    submitted_at: float = field(default_factory=time.perf_counter)


# Permissions only an every-site grant gives: managing people, and webhooks (a
# subscription may carry the events of every site).
PLANT_WIDE = frozenset({Permission.IDENTITY_MANAGE, Permission.WEBHOOKS_MANAGE})


def permits_anywhere(grant: Grant, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[grant.role]


def permitted_somewhere(envelope: Envelope, command: Command) -> None:
    """The check before the handler: the principal holds the command's permission on some
    grant (a plant-wide one for managing people); each place the handler then resolves
    is checked too (`UnitOfWork.place`, `UnitOfWork.meta`)."""
    principal, permission = envelope.principal, envelope.permission
    if principal is None:
        return
    if permission is None:
        msg = f"{command.command_name} is mapped to no permission"
        raise NotPermitted(msg)
    if isinstance(command, SetPassword) and may_set_password(principal, command.user_id):
        return
    if isinstance(command, EndSession) and may_end_session(principal, command.user_id):
        return
    if isinstance(command, LOGIN_COMMANDS):
        # The login endpoint's own, sent without a principal: nobody posts a failed login.
        msg = f"{command.command_name} is the login endpoint's own"
        raise NotPermitted(msg)
    if permission in PLANT_WIDE:
        if not allowed(principal, permission, None):
            msg = f"{principal.actor} may not {permission} (a plant-wide grant is needed)"
            raise NotPermitted(msg, permission=str(permission))
        return
    if not any(permits_anywhere(grant, permission) for grant in principal.grants):
        msg = f"{principal.actor} may not {permission} anywhere"
        raise NotPermitted(msg, permission=str(permission))


class WriterObserver:
    """Told what the writer does, for metrics; the composition root adds one to
    ``Ledger.observers`` (the ledger itself knows no metrics library). Called in the
    writer's thread: an observer must be quick and must not raise."""

    def answered(self, command_type: str, outcome: str, seconds: float) -> None:
        """A command's answer: ``accepted``, ``duplicate``, or the refusal's error name."""

    def committed(self, commands: int, aggregates: int) -> None:
        """One ``save()`` of a batch went through."""

    def conflicted(self, retried: int) -> None:
        """A batch's ``save()`` met a concurrency conflict; ``retried`` commands are
        decided again."""


@dataclass(frozen=True, kw_only=True)
class WriterSettings:
    batch_max: int = 256
    batch_wait: float = 0.001
    cache_size: int = 50_000
    receipt_cache_size: int = 20_000
    max_retries: int = 5
    backdating_window: timedelta = timedelta(days=7)
    # How long a refused command's resend gets the same refusal before it is decided again.
    idempotency_window: timedelta = timedelta(hours=24)
    # Whoever placed a hold or recorded an inspection may not sign its release.
    separation_of_duties: bool = False


class _Batch:
    """One attempt at deciding and saving a batch."""

    def __init__(self) -> None:
        self.staged: dict[UUID, LedgerAggregate] = {}
        self.base_versions: dict[UUID, int] = {}
        self.accepted: list[tuple[Submission, UnitOfWork, list[EventRef], UUID]] = []
        # Refusals answered at once (nothing to save) and refusals saved as receipts.
        self.refused: list[tuple[Submission, BaseException]] = []
        self.recorded_refusals: list[tuple[Submission, LedgerError, UUID]] = []
        self.duplicates: list[tuple[Submission, UUID]] = []
        self.places: dict[str, Place] = {}


class Ledger:
    """The write side's facade: submit commands, get outcomes; read aggregates for checks."""

    def __init__(
        self,
        env: Mapping[str, str],
        settings: WriterSettings | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings or WriterSettings()
        self.app = LedgerApplication(env)
        self.store = StoreQueries(self.app.recorder)
        self._clock = clock
        self._queue: queue.SimpleQueue[Submission | None] = queue.SimpleQueue()
        self._cache: OrderedDict[UUID, LedgerAggregate] = OrderedDict()
        self._receipts: OrderedDict[UUID, tuple[CommandReceipt, int]] = OrderedDict()
        self._batch: _Batch | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.listeners: list[Callable[[int], None]] = []
        self.observers: list[WriterObserver] = []
        self.stats = {"batches": 0, "commands": 0, "conflicts": 0}

    # --- submitting -------------------------------------------------------------------

    def submit(
        self,
        command: Command,
        *,
        actor: str = "system",
        correlation_id: str | None = None,
        principal: Principal | None = None,
    ) -> Future[Outcome]:
        """``principal``: who sent it (the HTTP edge authenticated them); their actor is
        recorded and their grants are checked where the command acts. Without one the
        caller is trusted (a terminal, a test) and ``actor`` is recorded."""
        command = self.prepare(command, actor=actor, principal=principal)
        command_id = command.command_id or uuid4().hex
        now = self._clock()
        envelope = Envelope(
            actor=principal.actor if principal is not None else actor,
            command_id=command_id,
            correlation_id=correlation_id or command_id,
            effective_at=command.effective_at or now,
            principal=principal,
            permission=COMMAND_PERMISSIONS.get(type(command)) if principal else None,
            separation_of_duties=self.settings.separation_of_duties,
        )
        submission = Submission(command=command, envelope=envelope)
        if self.observers:
            submission.future.add_done_callback(lambda future: self._observe(submission, future))
        self._ensure_started()
        self._queue.put(submission)
        return submission.future

    def execute(
        self,
        command: Command,
        *,
        actor: str = "system",
        correlation_id: str | None = None,
        timeout: float | None = 60,
        principal: Principal | None = None,
    ) -> Outcome:
        return self.submit(
            command, actor=actor, correlation_id=correlation_id, principal=principal
        ).result(timeout)

    async def execute_async(
        self,
        command: Command,
        *,
        actor: str = "system",
        correlation_id: str | None = None,
        principal: Principal | None = None,
    ) -> Outcome:
        if command.prepares or command.signs:
            # Off the event loop: preparing may take a good part of a second (argon2).
            command = await asyncio.to_thread(
                self.prepare, command, actor=actor, principal=principal
            )
        future = self.submit(
            command, actor=actor, correlation_id=correlation_id, principal=principal
        )
        return await asyncio.wrap_future(future)

    def prepare(
        self, command: Command, *, actor: str = "system", principal: Principal | None = None
    ) -> Command:
        """The command ready for the writer (`Command.prepared`), with its signature's
        password or code checked (argon2id, 0.1-0.4 s): in the caller's thread, never the
        writer's. Only the verdict travels on, never the secret (`SecretCheck`)."""
        if command.prepares:
            command = command.prepared()
        given = command.given_signature() if isinstance(command, Signed) else None
        if isinstance(command, Signed) and given and command.secret_check is None:
            signer = principal.id if principal is not None else actor
            secret = given.password.get_secret_value()
            refused = SecretCheck(user_id=signer, by_code=False, against="", passed=False)
            if principal is not None and principal.kind is not PrincipalKind.PERSON:
                check = refused  # a key never signs (the handler says so): nothing to check
            elif (account := self.find(Account, account_id(signer))) is None:
                verify_nobody(secret)  # as long as a real check: no hint of who exists
                check = refused
            else:
                check = check_secret(account, secret, self._clock())
            command = command.with_check(check)
        return command

    def _observe(self, submission: Submission, future: Future[Outcome]) -> None:
        error = None if future.cancelled() else future.exception()
        if future.cancelled():
            outcome = "cancelled"
        elif error is None:
            outcome = "duplicate" if future.result().duplicate else "accepted"
        else:
            outcome = type(error).__name__
        seconds = time.perf_counter() - submission.submitted_at
        for observer in self.observers:
            observer.answered(submission.command.command_name, outcome, seconds)

    def _observe_batch(self, committed: _Batch | None = None, conflicted: int = 0) -> None:
        for observer in self.observers:
            if committed is not None:
                observer.committed(len(committed.accepted), len(committed.staged))
            else:
                observer.conflicted(conflicted)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()
        self.app.close()

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._closed:
                msg = "the ledger is closed"
                raise RuntimeError(msg)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mims-writer", daemon=True)
                self._thread.start()

    # --- reading aggregates (fresh from the store) -------------------------------------

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        aggregate = self.app.find(aggregate_id)
        return aggregate if isinstance(aggregate, cls) else None

    def item(self, sku: str) -> Item | None:
        return self.find(Item, item_id(sku))

    def location(self, code: str) -> Location | None:
        return self.find(Location, location_id(code))

    def stock(self, sku: str) -> Stock | None:
        return self.find(Stock, stock_id(sku))

    def today(self) -> date:
        return self._clock().date()

    def max_position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    # --- the writer thread --------------------------------------------------------------

    def _run(self) -> None:
        ledger_precision()  # decided values are never rounded by the thread's context
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self.settings.batch_wait
            stop = False
            while len(batch) < self.settings.batch_max:
                try:
                    remaining = deadline - time.monotonic()
                    nxt = (
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else (self._queue.get_nowait())
                    )
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            try:
                self._process(batch)
            except Exception as e:  # the store is down or a bug: fail this batch, keep serving
                log.exception("batch failed", size=len(batch))
                for submission in batch:
                    if not submission.future.done():
                        submission.future.set_exception(e)
            if stop:
                return

    def load(self, aggregate_id: UUID) -> LedgerAggregate | None:
        """AggregateSource for units of work: the batch's staged state, else committed."""
        batch = self._batch
        if batch is None:
            msg = "aggregates are loaded only while a batch is decided"
            raise RuntimeError(msg)
        staged = batch.staged.get(aggregate_id)
        if staged is not None:
            return staged
        cached = self._cache.get(aggregate_id)
        if cached is None:
            cached = self.app.find(aggregate_id)
            if cached is None:
                return None
            self._cache[aggregate_id] = cached
            if len(self._cache) > self.settings.cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(aggregate_id)
        batch.base_versions.setdefault(aggregate_id, cached.version)
        return cached

    def _process(self, submissions: list[Submission]) -> None:
        pending = submissions
        existing_receipts: set[UUID] = set()
        rounds = 0
        while pending:
            rounds += 1
            if rounds > self.settings.max_retries + 2:
                # Every conflict makes progress (a stale stream is reloaded, a receipt
                # answered); should one not, the batch is answered rather than spun on.
                log.error("batch kept conflicting", size=len(pending), rounds=rounds)
                for submission in pending:
                    submission.future.set_exception(
                        ConcurrencyConflict(
                            "the batch kept conflicting; try again", attempts=rounds
                        )
                    )
                return
            batch = self._decide(pending, existing_receipts)
            if not batch.staged:
                self._answer(batch, {})
                return
            try:
                positions = self.app.record(batch.staged.values())
            except IntegrityError:
                self.stats["conflicts"] += 1
                pending = self._after_conflict(batch, pending, existing_receipts)
                self._observe_batch(conflicted=len(pending))
                continue
            for key, aggregate in batch.staged.items():
                if isinstance(aggregate, CommandReceipt):
                    self._remember_receipt(aggregate, positions.get((key, aggregate.version), 0))
                else:
                    self._cache[key] = aggregate
                    self._cache.move_to_end(key)
            while len(self._cache) > self.settings.cache_size:
                self._cache.popitem(last=False)
            self.stats["batches"] += 1
            self.stats["commands"] += len(batch.accepted)
            self._observe_batch(committed=batch)
            self._answer(batch, positions)
            top = max(positions.values(), default=0)
            for listener in self.listeners:
                listener(top)
            return

    def _decide(self, pending: list[Submission], existing_receipts: set[UUID]) -> _Batch:
        batch = self._batch = _Batch()
        now = self._clock()
        try:
            for submission in pending:
                self._decide_one(batch, submission, existing_receipts, now)
        finally:
            self._batch = None
        return batch

    def _decide_one(
        self, batch: _Batch, submission: Submission, existing_receipts: set[UUID], now: datetime
    ) -> None:
        rid = receipt_id(submission.envelope.command_id)
        if rid in batch.staged:
            batch.duplicates.append((submission, rid))
            return
        known = self._receipts.get(rid)
        if known is None and rid in existing_receipts:
            known = self._stored_receipt(rid)
        earlier: CommandReceipt | None = None
        if known is not None:
            earlier = self._resent(submission, *known, now)
            if earlier is None:
                return
        uow = UnitOfWork(self, submission.envelope, batch.places)
        command = submission.command
        try:
            permitted_somewhere(submission.envelope, command)
            self._check_effective_time(submission.envelope.effective_at, now)
            data = HANDLERS[type(command)](uow, command)
        except LedgerError as e:
            self._refuse(batch, submission, e, uow=uow, earlier=earlier, now=now)
            return
        except Exception as e:  # noqa: BLE001 - a bug in one command must not sink the batch
            batch.refused.append((submission, e))
            return
        refs = uow.event_refs()
        receipt = CommandReceipt.accepted_after(
            earlier,
            id=rid,
            meta=uow.meta(),
            command_type=command.command_name,
            fingerprint=command.fingerprint(),
            events=tuple(refs),
            data=data,
        )
        for key, aggregate in uow.changed().items():
            batch.staged[key] = aggregate
            batch.base_versions.setdefault(key, 0)
            if isinstance(aggregate, Location):
                batch.places.clear()
        self._stage_receipt(batch, receipt, earlier)
        batch.accepted.append((submission, uow, refs, rid))

    def _resent(
        self, submission: Submission, receipt: CommandReceipt, position: int, now: datetime
    ) -> CommandReceipt | None:
        """A command id seen before: answered here (None), or its receipt when it is to be
        decided again (refused longer ago than the idempotency window)."""
        if receipt.sender != submission.envelope.actor:
            submission.future.set_exception(self._taken(receipt))
            return None
        if receipt.accepted or receipt.refusal_stands(now, self.settings.idempotency_window):
            self._answer_from_receipt(submission, receipt, position)
            return None
        if receipt.fingerprint != submission.command.fingerprint():
            submission.future.set_exception(self._key_reused(receipt))
            return None
        return receipt

    def _refuse(
        self,
        batch: _Batch,
        submission: Submission,
        error: LedgerError,
        *,
        uow: UnitOfWork,
        earlier: CommandReceipt | None,
        now: datetime,
    ) -> None:
        for key, aggregate in uow.kept().items():  # e.g. a wrong signature, counted
            batch.staged[key] = aggregate
            batch.base_versions.setdefault(key, 0)
        if isinstance(error, NotPermitted | SignatureNotGiven):
            # No receipt: someone who may can send the same command id afterwards, and a
            # signer who mistyped their password signs the same command again.
            batch.refused.append((submission, error))
            return
        meta = uow.meta()
        command = submission.command
        if not command.command_id or isinstance(error, ConcurrencyConflict):
            # Nobody can resend an unnamed command; a conflict is no decision.
            batch.refused.append((submission, error))
            return
        receipt = CommandReceipt.refused_after(
            earlier,
            id=receipt_id(submission.envelope.command_id),
            meta=meta,
            command_type=command.command_name,
            fingerprint=command.fingerprint(),
            refusal=error.recorded(),
            refused_at=now,
        )
        self._stage_receipt(batch, receipt, earlier)
        batch.recorded_refusals.append((submission, error, receipt.id))

    @staticmethod
    def _stage_receipt(
        batch: _Batch, receipt: CommandReceipt, earlier: CommandReceipt | None
    ) -> None:
        batch.staged[receipt.id] = receipt
        batch.base_versions[receipt.id] = 0 if earlier is None else earlier.version

    def _stored_receipt(self, rid: UUID) -> tuple[CommandReceipt, int] | None:
        receipt = self.app.find(rid)
        if not isinstance(receipt, CommandReceipt):
            return None
        position = self.store.notification_id(rid, receipt.version) or 0
        self._remember_receipt(receipt, position)
        return receipt, position

    def _check_effective_time(self, effective_at: datetime, now: datetime) -> None:
        window = self.settings.backdating_window
        if effective_at < now - window:
            raise EffectiveTimeOutOfWindow(
                f"effective_at {effective_at.isoformat()} is more than {window.days} days back",
                field="effective_at",
                window_days=window.days,
            )
        if effective_at > now + CLOCK_SKEW:
            raise EffectiveTimeOutOfWindow(
                f"effective_at {effective_at.isoformat()} is in the future",
                field="effective_at",
            )

    def _after_conflict(
        self, batch: _Batch, pending: list[Submission], existing_receipts: set[UUID]
    ) -> list[Submission]:
        versions = self.store.current_versions(batch.staged)
        stale = {key for key in batch.staged if versions.get(key, 0) != batch.base_versions[key]}
        for key in stale:
            self._cache.pop(key, None)
            if isinstance(batch.staged[key], CommandReceipt):
                # Another decision of this command id was saved first: it is the answer.
                self._receipts.pop(key, None)
                existing_receipts.add(key)
        log.info("batch conflicted", stale=len(stale), size=len(batch.accepted))
        staged: list[tuple[Submission, set[UUID], UUID]] = [
            (submission, set(uow.changed()) | {rid}, rid)
            for submission, uow, _refs, rid in batch.accepted
        ] + [(submission, {rid}, rid) for submission, _error, rid in batch.recorded_refusals]
        for submission, touched, rid in staged:
            if touched & stale or not stale:
                submission.attempts += 1
                if submission.attempts > self.settings.max_retries and rid not in stale:
                    submission.future.set_exception(
                        ConcurrencyConflict(
                            "other writers kept changing the same stock; try again",
                            attempts=submission.attempts,
                        )
                    )
        # Everything not answered yet is decided again, in the order it arrived.
        return [s for s in pending if not s.future.done()]

    def _answer(self, batch: _Batch, positions: Mapping[tuple[UUID, int], int]) -> None:
        for submission, error in batch.refused:
            submission.future.set_exception(error)
        for submission, error, _rid in batch.recorded_refusals:
            submission.future.set_exception(error)
        outcomes: dict[UUID, Outcome] = {}
        for submission, uow, refs, rid in batch.accepted:
            outcome = Outcome(
                command_id=submission.envelope.command_id,
                command_type=submission.command.command_name,
                events=tuple(refs),
                position=max(
                    [positions.get((rid, batch.staged[rid].version), 0)]
                    + [positions.get((r.stream, r.version), 0) for r in refs]
                ),
                data=batch.staged[rid].data | uow.shown_once  # type: ignore[attr-defined]
                if uow.shown_once
                else batch.staged[rid].data,  # type: ignore[attr-defined]
            )
            outcomes[rid] = outcome
            submission.future.set_result(outcome)
        for submission, rid in batch.duplicates:
            receipt = batch.staged[rid]
            if isinstance(receipt, CommandReceipt):
                first = outcomes.get(rid)
                self._answer_from_receipt(submission, receipt, first.position if first else 0)

    @staticmethod
    def _taken(receipt: CommandReceipt) -> CommandIdTaken:
        # Nothing of the first answer: not its command type, nor whether it was accepted.
        return CommandIdTaken(
            f"command id {receipt.command_id} was sent by someone else;"
            " send a new command id for your command",
            field="command_id",
            command_id=receipt.command_id,
        )

    @staticmethod
    def _key_reused(receipt: CommandReceipt) -> IdempotencyKeyReused:
        return IdempotencyKeyReused(
            f"command id {receipt.command_id} was used for a {receipt.command_type}"
            " with another body; send a new command id for a new command",
            field="command_id",
            command_id=receipt.command_id,
            command_type=receipt.command_type,
        )

    def _answer_from_receipt(
        self, submission: Submission, receipt: CommandReceipt, position: int
    ) -> None:
        """A resend: the recorded outcome, marked as replayed; never decided again."""
        if receipt.sender != submission.envelope.actor:
            submission.future.set_exception(self._taken(receipt))
            return
        if receipt.fingerprint != submission.command.fingerprint():
            submission.future.set_exception(self._key_reused(receipt))
            return
        if receipt.refusal is not None:
            submission.future.set_exception(LedgerError.from_recorded(receipt.refusal))
            return
        submission.future.set_result(
            Outcome(
                command_id=receipt.command_id,
                command_type=receipt.command_type,
                events=receipt.events,
                position=position,
                data=receipt.data,
                duplicate=True,
            )
        )

    def _remember_receipt(self, receipt: CommandReceipt, position: int) -> None:
        self._receipts[receipt.id] = (receipt, position)
        if len(self._receipts) > self.settings.receipt_cache_size:
            self._receipts.popitem(last=False)


__all__ = ["Ledger", "LedgerError", "Outcome", "WriterObserver", "WriterSettings"]
