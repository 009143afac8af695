"""Copying an aggregate field by field, written out once per class.

Repositories hand out copies of aggregates so that a rolled-back unit of work
leaves the stored one untouched; they copy on every read and every commit, so
the copy is generated once from the class's attrs fields::

    >>> import attrs
    >>> @attrs.define
    ... class Basket:
    ...     owner: str
    ...     items: list[str]
    >>> copy = cloner(Basket)
    >>> a = Basket("ann", ["mug"])
    >>> b = copy(a)
    >>> b.items.append("lid")
    >>> a.items, b.items
    (['mug'], ['mug', 'lid'])
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

T = TypeVar("T", bound=attrs.AttrsInstance)


def cloner(cls: type[T]) -> Callable[[T], T]:
    """Build ``cls``'s copy function once, from ``attrs.fields(cls)``
    (:meth:`~ecerp.domain.orders.order.Order.clone` is one).

    ``attrs.evolve`` pays a generic ``getattr`` loop over every field on each
    call, and the repositories clone on every read and every commit.  This
    writes the copy out once, the way attrs writes ``__init__``: every field
    passed positionally to the generated ``__init__``, each field declared as
    a ``list``, ``dict`` or ``set`` shallowly copied (their items are frozen
    values), ``_events`` fresh and empty.  A field added later follows the
    same rules; a mutable field of another kind needs a rule in ``copies``
    (``tests/unit/test_order_clone.py`` fails until it has one).
    """
    copies = {list: "list", dict: "dict", set: "set"}
    fields = attrs.fields(attrs.resolve_types(cls))
    args = []
    for f in fields:
        if not f.init:  # pragma: no cover - every Order field is in __init__
            raise TypeError(f"{cls.__name__}.{f.name} is not an __init__ argument")
        origin = typing.get_origin(f.type) or f.type
        if f.name == "_events":
            args.append("[]")
        elif origin in copies:
            args.append(f"{copies[origin]}(o.{f.name})")
        else:
            args.append(f"o.{f.name}")
    source = f"def clone(o):\n    return cls({', '.join(args)})\n"
    namespace: dict[str, Any] = {"cls": cls}
    exec(compile(source, f"<{cls.__name__}.clone>", "exec"), namespace)
    clone: Callable[[T], T] = namespace["clone"]
    return clone
