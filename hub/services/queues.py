"""Reading the queues: who is waiting where, who can serve them, how long the wait is.

Shared by the handoff, agent-work and stats services; every function reads inside the
caller's transaction and decides nothing by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from hub.domain.language import agent_languages, served_language
from hub.domain.policy import HubConfig
from hub.domain.routing import REQUEUED_PRIORITY, estimate_wait, is_open, may_offer, serves, speaks
from hub.domain.views import HandoffOutcome, QueueStats, WaitingItem
from hub.persistence import models as m
from hub.persistence.store import HubStore


class QueueReader:
    """Queue positions, waits and online agents, computed from the store."""

    def __init__(self, store: HubStore, config: HubConfig) -> None:
        self._store = store
        self._config = config

    def seen_since(self, now: datetime) -> datetime:
        """Agents last seen before this count as offline (their hub stopped beating)."""
        return now - self._config.presence_timeout

    def is_reachable(self, agent: m.Agent, now: datetime) -> bool:
        """Online, enabled, and kept alive by a hub process's heartbeat."""
        return (
            bool(agent.active)
            and agent.presence == "online"
            and agent.last_seen_at is not None
            and agent.last_seen_at >= self.seen_since(now)
        )

    def online_for_queue(self, s: Session, queue: str, now: datetime) -> int:
        """How many reachable agents serve ``queue``."""
        return sum(
            1
            for a in self._store.agents.online_agents(s, self.seen_since(now))
            if serves(str(a.role), a.queues or (), queue)
        )

    def speaker_free(self, s: Session, queue: str, language: str, now: datetime) -> bool:
        """Whether a reachable agent of ``queue`` who speaks ``language`` has room for one more."""
        return any(
            serves(str(a.role), a.queues or (), queue)
            and speaks(agent_languages(a.languages), language)
            and self._store.conversations.owned_count(s, int(a.id)) < int(a.capacity)
            for a in self._store.agents.online_agents(s, self.seen_since(now))
        )

    def language_allows(
        self, s: Session, agent: m.Agent, conv: m.Conversation, now: datetime
    ) -> bool:
        """Whether routing gives ``conv`` to ``agent`` by language (``routing.may_offer``)."""
        language = served_language(conv.language)
        languages = agent_languages(agent.languages) or ("en",)
        fallback = self._config.language_fallback
        # Who else has room is only read when it can change the answer.
        free = (
            fallback
            and not speaks(languages, language)
            and self.speaker_free(s, str(conv.queue), language, now)
        )
        return may_offer(languages, language, speaker_free=free, fallback=fallback)

    def offer_for(
        self, s: Session, agent: m.Agent, queues: Sequence[str], now: datetime
    ) -> m.Conversation | None:
        """The first waiting conversation of these queues that routing gives to ``agent``.

        In queue order, skipping conversations in a language the agent does not speak while
        an agent who speaks it has room (or always, without ``language_fallback_to_anyone``).
        """
        for conv in self._store.conversations.waiting(s, queues):
            if self.language_allows(s, agent, conv, now):
                return conv
        return None

    def is_open(self, queue: str, now: datetime) -> bool:
        """Business hours of a queue; a queue no longer in the config counts as open."""
        spec = self._config.queues.get(queue)
        return True if spec is None else is_open(spec.hours, now)

    def queued_outcome(
        self, s: Session, conv: m.Conversation, now: datetime, *, created: bool
    ) -> HandoffOutcome:
        """Where a waiting conversation stands: position and an estimate from real waits."""
        queue = str(conv.queue)
        ids = [str(c.id) for c in self._store.conversations.waiting(s, [queue])]
        position = ids.index(str(conv.id)) + 1
        waits = self._store.handoffs.recent_waits(s, queue, now - self._config.wait_window)
        estimate = estimate_wait(
            waits, position, self.online_for_queue(s, queue, now), self._config.wait_min_samples
        )
        return HandoffOutcome(
            conversation_id=str(conv.id),
            state="queued",
            queue=queue,
            reason=str(conv.handoff_reason or "other"),
            position=position,
            estimated_wait_seconds=estimate,
            within_hours=self.is_open(queue, now),
            created=created,
        )

    def waiting_items(self, s: Session, queues: Sequence[str], now: datetime) -> list[WaitingItem]:
        """The waiting conversations of these queues, in the order they will be offered."""
        items: list[WaitingItem] = []
        positions: dict[str, int] = {}
        for conv in self._store.conversations.waiting(s, queues):
            queue = str(conv.queue)
            positions[queue] = positions.get(queue, 0) + 1
            items.append(
                WaitingItem(
                    conversation_id=str(conv.id),
                    queue=queue,
                    reason=conv.handoff_reason,
                    summary=conv.handoff_summary,
                    customer_ref=conv.customer_ref,
                    position=positions[queue],
                    wait_seconds=(now - conv.queued_at).total_seconds() if conv.queued_at else 0.0,
                    requeued=int(conv.priority or 0) >= REQUEUED_PRIORITY,
                    language=served_language(conv.language),
                )
            )
        return items

    def queue_stats(self, s: Session, queues: Sequence[str], now: datetime) -> list[QueueStats]:
        """Per-queue numbers: waiting, longest wait, online agents, open now."""
        waiting = self.waiting_items(s, queues, now)
        online = self._store.agents.online_agents(s, self.seen_since(now))
        stats: list[QueueStats] = []
        for queue in queues:
            waits = [w.wait_seconds for w in waiting if w.queue == queue]
            stats.append(
                QueueStats(
                    queue=queue,
                    display_name=self._config.queues[queue].display_name,
                    waiting=len(waits),
                    longest_wait_seconds=max(waits) if waits else None,
                    online_agents=sum(
                        1 for a in online if serves(str(a.role), a.queues or (), queue)
                    ),
                    open_now=is_open(self._config.queues[queue].hours, now),
                )
            )
        return stats
