"""Running the synchronous services from the event loop.

Every service call does database work, so it runs on a worker thread. The exception is an
embedded SQLite store that only this process writes: a short single-conversation call there is
a fraction of a millisecond of CPU, cheaper than the thread hop, and runs inline
(measurements in docs/design-notes.md). Any database server keeps the thread, since a call may
wait on the network or on another process's row lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class BlockingCalls:
    """Runs service calls off the loop, or inline where that is proven cheaper and safe.

    Args:
        inline_short_calls: True only for an in-process SQLite store with this hub as its one
            writer; then :meth:`short` runs on the loop.
    """

    def __init__(self, *, inline_short_calls: bool = False) -> None:
        self.inline_short_calls = inline_short_calls

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run any service call on a worker thread."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def short(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a bounded single-conversation call, inline when :attr:`inline_short_calls`.

        Only for calls that touch one conversation with a few single-row statements: open a
        session, store a message, read a state, bind a customer.
        """
        if self.inline_short_calls:
            return fn(*args, **kwargs)
        return await asyncio.to_thread(fn, *args, **kwargs)
