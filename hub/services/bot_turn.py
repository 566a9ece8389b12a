"""The bot turn: a customer's message goes to the bot, or to the person who has it.

Every customer message is stored before it is acknowledged; its turn then runs in the
background, one turn at a time per conversation so the bot answers in order. While the
conversation is with the bot, the hub's own guard first checks for a plain request for a
person (it works when the bot is down); otherwise the bot answers. Any failure to get an
answer hands the customer to a person (fail-open). A message written while a person has the
conversation goes straight to the agents.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from hub.domain.errors import InvalidState
from hub.domain.state import goes_to_rasa
from hub.domain.texts import (
    BOT_FAILURE_TEXT,
    BOT_RETRY_TEXT,
    HANDBACK_FAILED_SUMMARY,
    STATUS_TEXT,
    masked_note,
)
from hub.domain.views import HandoffOutcome, MessageView, StoredMessage
from hub.logging import log_event
from hub.services.blocking import BlockingCalls
from hub.services.escalation import Escalation
from hub.services.messages import MessageService
from hub.services.notices import Notices
from hub.services.ports import Bot, BotError, BotReply, BotUnavailable
from hub.services.sessions import SessionService

logger = logging.getLogger(__name__)

HANDBACK_INTENT: Final = "EXTERNAL_handback"
# The client id of the note after a masked message: the store keeps one per conversation.
MASKED_NOTE_KEY: Final = "hub-notice:masked"


@dataclass(frozen=True)
class _Turn:
    """A stored customer message waiting for its turn."""

    conversation_id: str
    session_id: str
    message: MessageView
    metadata: dict[str, Any]
    stored_state: str
    changes_before: int


class ExplicitMatch(Protocol):
    """What the hub's guard reports when a message plainly asks for a person."""

    @property
    def phrase(self) -> str | None:
        """The phrase that matched."""

    @property
    def language(self) -> str | None:
        """The phrase book's language of the match."""


