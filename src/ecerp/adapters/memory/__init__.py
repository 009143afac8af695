"""The in-memory backend: first-class, the default for notebooks and tests.

It keeps committed state in plain Python structures and gives each unit of
work private overlays, so it rolls back exactly like the SQL backends and
raises the same errors.
"""

from ecerp.adapters.memory.dead_letters import MemoryDeadLetters
from ecerp.adapters.memory.store import MemoryStore
from ecerp.adapters.memory.unit_of_work import MemoryUnitOfWork

__all__ = ["MemoryDeadLetters", "MemoryStore", "MemoryUnitOfWork"]
