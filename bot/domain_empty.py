"""Answer ``Domain.is_empty`` once per domain object.

Rasa 3.6 asks on every parsed message (``MessageProcessor._check_for_unseen_features``), and
answers by building an empty domain and comparing both as dictionaries. A loaded domain never
changes, so the first answer is remembered on the domain itself.
"""

from __future__ import annotations

from rasa.shared.core.domain import Domain

MEMO_ATTR = "_is_empty_memo"

_stock_is_empty = Domain.is_empty


def is_empty(self: Domain) -> bool:
    """``Domain.is_empty``, computed by Rasa's own method the first time only."""
    memo = self.__dict__.get(MEMO_ATTR)
    if memo is None:
        memo = bool(_stock_is_empty(self))
        self.__dict__[MEMO_ATTR] = memo
    return bool(memo)


def apply() -> None:
    """Install the memo (idempotent)."""
    Domain.is_empty = is_empty  # type: ignore[method-assign]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    Domain.is_empty = _stock_is_empty  # type: ignore[method-assign]
