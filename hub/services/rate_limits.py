"""Token buckets per key (a client address), kept in this process's memory.

Used by the login throttle (failed logins per address) and the conversation-creation cap
(new conversations per address). A bucket holds at most ``capacity`` tokens and refills at
``per_second``; a full bucket is forgotten, and at most ``max_entries`` are kept (the least
recently used go first), so a flood of addresses cannot grow memory without bound.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

MAX_ENTRIES: Final = 10_000
MAX_KEY_CHARS: Final = 128


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One token bucket per key.

    Args:
        capacity: Tokens a bucket holds (the burst).
        per_second: Refill rate.
        now: Monotonic seconds (tests pass a fake).
        max_entries: Buckets kept at most.
    """

    def __init__(
        self,
        capacity: float,
        per_second: float,
        now: Callable[[], float] = time.monotonic,
        *,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._capacity = float(capacity)
        self._per_second = per_second
        self._now = now
        self._max_entries = max_entries
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, key: str) -> float | None:
        """None when ``key`` has a token now, else the seconds until it has one."""
        bucket = self._bucket(key)
        if bucket.tokens >= 1.0:
            return None
        return (1.0 - bucket.tokens) / self._per_second

    def take(self, key: str) -> None:
        """Spend one token of ``key`` (never below zero)."""
        bucket = self._bucket(key)
        bucket.tokens = max(0.0, bucket.tokens - 1.0)
        self._prune()

    def give_back(self, key: str) -> None:
        """Return a token taken for something that did not happen (never above capacity)."""
        bucket = self._bucket(key)
        bucket.tokens = min(self._capacity, bucket.tokens + 1.0)

    def _bucket(self, key: str) -> _Bucket:
        now = self._now()
        key = key[:MAX_KEY_CHARS]
        bucket = self._buckets.pop(key, None) or _Bucket(self._capacity, now)
        refill = (now - bucket.updated) * self._per_second
        bucket.tokens = min(self._capacity, bucket.tokens + refill)
        bucket.updated = now
        self._buckets[key] = bucket  # most recently used last
        return bucket

    def _prune(self) -> None:
        """Forget buckets that are full again by now, and the oldest beyond the cap."""
        now = self._now()
        refill_seconds = self._capacity / self._per_second
        while self._buckets:
            key, oldest = next(iter(self._buckets.items()))
            full = now - oldest.updated >= refill_seconds
            if len(self._buckets) <= self._max_entries and not full:
                break
            del self._buckets[key]
