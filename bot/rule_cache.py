"""Memoise ``RulePolicy``'s rule matching for a loaded policy.

At every prediction Rasa 3.6 checks every learned rule against the recent states
(``_get_possible_keys``). Once a policy is loaded for serving its rule table is fixed, so the
answer depends only on those states, which repeat across conversations: it is cached per
lookup table and states (as canonical JSON), and callers get their own copy. A policy being
trained changes its table while it matches, so only ``RulePolicy.load`` gives a policy a
cache, and ``train`` drops it.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy

CACHE_ATTR = "_possible_keys_cache"
MAX_ENTRIES = 4096

_stock_get_possible_keys = RulePolicy._get_possible_keys
_stock_load = RulePolicy.load.__func__  # type: ignore[attr-defined]
_stock_train = RulePolicy.train


def _get_possible_keys(self: RulePolicy, lookup: dict[str, str], states: list[Any]) -> set[str]:
    cache: dict[tuple[int, str], frozenset[str]] | None = getattr(self, CACHE_ATTR, None)
    if cache is None:
        return _stock_get_possible_keys(self, lookup, states)  # type: ignore[no-any-return]
    key = (id(lookup), json.dumps(states, sort_keys=True))
    keys = cache.get(key)
    if keys is None:
        keys = frozenset(_stock_get_possible_keys(self, lookup, states))
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        cache[key] = keys
    return set(keys)


def _load(cls: type[RulePolicy], *args: Any, **kwargs: Any) -> RulePolicy:
    policy = _stock_load(cls, *args, **kwargs)
    setattr(policy, CACHE_ATTR, {})
    return policy  # type: ignore[no-any-return]


def _train(self: RulePolicy, *args: Any, **kwargs: Any) -> Any:
    setattr(self, CACHE_ATTR, None)
    return _stock_train(self, *args, **kwargs)


def apply() -> None:
    """Install the cache (idempotent)."""
    RulePolicy._get_possible_keys = _get_possible_keys  # type: ignore[method-assign]
    RulePolicy.load = classmethod(_load)  # type: ignore[assignment]
    RulePolicy.train = _train  # type: ignore[method-assign]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    RulePolicy._get_possible_keys = _stock_get_possible_keys  # type: ignore[method-assign]
    RulePolicy.load = classmethod(_stock_load)  # type: ignore[assignment]
    RulePolicy.train = _stock_train  # type: ignore[method-assign]
