"""The line in front of Rasa: a fair (FIFO) gate of a fixed number of slots.

``asyncio.Semaphore`` on Python 3.10 lets a newcomer take a slot that was just released
before the oldest waiter wakes, so under a surge a customer can be overtaken again and
again; this gate hands a released slot straight to the oldest waiter. A waiter that is
cancelled leaves the line without losing or leaking a slot.
"""

from __future__ import annotations

import asyncio
from collections import deque


class FifoGate:
    """At most ``slots`` holders at once; the rest wait in arrival order."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self._free = slots
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        """How many are in line (not yet holding a slot)."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    async def acquire(self) -> None:
        """Take a slot, waiting behind everyone who came earlier."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as we were cancelled
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give the slot to the oldest waiter, or back to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
