"""The bot turn: a customer's message goes to the bot, or to the person who has it.

Every customer message is stored before it is acknowledged, as a pending turn; its turn then
runs in the background, one turn at a time per conversation so the bot answers in order. A
turn left pending by a hub that stopped (a crash, a kill) is run again when the hub starts and
when the client retries the message; its answer is stored at most once (``answer_turn``).
While the conversation is with the bot, the hub's own guard first checks for a plain request for a
person (it works when the bot is down); otherwise the bot answers. Any failure to get an
answer hands the customer to a person (fail-open). A message written while a person has the
conversation goes straight to the agents.

Overload is not failure: a message waiting in line for the bot is not failing, and a customer
whose answer is slow is told once that their message is in line (docs/hub-internals.md,
"Overload is not failure").
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final, Protocol

from hub.domain.errors import InvalidState, Overloaded
from hub.domain.state import goes_to_rasa
from hub.domain.texts import HANDBACK_FAILED_SUMMARY, masked_note
from hub.domain.views import HandoffOutcome, MessageView, StoredMessage
from hub.logging import log_event
from hub.persistence.messages import OPEN_TURN_STATES
from hub.services.answers import Answers
from hub.services.blocking import BlockingCalls
from hub.services.busy_notice import BusyNotice
from hub.services.escalation import Escalation
from hub.services.languages import with_language
from hub.services.messages import MessageService
from hub.services.notices import Notices
from hub.services.ports import Bot, BotBusy, BotError, BotUnavailable
from hub.services.sessions import SessionService

logger = logging.getLogger(__name__)

HANDBACK_INTENT: Final = "EXTERNAL_handback"
# The client id of the note after a masked message: the store keeps one per conversation.
MASKED_NOTE_KEY: Final = "hub-notice:masked"
# ``changes_before`` of a re-driven turn: never equal to the store's count, so its state is read.
REREAD_STATE: Final = -1


@dataclass(frozen=True)
class _Turn:
    """A stored customer message waiting for its turn."""

    conversation_id: str
    session_id: str
    message: MessageView
    metadata: dict[str, Any]
    stored_state: str
    changes_before: int
    # ``answered``: re-driven after its answer was stored; only its handoff is left to do.
    turn_state: str = "pending"


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
        busy_notice_seconds: A bot answer slower than this gets the customer a "one moment"
            notice (once until the bot is quick for them again); None sends none.
        max_waiting: Messages this process holds waiting for their turn at most; more are
            refused before they are stored (``Overloaded``).
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
        busy_notice_seconds: float | None = None,
        max_waiting: int | None = None,
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
        # --- overload (timer/overload path) ---
        self._max_waiting = max_waiting
        self._waiting = 0  # stored messages whose turn has not finished
        self._busy = BusyNotice(notices, busy_notice_seconds)
        # --- end overload ---
        self._running: set[int] = set()  # customer message ids whose turn runs here
        self._answers = Answers(messages, notices, escalation, calls)

    async def receive(
        self,
        conversation_id: str,
        session_id: str,
        text: str,
        client_msg_id: str | None,
        metadata: dict[str, Any],
        page_language: str | None = None,
    ) -> StoredMessage:
        """Store a customer's message and start its turn; returns what was stored.

        The message decides the conversation's language (stored with it; ``page_language``:
        the host page's tag the client sent); the bot gets it as ``metadata.language`` and
        ``metadata.page_language``, and the hub's own texts follow it.

        A repeat of a client id returns the stored message (``created=False``) and starts
        nothing, unless that message's turn never finished and does not run in this process
        (the hub stopped mid-turn): then the turn runs again. A message after a close reopens
        the conversation with the bot. The stored text is masked (card numbers and the like);
        the first time that happens in a conversation the customer gets a short note that we
        never need those in chat.

        Raises:
            Overloaded: Too many messages already wait for their turn; nothing was stored.
        """
        if self._max_waiting is not None and self._waiting >= self._max_waiting:
            raise Overloaded(self._waiting)
        changes_before = self._state_changes()  # before the store call: see ``_route``
        stored = await self._calls.short(
            self._messages.record_customer_message,
            conversation_id, text, client_msg_id, page_language,
        )  # fmt: skip
        metadata = with_language(metadata, stored.language, stored.page_language)
        if stored.masked:
            # Once per conversation (the store refuses a second note), before the bot answers.
            note = masked_note(stored.masked, stored.language)
            await self._notices.system_message(conversation_id, note, once=MASKED_NOTE_KEY)
        if stored.created:
            turn = _Turn(
                conversation_id, session_id, stored.message, metadata, stored.state, changes_before
            )
            self._start(turn)
            # The new turn runs up to its first wait (sending the message to the bot) before
            # the caller sends the ack: the customer waits for the answer, not for the ack.
            await asyncio.sleep(0)
        elif stored.turn_state in OPEN_TURN_STATES and stored.message.id not in self._running:
            # ---- re-drive (issue 13): acknowledged before, never answered ----
            log_event(logger, "customer.turn_redriven", conversation_id=conversation_id)
            turn = _Turn(
                conversation_id, session_id, stored.message, metadata, stored.state,
                REREAD_STATE, stored.turn_state,
            )  # fmt: skip
            self._start(turn)
        return stored

    async def redrive(self) -> int:
        """At start-up: run again every turn a stopped hub left unfinished; returns how many.

        Oldest first, so each conversation's turns run in order. The customer's token is not
        stored, so the bot gets the message without identity metadata (it asks again when it
        needs to know who is asking). With several hub processes a starting one also re-runs
        the turns in flight elsewhere: the bot may see such a message twice, but its answer
        is stored and shown once (``MessageService.answer_turn``).
        """
        pending = await self._calls.call(self._messages.open_turns)
        for item in pending:
            if item.message.id in self._running:
                continue
            metadata = with_language({"channel": "hub"}, item.language, item.page_language)
            turn = _Turn(
                item.message.conversation_id, item.session_id, item.message, metadata,
                "bot", REREAD_STATE, item.turn_state,
            )  # fmt: skip
            self._start(turn)
        if pending:
            log_event(logger, "customer.turns_redriven", count=len(pending))
        return len(pending)

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
                await self._notices.say(conversation_id, "bot_failure")
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
                await self._notices.announce(conversation_id, "bot_resumed")
            await self._answers.deliver(conversation_id, replies)

    async def drain(self) -> None:
        """Wait for the turns in flight (on shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start(self, turn: _Turn) -> None:
        self._running.add(turn.message.id)  # at once: a retry meanwhile must not start it twice
        self._spawn(self._turn(turn))

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
        self._waiting += 1  # counted here, so every path that starts a turn is counted
        # A turn cancelled at shutdown (or failed) stays pending and runs again at the next
        # start or retry.
        try:
            async with self._lock(turn.conversation_id):
                if not await self._route(turn):
                    await self._calls.short(
                        self._messages.finish_turn, turn.conversation_id, turn.message.id
                    )
        except Exception:
            log_event(
                logger,
                "customer.route_failed",
                level=logging.ERROR,
                conversation_id=turn.conversation_id,
                exc_info=True,
            )
            await self._notices.customers.push_error(turn.conversation_id, "internal")
        finally:
            self._waiting -= 1
            self._running.discard(turn.message.id)

    async def _route(self, turn: _Turn) -> bool:
        """Route one stored message; runs under the conversation's turn lock.

        Returns True when storing the answer finished the turn, False when the caller must.

        A message stored while the bot had the conversation is checked again here, after
        earlier turns: the bot's answer to an earlier message may have handed it off. The
        re-read is skipped only when this process is the store's one writer and no
        transition started since the count was read before the message was stored (the
        argument is in docs/hub-internals.md).
        """
        conversation_id, message = turn.conversation_id, turn.message
        if turn.turn_state == "answered":  # re-driven: answer stored, its handoff maybe not
            return await self._answers.answer(turn.conversation_id, turn.message.id, [])
        state = turn.stored_state
        if goes_to_rasa(state) and not (
            self._calls.inline_short_calls and turn.changes_before == self._state_changes()
        ):
            state = await self._calls.short(self._sessions.conversation_state, conversation_id)
        if not goes_to_rasa(state):
            await self._notices.agents.relay_message(conversation_id, message)
            return False
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
            return False
        try:
            replies = await self._busy.answer(
                conversation_id,
                self._bot.send_message(turn.session_id, message.text or "", turn.metadata),
            )
        except BotError as exc:
            await self._bot_failed(conversation_id, exc)
            return False
        self._bot.record_success()
        return await self._answers.answer(turn.conversation_id, turn.message.id, replies)

    # --- overload (timer/overload path) ---
    async def _bot_failed(self, conversation_id: str, exc: BotError) -> None:
        if isinstance(exc, BotBusy):
            # The hub's own line was too long: nothing is wrong with the bot, nobody is paged.
            log_event(
                logger, "customer.bot_busy", level=logging.WARNING, conversation_id=conversation_id
            )
            await self._notices.say(conversation_id, "bot_busy_retry")
            return
        # --- end overload ---
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
            await self._notices.say(conversation_id, "bot_failure")
            signal = {"name": "bot_failure", "score": 1.0, "evidence": exc.kind}
            await self._escalation.hand_off(
                conversation_id, "bot_failure", None, [signal], None, None
            )
        else:
            await self._notices.say(conversation_id, "bot_retry")
