"""The message bus: the one entry point that runs commands and events.

``bus.handle(command)`` runs the command's handler in a fresh unit of work and
returns the handler's result.  A unit of work that lost a race
(:class:`ConcurrencyError`) is run again from scratch: the whole handler when
it commits once, each chunk on its own for the batch handlers that commit
several times (:attr:`HandlerMap.unit_by_unit`; they report the items of a chunk that
lost every attempt as rejected instead of raising).

The events committed by that work are then handed, grouped in one list per
handler, to the event handlers (each in a fresh unit of work, with its own
retries; the events they commit are handled in turn), and finally to every
publisher.  After the command committed nothing raises into its caller: an
event handler or publisher that still fails is recorded as a dead letter
(:mod:`ecerp.ports.dead_letters`) to be inspected and replayed, and an outbox
that cannot be read now is left for the next relay.  Errors of the command
itself raise to the caller, with nothing of it committed.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs

from ecerp.domain.shared.errors import ConcurrencyError, NotFoundError
from ecerp.domain.shared.events import Event
from ecerp.ports.clock import Clock
from ecerp.ports.dead_letters import DeadLetter, DeadLetters
from ecerp.ports.events import EventPublisher
from ecerp.ports.outbox import Outbox
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.base import Command
from ecerp.usecases.config import Config
from ecerp.usecases.context import Context, backoff
from ecerp.usecases.idempotency import idempotent
from ecerp.usecases.registry import EventHandler, HandlerMap, Subscription
from ecerp.usecases.settings.source import SettingsSource

log = logging.getLogger("ecerp.bus")

R = TypeVar("R")


@contextmanager
def quiet_gc(enabled: bool) -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch command (only
    when the bus was asked to: ``MessageBus(tune_gc=True)``, from
    ``open_erp(tune_gc=True)``; the collector is the host process's).

    A batch builds hundreds of thousands of long-lived objects; the collector
    would traverse them again and again (measured: more than half the time of
    a 100,000-order batch).  ecerp's objects hold no reference cycles, so
    reference counting frees them anyway; the collector is switched back on
    (if it was on) when the batch ends, success or not.

    What the batch left alive is then moved to the collector's oldest
    generation (``gc.freeze`` then ``gc.unfreeze``, two list splices), so the
    young-generation collections that follow do not traverse it once per
    generation on its way there (measured: 0.65-0.84 s after a 20,000-order
    batch in memory).  Nothing is kept from the collector: the next full
    collection looks at those objects as at any other.  A host that froze
    objects itself (``gc.get_freeze_count()`` not 0) keeps them frozen: the
    move is left out then, as ``gc.unfreeze`` would thaw them too.
    """
    if not enabled or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def publisher_name(publisher: EventPublisher) -> str:
    """How a dead letter names a publisher: ``publisher:<its name attribute>``
    when it has one (give publishers of one class distinct names), else
    ``publisher:<module>.<class>``."""
    name = getattr(publisher, "name", None)
    if not isinstance(name, str) or not name:
        name = f"{type(publisher).__module__}.{type(publisher).__qualname__}"
    return f"publisher:{name}"


@attrs.frozen
class _Delivery:
    """How one consumer took some events: what its work committed, or the
    error it still failed with, after ``attempts`` runs."""

    caused: list[Event]
    error: Exception | None
    attempts: int


