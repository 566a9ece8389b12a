"""The bot's answers: stored at most once per customer message, sent, and their handoffs asked.

A turn's answer (``answer``) is stored by :meth:`MessageService.answer_turn` in one transaction
that also moves the turn on, so a turn run twice (re-driven after a crash, or by two hub
processes) never stores or shows a second answer. Replies outside a turn (the bot's greeting
after an agent hands back) are stored one by one (``deliver``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.domain.views import TurnAnswer
from hub.services.blocking import BlockingCalls
from hub.services.escalation import Escalation
from hub.services.messages import MessageService
from hub.services.notices import Notices
from hub.services.ports import BotReply


class Answers:
    """Stores and sends the bot's messages and requests the handoffs they carry."""

    def __init__(
        self,
        messages: MessageService,
        notices: Notices,
        escalation: Escalation,
        calls: BlockingCalls,
    ) -> None:
        self._messages = messages
        self._notices = notices
        self._escalation = escalation
        self._calls = calls

    async def answer(self, conversation_id: str, turn_id: int, replies: list[BotReply]) -> bool:
        """Store the answer to customer message ``turn_id`` (at most once), send it, hand off.

        Returns True when storing the answer finished the turn; False when a handoff was
        requested after it (the caller then finishes the turn). An answer stored before (the
        turn is re-driven) is not sent again: clients that missed it get it on ``resume``;
        only its handoff, if it was never requested, is.
        """
        messages = [
            (reply.text, dict(reply.fields) or None)
            for reply in replies
            if reply.handoff is None and (reply.text is not None or reply.fields)
        ]
        handoffs = [dict(reply.handoff) for reply in replies if reply.handoff is not None]
        answer: TurnAnswer = await self._calls.short(
            self._messages.answer_turn,
            conversation_id,
            turn_id,
            messages,
            handoffs[-1] if handoffs else None,
        )
        if answer.created:
            for message in answer.messages:
                await self._notices.deliver(conversation_id, message)
        if answer.handoff is None:
            return True
        await self.bot_handoff(conversation_id, answer.handoff)
        return False

    async def deliver(self, conversation_id: str, replies: list[BotReply]) -> None:
        """Store and send the bot's messages outside a turn (the hand-back); act on a handoff."""
        handoff: Mapping[str, Any] | None = None
        for reply in replies:
            if reply.handoff is not None:
                handoff = reply.handoff
                continue
            if reply.text is None and not reply.fields:
                continue
            stored, _ = await self._calls.short(
                self._messages.record_message,
                conversation_id,
                "bot",
                reply.text,
                dict(reply.fields) or None,
                None,
                None,
            )
            await self._notices.deliver(conversation_id, stored)
        if handoff is not None:
            await self.bot_handoff(conversation_id, handoff)

    async def bot_handoff(self, conversation_id: str, handoff: Mapping[str, Any]) -> None:
        """Request the handoff the bot asked for (the bot has paused itself)."""
        signals = handoff.get("signals")
        score = handoff.get("score")
        await self._escalation.hand_off(
            conversation_id,
            str(handoff.get("reason") or "other"),
            _optional_str(handoff.get("queue")),
            [s for s in signals if isinstance(s, dict)] if isinstance(signals, list) else [],
            _optional_str(handoff.get("summary")),
            float(score) if isinstance(score, int | float) else None,
            paused_bot=True,
            order_number=_optional_str(handoff.get("order_number")),
            intent=_optional_str(handoff.get("intent")),
        )


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