class BotTurns:
    """Receives customers' messages and runs their turns.

    Args:
        detect_explicit: The hub's guard: a match when the text plainly asks for a person.
        failure_threshold: Consecutive bot failures before a customer is handed to a person
            (an unreachable bot hands off at once).
        state_changes: The store's transition counter; on a store only this process writes,
            an unchanged count proves the state read when a message was stored is still
            current, which saves re-reading it (``HubStore.state_changes``).
    """

    def __init__(
        self,
        sessions: SessionService,
        messages: MessageService,
        notices: Notices,
        escalation: Escalation,
        bot: Bot,
        calls: BlockingCalls,
        *,
        detect_explicit: Callable[[str], ExplicitMatch | None],
        failure_threshold: int,
        state_changes: Callable[[], int],
    ) -> None:
        self._sessions = sessions
        self._messages = messages
        self._notices = notices
        self._escalation = escalation
        self._bot = bot
        self._calls = calls
        self._detect_explicit = detect_explicit
        self._failure_threshold = failure_threshold
        self._state_changes = state_changes
        self._turn_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._tasks: set[asyncio.Task[None]] = set()

    async def receive(
        self,
        conversation_id: str,
        session_id: str,
        text: str,
        client_msg_id: str | None,
        metadata: dict[str, Any],
    ) -> StoredMessage:
        """Store a customer's message and start its turn; returns what was stored.

        A repeat of a client id returns the stored message (``created=False``) and starts
        nothing. A message after a close reopens the conversation with the bot. The stored text
        is masked (card numbers and the like); the first time that happens in a conversation
        the customer gets a short note that we never need those in chat.
        """
        changes_before = self._state_changes()  # before the store call: see ``_route``
        stored = await self._calls.short(
            self._messages.record_customer_message, conversation_id, text, client_msg_id
        )
        if stored.masked:
            # Once per conversation (the store refuses a second note), before the bot answers.
            note = masked_note(stored.message.text or "", stored.masked)
            await self._notices.system_message(conversation_id, note, once=MASKED_NOTE_KEY)
        if stored.created:
            turn = _Turn(
                conversation_id, session_id, stored.message, metadata, stored.state, changes_before
            )
            self._spawn(self._turn(turn))
        return stored

    async def request_person(self, conversation_id: str) -> HandoffOutcome:
        """The widget's "talk to a person" button: hand off at once, after turns in flight.

        Raises:
            InvalidState: The conversation is not with the bot (already waiting or with a person).
        """
        async with self._lock(conversation_id):
            state = await self._calls.short(self._sessions.conversation_state, conversation_id)
            if not goes_to_rasa(state):
                raise InvalidState(conversation_id, state)
            signal = {"name": "handoff_button", "score": 1.0, "evidence": "button"}
            return await self._escalation.hand_off(
                conversation_id, "explicit_request", None, [signal], None, 1.0
            )

    async def resume_after_handback(self, conversation_id: str) -> None:
        """After an agent hands back: resume the bot, relay its reply, tell the customer.

        If the bot cannot be resumed the customer goes straight back to a person rather than
        into a bot that would not answer (fail-open).
        """
        conversation = await self._calls.call(self._sessions.get_conversation, conversation_id)
        async with self._lock(conversation_id):
            try:
                await self._bot.resume(conversation.session_id)
                replies = await self._bot.trigger_intent(conversation.session_id, HANDBACK_INTENT)
            except BotError as exc:
                self._bot.record_failure(exc)
                log_event(
                    logger,
                    "customer.handback_failed",
                    level=logging.WARNING,
                    conversation_id=conversation_id,
                    kind=exc.kind,
                )
                await self._notices.system_message(conversation_id, BOT_FAILURE_TEXT)
                signal = {"name": "bot_failure", "score": 1.0, "evidence": exc.kind}
                await self._escalation.hand_off(
                    conversation_id,
                    "bot_failure",
                    conversation.queue,
                    [signal],
                    HANDBACK_FAILED_SUMMARY,
                    None,
                )
                return
            self._bot.record_success()
            if any(reply.text is not None for reply in replies):
                # The bot says it is back in its own words; no second notice.
                await self._notices.transient_status(conversation_id, "bot_resumed")
            else:
                await self._notices.status(
                    conversation_id, "bot_resumed", STATUS_TEXT["bot_resumed"]
                )
            await self._deliver(conversation_id, replies)

    async def drain(self) -> None:
        """Wait for the turns in flight (on shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._turn_locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._turn_locks[conversation_id] = lock
        return lock

    async def _turn(self, turn: _Turn) -> None:
        try:
            async with self._lock(turn.conversation_id):
                await self._route(turn)
        except Exception:
            log_event(
                logger,
                "customer.route_failed",
                level=logging.ERROR,
                conversation_id=turn.conversation_id,
                exc_info=True,
            )
            await self._notices.customers.push_error(turn.conversation_id, "internal")

    async def _route(self, turn: _Turn) -> None:
        """Route one stored message; runs under the conversation's turn lock.

        A message stored while the bot had the conversation is checked again here, after
        earlier turns: the bot's answer to an earlier message may have handed it off. The
        re-read is skipped only when this process is the store's one writer and no
        transition started since the count was read before the message was stored (the
        argument is in docs/hub-internals.md).
        """
        conversation_id, message = turn.conversation_id, turn.message
        state = turn.stored_state
        if goes_to_rasa(state) and not (
            self._calls.inline_short_calls and turn.changes_before == self._state_changes()
        ):
            state = await self._calls.short(self._sessions.conversation_state, conversation_id)
        if not goes_to_rasa(state):
            await self._notices.agents.relay_message(conversation_id, message)
            return
        match = self._detect_explicit(message.text or "")
        if match is not None:
            signal = {
                "name": "explicit_request",
                "score": 1.0,
                "evidence": match.phrase,
                "language": match.language,
                "source": "hub_guard",
            }
            await self._escalation.hand_off(
                conversation_id,
                "explicit_request",
                None,
                [signal],
                None,
                1.0,
                language=match.language,
            )
            return
        try:
            replies = await self._bot.send_message(
                turn.session_id, message.text or "", turn.metadata
            )
        except BotError as exc:
            await self._bot_failed(conversation_id, exc)
            return
        self._bot.record_success()
        await self._deliver(conversation_id, replies)

    async def _deliver(self, conversation_id: str, replies: list[BotReply]) -> None:
        """Store and send the bot's messages; act on a handoff request among them."""
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

    async def _bot_failed(self, conversation_id: str, exc: BotError) -> None:
        streak = self._bot.record_failure(exc)
        log_event(
            logger,
            "customer.bot_failed",
            level=logging.WARNING,
            conversation_id=conversation_id,
            kind=exc.kind,
            streak=streak,
        )
        if isinstance(exc, BotUnavailable) or streak >= self._failure_threshold:
            await self._notices.system_message(conversation_id, BOT_FAILURE_TEXT)
            signal = {"name": "bot_failure", "score": 1.0, "evidence": exc.kind}
            await self._escalation.hand_off(
                conversation_id, "bot_failure", None, [signal], None, None
            )
        else:
            await self._notices.system_message(conversation_id, BOT_RETRY_TEXT)


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