class MessageBus:
    """Runs commands and the events they cause.

    Args:
        uow_factory: makes a fresh unit of work for each handler run.
        clock: the time source for every handler.
        publishers: receive committed events after the handlers ran.
        auto_allocate: when true (the default), stock that becomes available
            allocates the waiting orders that need it.
        max_attempts: how often a unit of work that lost a race
            (:class:`ConcurrencyError`) is run again from scratch.
        outbox: where a shared database keeps committed events; when given,
            events are delivered from it (at least once) instead of directly.
        config: review policy, blacklist and payment records.
        settings: where the stored settings come from; when given, every
            unit of work applies the store's latest settings (plus what
            only this process has: payments, live services) instead of
            ``config``.
        dead_letters: where follow-up work that still fails is kept
            (``None``: it is only logged, on the ``ecerp.bus`` logger).
        wait: called with the attempt number before a lost race is run again
            (default: a short random backoff).
        reader: makes read-only units of work (never committed); idempotency
            keys are looked up in one, so a retry that only replays its
            first result takes no write lock (``None``: ``uow_factory``).
        handlers: the command handlers and event subscriptions (``None``:
            the library's, :data:`~ecerp.usecases.library.LIBRARY`, which the
            composition root passes).
        tune_gc: pause the host process's cyclic garbage collector during
            batch commands (:func:`quiet_gc`); off by default, as the
            collector belongs to the whole process.
    """

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        publishers: Sequence[EventPublisher] = (),
        *,
        auto_allocate: bool = True,
        max_attempts: int = 8,
        outbox: Outbox | None = None,
        config: Config | None = None,
        settings: SettingsSource | None = None,
        dead_letters: DeadLetters | None = None,
        wait: Callable[[int], None] = backoff,
        reader: Callable[[], UnitOfWork] | None = None,
        handlers: HandlerMap | None = None,
        tune_gc: bool = False,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.publishers = list(publishers)
        self.handlers = handlers if handlers is not None else _library()
        self.tune_gc = tune_gc
        self.event_handlers = list(self.handlers.subscriptions) if auto_allocate else []
        self._takers: dict[type[Event], tuple[Subscription, ...]] = {}
        self.max_attempts = max_attempts
        self.outbox = outbox
        self.config = config or Config()
        self.settings = settings
        self.dead_letters = dead_letters
        self.wait = wait
        self.reader = reader

    def handle(self, command: Command) -> Any:
        """Run ``command``; returns what its handler returns.  What follows
        the commit (event handlers, publishers, the outbox relay) never
        raises: what fails there becomes a dead letter.

        Raises:
            EcerpError: whatever the handler raises (nothing of it committed;
                a :class:`ConcurrencyError` when its unit lost every attempt).
            KeyError: no handler for the command type.
        """
        handler = self.handlers.commands[type(command)]
        work = idempotent(command, lambda ctx: handler(command, ctx), self.reader)
        with quiet_gc(self.tune_gc and type(command) in self.handlers.batch):
            if type(command) in self.handlers.unit_by_unit and command.idempotency_key is None:
                ctx = self._context()
                try:
                    result = handler(command, ctx)
                except BaseException:
                    # units it committed before failing stay committed: their
                    # events are delivered all the same
                    self._after_commit(ctx.collect_events())
                    raise
                events = ctx.collect_events()
            else:
                # a keyed command runs whole in one keyed unit of work (its
                # chunks reuse it), so its key is recorded with its last commit
                result, events = self._run(work, per_unit=False)
        self._after_commit(events)
        return result

    def handles(self, command: type[Command]) -> bool:
        """Whether this bus has a handler for ``command`` (a command type)."""
        return command in self.handlers.commands

    def _context(self, *, per_unit: bool = True) -> Context:
        """A fresh context; with ``per_unit`` false, :meth:`Context.unit`
        reuses its one unit of work and does not retry (the caller retries
        the whole work)."""
        return Context(
            self.uow_factory(),
            self.clock,
            self.config if self.settings is None else self.settings.config_for,
            uow_factory=self.uow_factory if per_unit else None,
            max_attempts=self.max_attempts if per_unit else 1,
            wait=self.wait,
        )

    def _after_commit(self, events: list[Event]) -> None:
        """Hand committed ``events`` on; never raises (what cannot be
        delivered now stays in the outbox or becomes a dead letter)."""
        try:
            if self.outbox is None:
                self._dispatch(events)
            elif self._stored(events):
                # Only a command that stored something makes this process relay
                # (one poll of the outbox less per command otherwise); what other
                # processes left behind is delivered by their next commands or by
                # ``python -m ecerp relay``.
                self.relay()
        except Exception:  # the caller's command committed: it must not retry it
            log.exception("events committed but not delivered now; they stay in the outbox")

    def _stored(self, events: list[Event]) -> bool:
        """Whether any of ``events`` went to the outbox (it keeps those
        :meth:`wants`)."""
        return any(self.wants(e) for e in events)

    def relay(self, limit: int = 1000) -> int:
        """Deliver pending outbox events (and those their handlers cause) to
        handlers and publishers; returns how many were delivered.  A consumer
        that fails leaves a dead letter and does not stop the others.
        Without an outbox there is never anything pending.

        Raises:
            BackendError: the outbox (or the dead letters) cannot be read or
                written now; what was not marked delivered is delivered again
                by the next relay.
        """
        if self.outbox is None:
            return 0
        delivered = 0
        while batch := self.outbox.pending(limit):
            self._deliver([event for _, event in batch])
            self.outbox.mark_delivered([i for i, _ in batch])
            delivered += len(batch)
        return delivered

    def _deliver(self, events: list[Event]) -> list[list[Event]]:
        """Run the handlers and publishers for ``events``; returns the events
        the handlers committed.  Failures become dead letters."""
        more = []
        for sub in self.event_handlers:
            wanted = [e for e in events if sub.wants(e)]
            if wanted:
                done = self._handle_events(sub.handler, wanted)
                if done.error is not None:
                    self._bury(sub.name, wanted, done)
                else:
                    more.append(done.caused)
        for publisher in self.publishers:
            done = self._publish(publisher, events)
            if done.error is not None:
                self._bury(publisher_name(publisher), events, done)
        return more

    def _handle_events(self, handler: EventHandler, events: list[Event]) -> _Delivery:
        """Run an event handler in its own unit of work, again when it lost a
        race; any exception it still ends with is returned, not raised."""
        for attempt in range(1, self.max_attempts + 1):
            ctx = self._context()
            try:
                handler(events, ctx)
            except ConcurrencyError as err:
                if attempt < self.max_attempts:
                    self.wait(attempt)
                    continue
                return _Delivery([], err, attempt)
            except Exception as err:  # noqa: BLE001 (a bug or a refusal: kept as a dead letter)
                return _Delivery([], err, attempt)
            return _Delivery(ctx.collect_events(), None, attempt)
        raise AssertionError("unreachable")

    @staticmethod
    def _publish(publisher: EventPublisher, events: list[Event]) -> _Delivery:
        try:
            publisher.publish(events)
        except Exception as err:  # noqa: BLE001 (the outside world failed: kept as a dead letter)
            return _Delivery([], err, 1)
        return _Delivery([], None, 1)

    def _bury(self, consumer: str, events: list[Event], done: _Delivery) -> None:
        if done.error is None:
            return
        log.warning(
            "%s failed on %d event(s) after %d attempt(s): %s: %s",
            consumer,
            len(events),
            done.attempts,
            type(done.error).__name__,
            done.error,
        )
        if self.dead_letters is not None:
            self.dead_letters.record(
                consumer, events, done.error, attempts=done.attempts, at=self.clock.now()
            )

    def _run(self, work: Callable[[Context], R], *, per_unit: bool = True) -> tuple[R, list[Event]]:
        """Run ``work`` in a fresh unit of work, again (from scratch, the failed
        attempt rolled back) when it lost a race, up to ``max_attempts``."""
        for attempt in range(1, self.max_attempts + 1):
            ctx = self._context(per_unit=per_unit)
            try:
                result = work(ctx)
            except ConcurrencyError:
                if attempt == self.max_attempts:
                    raise
                self.wait(attempt)
                continue
            return result, ctx.collect_events()
        raise AssertionError("unreachable")

    def _dispatch(self, events: list[Event]) -> None:
        queue = [events]
        while queue:
            batch = queue.pop(0)
            if batch:
                queue.extend(self._deliver(batch))

    # --- dead letters ---------------------------------------------------------------

    def replay(self, letter_id: int) -> bool:
        """Give a dead letter's events to its consumer again (after a fix):
        ``True`` when it took them (the letter is gone, and what the consumer
        caused is delivered in turn), ``False`` when it failed again (the
        letter stays, with the new error and more attempts).

        Raises:
            NotFoundError: no such dead letter, or its consumer is not
                configured on this bus (the letter stays).
        """
        letters = self.letters()
        letter = letters.get(letter_id)
        done = self._redeliver(letter)
        if done.error is not None:
            letters.failed_again(letter_id, done.error, attempts=done.attempts, at=self.clock.now())
            return False
        letters.remove(letter_id)
        self._after_commit(done.caused)
        return True

    def replay_all(self) -> list[DeadLetter]:
        """Replay every dead letter, oldest first; returns those still dead
        (failed again, or their consumer is not configured here)."""
        for letter in self.letters().list():
            try:
                self.replay(letter.id)
            except NotFoundError:
                continue
        return self.letters().list()

    def letters(self) -> DeadLetters:
        """The dead-letter store.

        Raises:
            NotFoundError: this bus keeps none.
        """
        if self.dead_letters is None:
            raise NotFoundError("dead letter store", "this bus keeps none")
        return self.dead_letters

    def _redeliver(self, letter: DeadLetter) -> _Delivery:
        events = list(letter.events)
        for sub in self.event_handlers:
            if sub.name == letter.consumer:
                return self._handle_events(sub.handler, events)
        for publisher in self.publishers:
            if publisher_name(publisher) == letter.consumer:
                return self._publish(publisher, events)
        raise NotFoundError("consumer", letter.consumer)

    def wants(self, event: Event) -> bool:
        """Whether anything here takes ``event``: a publisher (they take
        every event) or a handler that acts on it.  An outbox stores only
        these."""
        if self.publishers:
            return True
        subs = self._takers.get(type(event))
        if subs is None:  # once per event type: a batch checks 2-3 events per order
            subs = self._takers[type(event)] = tuple(
                sub for sub in self.event_handlers if issubclass(type(event), sub.types)
            )
        return any(sub.acts_on(event) for sub in subs) if subs else False

    def outbox_filter(self) -> Callable[[Event], bool] | None:
        """What a backend's outbox should store (``None``: nothing, as
        nothing here takes events)."""
        return self.wants if self.publishers or self.event_handlers else None


def _library() -> HandlerMap:
    """The library's handler maps (imported late: the contexts' handlers
    import what the bus module imports)."""
    from ecerp.usecases.library import LIBRARY

    return LIBRARY
