"""Errors of the routing context: a malformed rule set.

A :class:`RuleError` names the rule (by name and position) and the field
path inside it, so a person can find the line to fix::

    >>> err = RuleError("eu", 2, "conditions.amount.min", 1.5, "must not be a float")
    >>> str(err)
    "rule 'eu' (rules[2]): conditions.amount.min: must not be a float"
    >>> str(RuleError(None, None, "version", 7, "unsupported version"))
    'rule set: version: unsupported version'
"""

from __future__ import annotations

from ecerp.domain.shared.errors import EcerpError, ValidationError


class RuleError(ValidationError):
    """A rule set is malformed.

    ``rule`` is the rule's name when it has a valid one, ``index`` its
    position in the list (0-based, as in ``rules[2]``), ``field`` the path
    inside the rule (``conditions.amount.min``).  For a problem with the rule
    set as a whole, ``rule`` and ``index`` are ``None`` and ``field`` is the
    top-level key (``version``, ``rules``) or ``""``.
    """

    rule: str | None
    index: int | None

    def __init__(
        self, rule: str | None, index: int | None, field: str, value: object, reason: str
    ) -> None:
        where = _rule_label(rule, index) or "rule set"
        at = f"{field}: " if field else ""
        EcerpError.__init__(
            self,
            f"{where}: {at}{reason}",
            rule=rule,
            index=index,
            field=field,
            value=value,
            reason=reason,
        )


def _rule_label(rule: str | None, index: int | None) -> str:
    if rule is not None and index is not None:
        return f"rule {rule!r} (rules[{index}])"
    if rule is not None:
        return f"rule {rule!r}"
    if index is not None:
        return f"rules[{index}]"
    return ""
