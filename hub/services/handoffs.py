"""Handoffs: a conversation asks for a person, waits in a queue, or goes back to the bot.

A handoff must never be lost to a bad payload: an unknown reason is stored as ``other`` and an
unknown queue goes to the default queue (both logged). When the queue is closed or nobody who
serves it is online, the conversation stays with the bot and the outcome is ``no_agents`` (the
customer is offered a ticket or callback); the request is still recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy.orm import Session

from hub.domain.language import DEFAULT_LANGUAGE, language_note, served_language
from hub.domain.policy import HANDOFF_REASONS, HubConfig
from hub.domain.routing import NORMAL_PRIORITY, is_open, next_open
from hub.domain.summary import build_summary
from hub.domain.views import ConversationView, HandoffOutcome
from hub.persistence import models as m
from hub.persistence.mapping import conversation_view, message_view
from hub.persistence.store import HubStore
from hub.services.clock import Clock, utc_now
from hub.services.queues import QueueReader

log = logging.getLogger(__name__)

MAX_SUMMARY_CHARS: Final = 2000
MAX_SIGNALS: Final = 20


class HandoffService:
    """Queues conversations for people and takes them out again."""

    def __init__(
        self, store: HubStore, config: HubConfig, clock: Clock, queues: QueueReader
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._queues = queues

    def request_handoff(
        self,
        conversation_id: str,
        reason: str,
        queue: str | None,
        signals: Sequence[dict[str, Any]] | None,
        summary: str | None,
        score: float | None,
        *,
        order_number: str | None = None,
        intent: str | None = None,
    ) -> HandoffOutcome:
        """Ask for a person: queue the conversation, or say honestly that nobody can come.

        Asking again while queued or with an agent changes nothing and reports where the
        conversation stands. Without a summary the hub writes its own from the transcript.

        Returns:
            The outcome with position and an estimate from real recent waits (or None).
        """
        reason, queue = self._checked(conversation_id, reason, queue)
        now = utc_now(self._clock)
        with self._store.transaction() as s:
            conv = self._store.conversations.conversation(s, conversation_id, lock=True)
            if conv.state == "queued":
                return self._queues.queued_outcome(s, conv, now, created=False)
            if conv.state == "agent":
                return HandoffOutcome(
                    conversation_id=conversation_id,
                    state="agent",
                    queue=str(conv.queue),
                    reason=str(conv.handoff_reason or reason),
                    position=None,
                    estimated_wait_seconds=None,
                    within_hours=True,
                    created=False,
                )
            if conv.state == "closed":
                self._store.conversations.transition(
                    s, conv, "reopen", now=now, reason="handoff_requested"
                )
            hours = self._config.queues[queue].hours
            open_now = is_open(hours, now)
            available = open_now and self._queues.online_for_queue(s, queue, now) > 0
            handoff = self._store.handoffs.open_handoff(
                s,
                conversation_id,
                kind="handoff",
                reason=reason,
                queue=queue,
                outcome="queued" if available else "no_agents",
                within_hours=open_now,
                now=now,
            )
            clean_signals = [
                dict(sig) for sig in (signals or [])[:MAX_SIGNALS] if isinstance(sig, dict)
            ]
            summary = (summary or "").strip()
            if summary and served_language(conv.language) != DEFAULT_LANGUAGE:
                # The bot's own summary; an agent must see at once it is not in English.
                summary = f"{language_note(conv.language, conv.page_language)} {summary}"
            summary = summary or self._hub_summary(s, conv, reason, clean_signals)
            context: dict[str, Any] = {
                "handoff_reason": reason,
                "handoff_signals": clean_signals,
                "handoff_summary": summary[:MAX_SUMMARY_CHARS],
                "handoff_score": float(score) if score is not None else None,
                "handoff_order_number": (order_number or None) and order_number[:32],
                "handoff_intent": (intent or None) and intent[:64],
            }
            if not available:
                self._store.handoffs.end_handoff(s, handoff.id, now, "no_agents")
                for key, value in context.items():
                    setattr(conv, key, value)
                conv.queue = queue
                conv.updated_at = now
                return HandoffOutcome(
                    conversation_id=conversation_id,
                    state="no_agents",
                    queue=queue,
                    reason=reason,
                    position=None,
                    estimated_wait_seconds=None,
                    within_hours=open_now,
                    next_open_at=None if open_now else next_open(hours, now),
                )
            self._store.conversations.transition(
                s,
                conv,
                "handoff",
                now=now,
                reason=reason,
                queue=queue,
                queued_at=now,
                priority=NORMAL_PRIORITY,
                handoff_id=handoff.id,
                **context,
            )
            return self._queues.queued_outcome(s, conv, now, created=True)

    def _checked(self, conversation_id: str, reason: str, queue: str | None) -> tuple[str, str]:
        """A known reason and queue for any payload (unknown ones logged and replaced)."""
        if reason not in HANDOFF_REASONS:
            log.warning(
                "unknown handoff reason stored as 'other'",
                extra={"conversation_id": conversation_id},
            )
            reason = "other"
        if queue is None or queue not in self._config.queues:
            if queue is not None:
                log.warning(
                    "unknown handoff queue, using the default queue",
                    extra={"conversation_id": conversation_id},
                )
            queue = self._config.default_queue
        return reason, queue

    def _hub_summary(
        self, s: Session, conv: m.Conversation, reason: str, signals: Sequence[dict[str, Any]]
    ) -> str:
        """The hub's own summary when the handoff brought none (button, guard, bot failure)."""
        transcript = [
            message_view(r) for r in self._store.messages.messages_after(s, str(conv.id), None)
        ]
        return build_summary(
            transcript,
            reason=reason,
            customer_ref=conv.customer_ref,
            signals=signals,
            language=served_language(conv.language),
            page_language=conv.page_language,
        )

    def queue_status(self, conversation_id: str) -> HandoffOutcome | None:
        """Current position and estimate of a waiting conversation; None if not queued."""
        now = utc_now(self._clock)
        with self._store.read() as s:
            conv = self._store.conversations.conversation(s, conversation_id)
            if conv.state != "queued":
                return None
            return self._queues.queued_outcome(s, conv, now, created=False)

    def cancel_handoff(self, conversation_id: str) -> ConversationView:
        """The waiting customer returns to the bot (idempotent if already with the bot).

        Raises:
            InvalidTransition: An agent already owns it, or it is closed.
        """
        now = utc_now(self._clock)
        with self._store.transaction() as s:
            conv = self._store.conversations.conversation(s, conversation_id, lock=True)
            if conv.state != "bot":
                self._store.handoffs.end_handoff(s, conv.handoff_id, now, "cancel")
                self._store.conversations.transition(
                    s,
                    conv,
                    "cancel",
                    now=now,
                    reason="customer_cancelled",
                    priority=NORMAL_PRIORITY,
                )
            return conversation_view(self._store, s, conv)
