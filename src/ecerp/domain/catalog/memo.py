"""The resolution memo: what a catalog's ``resolve`` and ``expand`` worked out.

Resolving a listing SKU follows dated aliases, and expanding a bundle walks
its components; both are asked the same questions over and over (every
order line of a batch).  A :class:`ResolutionMemo` keeps the answers for one
catalog: per alias key, the timeline of answers (worked out one interval at
a time, when first asked), and per code, what one unit ships as.  It is
valid for one *stamp* (the sum of the write generations down the catalog's
chain of parents): :meth:`ResolutionMemo.fresh` forgets everything when the
stamp moved, so any write to the catalog or a catalog under it invalidates
it.

Whoever keeps the catalog owns its memo and decides its scope: the in-memory
store keeps one for the committed catalog (shared by every unit of work
reading through it), a SQL unit of work one for its view (one unit).  A
catalog made without one makes its own::

    >>> memo = ResolutionMemo()
    >>> memo.expansions["MUG"] = (("MUG", 1),)
    >>> memo.fresh(0).expansions
    {'MUG': (('MUG', 1),)}
    >>> memo.fresh(1).expansions
    {}
"""

from __future__ import annotations

from ecerp.domain.catalog.aliases import AliasKey, _Timeline


class ResolutionMemo:
    """The answers of one catalog's resolution and expansion, for one stamp."""

    __slots__ = ("expansions", "stamp", "timelines")

    def __init__(self) -> None:
        self.stamp = 0
        #: per alias key, the answers of resolution over all time
        self.timelines: dict[AliasKey, _Timeline] = {}
        #: per code, the SKUs and quantities one unit ships as
        self.expansions: dict[str, tuple[tuple[str, int], ...]] = {}

    def fresh(self, stamp: int) -> ResolutionMemo:
        """This memo, emptied first if it was made for another ``stamp``."""
        if stamp != self.stamp:
            self.timelines.clear()
            self.expansions.clear()
            self.stamp = stamp
        return self
