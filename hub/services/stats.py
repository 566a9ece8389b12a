"""Numbers for the metrics exporter, computed from the store so every hub process agrees."""

from __future__ import annotations

from hub.domain.policy import HubConfig
from hub.domain.views import HubStats
from hub.persistence.store import HubStore
from hub.services.clock import Clock, utc_now
from hub.services.queues import QueueReader


class StatsService:
    """Handoffs, queues, waits, containment and CSAT, as of now."""

    def __init__(
        self, store: HubStore, config: HubConfig, clock: Clock, queues: QueueReader
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._queues = queues

    def stats(self) -> HubStats:
        """Metric inputs, identical in every hub process and after restarts."""
        now = utc_now(self._clock)
        queues = list(self._config.queues)
        with self._store.read() as s:
            queue_stats = self._queues.queue_stats(s, queues, now)
            total, contained = self._store.stats.containment(s)
            waits: dict[str, list[float]] = {q: [] for q in queues}
            first: dict[str, list[float]] = {q: [] for q in queues}
            for h in self._store.handoffs.recent_claims(s, now - self._config.wait_window):
                queue = str(h.queue)
                waits.setdefault(queue, []).append((h.claimed_at - h.requested_at).total_seconds())
                if h.first_agent_reply_at is not None:
                    first.setdefault(queue, []).append(
                        (h.first_agent_reply_at - h.claimed_at).total_seconds()
                    )
            return HubStats(
                handoffs=self._store.stats.handoff_counts(s),
                queue_lengths={q.queue: q.waiting for q in queue_stats},
                longest_wait_seconds={q.queue: q.longest_wait_seconds or 0.0 for q in queue_stats},
                online_agents={q.queue: q.online_agents for q in queue_stats},
                messages=self._store.stats.message_counts(s),
                conversations=total,
                contained=contained,
                wait_seconds_recent={q: tuple(v) for q, v in waits.items()},
                first_reply_seconds_recent={q: tuple(v) for q, v in first.items()},
                csat_counts=self._store.stats.csat_counts(s),
            )
