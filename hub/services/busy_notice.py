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
        """The bot's answer (or its error); tells the customer once if it is slow."""
        task = asyncio.ensure_future(ask)
        try:
            if self._after is None:
                return await task
            done, _ = await asyncio.wait({task}, timeout=self._after)
            if done:
                self._told.pop(conversation_id, None)  # quick again: a new spell may tell
                return task.result()
            now = time.monotonic()
            told = self._told.get(conversation_id)
            if told is None or now - told > BUSY_SPELL_SECONDS:
                self._remember(conversation_id, now)
                await self._notices.announce(conversation_id, "bot_busy")
            return await task
        finally:
            if not task.done():
                task.cancel()

    def _remember(self, conversation_id: str, now: float) -> None:
        if len(self._told) >= PRUNE_AT:
            stale = [c for c, at in self._told.items() if now - at > BUSY_SPELL_SECONDS]
            for key in stale:
                del self._told[key]
        self._told[conversation_id] = now
