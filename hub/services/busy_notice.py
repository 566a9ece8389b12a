"""Telling a customer, once, that the bot is busy and their message is in line.

Part of "overload is not failure" (docs/hub-internals.md): a slow answer is waited for, never
failed for its wait; a customer whose answer takes longer than the notice time gets one
``bot_busy`` status, stored in the conversation where the answer will appear. They are told
again only after a quick answer (a new busy spell) or after ``BUSY_SPELL_SECONDS``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, Final

from hub.services.notices import Notices
from hub.services.ports import BotReply

BUSY_SPELL_SECONDS: Final = 300.0
PRUNE_AT: Final = 10_000  # remembered conversations before stale ones are forgotten


class BusyNotice:
    """Waits for the bot's answer and says "one moment" when it is slow.

    Args:
        notices: Where the status goes.
        after_seconds: How long an answer may take before the customer is told; None never.
    """

    def __init__(self, notices: Notices, after_seconds: float | None) -> None:
        self._notices = notices
        self._after = after_seconds
        self._told: dict[str, float] = {}  # conversation -> when it was told

    async def answer(
        self, conversation_id: str, ask: Coroutine[Any, Any, list[BotReply]]
    ) -> list[BotReply]:
        """The bot's answer (or its error); tells the customer once if it is slow.

        The answer is awaited directly, on the turn's own task: a timer, not a second task,
        watches the clock (a task per answer cost each turn two more event-loop rounds). A
        notice that started is finished before the answer is returned, so it is stored
        before the answer it announces.
        """
        if self._after is None:
            return await ask
        late: list[asyncio.Task[None] | None] = []  # the notice when the timer fired
        timer = asyncio.get_running_loop().call_later(
            self._after, self._slow, conversation_id, late
        )
        try:
            replies = await ask
        finally:
            timer.cancel()
            if late and late[0] is not None:
                await asyncio.shield(late[0])
        if not late:
            self._told.pop(conversation_id, None)  # quick again: a new spell may tell
        return replies

    def _slow(self, conversation_id: str, late: list[asyncio.Task[None] | None]) -> None:
        """The answer is late: announce it, unless told within the current spell."""
        now = time.monotonic()
        told = self._told.get(conversation_id)
        if told is not None and now - told <= BUSY_SPELL_SECONDS:
            late.append(None)
            return
        self._remember(conversation_id, now)
        late.append(asyncio.ensure_future(self._notices.announce(conversation_id, "bot_busy")))

    def _remember(self, conversation_id: str, now: float) -> None:
        if len(self._told) >= PRUNE_AT:
            stale = [c for c, at in self._told.items() if now - at > BUSY_SPELL_SECONDS]
            for key in stale:
                del self._told[key]
        self._told[conversation_id] = now
