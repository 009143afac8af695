"""The idempotency port: commands already done, by the key their caller gave.

A caller who retries a command (its connection dropped after the commit, so
it never saw the answer) passes the same idempotency key again.  The message
bus records each keyed command's key, a fingerprint of what was asked and
the command's result in the *same* unit of work as the command's changes, so
the record exists exactly when the changes do.  A later command with that key
finds the record and gets the first result back instead of running again::

    with uow:
        if uow.idempotency.find("po-77-receipt") is None:
            move = uow.stock.book().receive("MUG", "SH", 10, at=now, actor="ann")
            uow.idempotency.record(
                IdempotencyRecord("po-77-receipt", "ReceiveStock", fingerprint, move)
            )
            uow.commit()

A backend keeps records in the unit of work until commit, like everything
else: a unit that is rolled back records nothing.
"""

from __future__ import annotations

import abc
from typing import Any

import attrs


@attrs.frozen
class IdempotencyRecord:
    """A keyed command that was committed.

    ``command`` names the command type, ``fingerprint`` what it asked (a
    stable hash of its fields), ``result`` what it returned: ``None``, a
    :class:`~ecerp.domain.inventory.moves.Move`, a list of moves, a transfer, a
    stocktake, an order, a list of orders, or a ``BatchResult``.
    """

    key: str
    command: str
    fingerprint: str
    result: Any


class IdempotencyRepository(abc.ABC):
    """Committed keyed commands, by key."""

    @abc.abstractmethod
    def find(self, key: str) -> IdempotencyRecord | None:
        """The committed record of ``key`` (``None``: none).  The result it
        holds is the caller's own copy, equal to the first result."""

    @abc.abstractmethod
    def record(self, record: IdempotencyRecord) -> None:
        """Keep ``record``, written when the unit of work commits.

        Raises (at commit):
            ConcurrencyError: another unit of work committed the same key
                first (nothing of this unit is written; the message bus runs
                the command again, and then finds that record).
        """
