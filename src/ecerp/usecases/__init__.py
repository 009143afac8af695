"""Use cases: commands, their handlers, and the message bus that runs them.

A use case opens a unit of work, loads what it needs in bulk, lets the domain
decide, and commits once.  Batch use cases return a :class:`BatchResult` with
one :class:`Outcome` per item; one bad item never aborts the batch.
"""

from ecerp.usecases.bus import MessageBus
from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind

__all__ = ["BatchResult", "MessageBus", "Outcome", "OutcomeKind"]
