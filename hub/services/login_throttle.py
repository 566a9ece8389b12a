"""Login throttling that slows a password sprayer without letting anyone lock an agent out.

Three limits, checked before a password is hashed (:meth:`LoginThrottle.admit`) and updated
with the outcome (:meth:`LoginThrottle.finish`):

- **per client address**: a token bucket of failed logins (``login_client_burst`` in a row,
  then ``login_client_per_minute``); a sprayer trying many usernames from one address is slowed
  to that rate. Successful logins cost nothing.
- **per (client address, username)**: after ``login_backoff_after`` failures in a row that pair
  waits ``login_backoff_base``, doubling per further failure up to ``login_backoff_max``; a
  success resets it. The same username from any other address is unaffected, so failing on
  purpose cannot lock a known agent out (the store keeps no lockout).
- **concurrency**: at most ``login_max_concurrent`` logins are being checked at once.

The state lives in this process's memory, on purpose: the limits protect this process's
password-hashing threads, a store-backed counter would turn every sprayed attempt into a
database write (and a shared per-account counter is what made lockouts possible). With several
hub processes a client gets at most that many times the rate; after a restart the back-off
starts again. Entries are dropped once idle, and the number kept is bounded.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hub.domain.policy import HubConfig
from hub.services.rate_limits import MAX_ENTRIES, MAX_KEY_CHARS, TokenBuckets

BUSY_RETRY_SECONDS: Final = 1.0


@dataclass
class _Backoff:
    failures: int
    last_failure: float
    until: float


class LoginThrottle:
    """Decides whether a login may be checked now; see the module docstring.

    Args:
        config: The ``login_*`` limits of the policy.
        now: Monotonic seconds (tests pass a fake).
        max_entries: Clients and (client, username) pairs remembered at most, each.
    """

    def __init__(
        self,
        config: HubConfig,
        now: Callable[[], float] = time.monotonic,
        *,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._backoff_after = config.login_backoff_after
        self._backoff_base = config.login_backoff_base.total_seconds()
        self._backoff_max = config.login_backoff_max.total_seconds()
        self._max_concurrent = config.login_max_concurrent
        self._now = now
        self._max_entries = max_entries
        self._buckets = TokenBuckets(
            config.login_client_burst,
            config.login_client_per_minute / 60.0,
            now,
            max_entries=max_entries,
        )
        self._backoffs: OrderedDict[tuple[str, str], _Backoff] = OrderedDict()
        self.in_flight = 0

    def admit(self, client: str, username: str) -> float | None:
        """Take a slot for one login, or say how many seconds to wait (``Retry-After``).

        Every admitted login must be followed by :meth:`finish`.
        """
        now = self._now()
        if self.in_flight >= self._max_concurrent:
            return BUSY_RETRY_SECONDS
        backoff = self._backoffs.get(_pair(client, username))
        if backoff is not None and backoff.until > now:
            return backoff.until - now
        wait = self._buckets.wait(client)
        if wait is not None:
            return wait
        self.in_flight += 1
        return None

    def finish(self, client: str, username: str, ok: bool | None) -> None:
        """Release the slot and record the outcome (None: the check itself failed)."""
        self.in_flight = max(0, self.in_flight - 1)
        if ok is None:
            return
        pair = _pair(client, username)
        if ok:
            self._backoffs.pop(pair, None)
            return
        now = self._now()
        self._buckets.take(client)
        backoff = self._backoffs.pop(pair, None) or _Backoff(0, now, now)
        backoff.failures += 1
        backoff.last_failure = now
        extra = backoff.failures - self._backoff_after
        if extra >= 0:
            delay = self._backoff_base * 2.0 ** min(extra, 30)
            backoff.until = now + min(self._backoff_max, delay)
        self._backoffs[pair] = backoff  # most recent last
        self._prune(now)

    def _prune(self, now: float) -> None:
        """Forget long-expired back-offs; keep at most ``max_entries``."""
        while self._backoffs:
            pair, first = next(iter(self._backoffs.items()))
            idle = now - max(first.until, first.last_failure) >= self._backoff_max
            if len(self._backoffs) <= self._max_entries and not idle:
                break
            del self._backoffs[pair]


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


def _pair(client: str, username: str) -> tuple[str, str]:
    return client[:MAX_KEY_CHARS], username.strip().lower()[:MAX_KEY_CHARS]
