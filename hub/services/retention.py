"""The retention purge: deletes what is past its period (``retention:`` in ``hub.yml``).

Runs as small batches, each its own short transaction of at most ``batch_size`` rows, so the
hub's writers wait at most one batch; the running hub awaits each batch on a worker thread and
yields to the event loop between them (:meth:`RetentionPurge.run_async`), the command runs them
back to back (:meth:`RetentionPurge.run`). Kinds, in order:

1. ``tickets`` and ``ratings`` older than their periods;
2. conversations idle past the transcript period with nothing left under them: deleted with
   their messages, state history and handoffs, then their Rasa tracker events (by sender id);
3. conversations idle past it but still holding a younger ticket or rating: their transcript
   (messages, handoff free text) and tracker events are deleted, the row stays;
4. any other tracker in Rasa's store whose newest event is past the transcript period (a
   conversation the hub never knew, or one whose hub rows went before its tracker);
5. audit entries older than the audit period (the only path the audit table's trigger allows).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from hub.domain.privacy import PurgeReport
from hub.domain.retention import RetentionPolicy
from hub.persistence.audit import AuditRepository
from hub.persistence.customer_data import CustomerDataRepository
from hub.persistence.expiry import ExpiryRepository
from hub.persistence.store import HubStore
from hub.services.blocking import BlockingCalls
from hub.services.clock import Clock, utc_now
from hub.services.tracker_port import TrackerEvents

log = logging.getLogger(__name__)

# One batch: (purge instance, now) -> {kind: rows deleted}; an empty or all-zero result means
# that step has nothing left.
Step = Callable[[datetime], dict[str, int]]


class RetentionPurge:
    """Deletes expired hub rows and Rasa tracker events in batches.

    Args:
        store: The hub store.
        trackers: Rasa's tracker store, or None (trackers in memory only).
        policy: Periods and batch size.
        clock: Aware UTC "now".
    """

    def __init__(
        self,
        store: HubStore,
        trackers: TrackerEvents | None,
        policy: RetentionPolicy,
        clock: Clock,
    ) -> None:
        self._store = store
        self._trackers = trackers
        self._policy = policy
        self._clock = clock
        self._expiry = ExpiryRepository()
        self._data = CustomerDataRepository()
        self._audit = AuditRepository()
        self._tracker_cursor: str | None = None  # idle-tracker sweep position within a run

    def cutoffs(self, now: datetime) -> dict[str, datetime | None]:
        """The instant before which each kind is expired (None: kept forever)."""
        p = self._policy
        return {
            kind: None if period is None else now - period
            for kind, period in (
                ("transcripts", p.transcripts),
                ("tickets", p.tickets),
                ("ratings", p.ratings),
                ("audit", p.audit),
            )
        }

    def steps(self) -> list[Step]:
        """The batch functions, in the order they run."""
        return [
            self._tickets,
            self._ratings,
            self._conversations,
            self._transcripts,
            self._idle_trackers,
            self._audit_entries,
        ]

    def dry_run(self, now: datetime | None = None) -> PurgeReport:
        """What a purge would delete now, deleting nothing."""
        cutoffs = self.cutoffs(now or utc_now(self._clock))
        with self._store.read() as s:
            counts = self._expiry.counts(s, cutoffs)
            audit = cutoffs["audit"]
            if audit is not None:
                counts["audit_entries"] = self._audit.count_before(s, audit)
        transcripts = cutoffs["transcripts"]
        if transcripts is not None and self._trackers is not None:
            counts["idle_trackers"] = self._trackers.count_idle(transcripts.timestamp())
        return PurgeReport(dry_run=True, counts=counts)

    def run(self, now: datetime | None = None) -> PurgeReport:
        """Purge everything expired, batch after batch (the command)."""
        now = now or utc_now(self._clock)
        totals: dict[str, int] = {}
        batches = 0
        self._tracker_cursor = None
        for step in self.steps():
            while True:
                done = step(now)
                batches += 1
                _add(totals, done)
                if not self._full(done):
                    break
        return self._finish(totals, batches)

    async def run_async(self, calls: BlockingCalls, now: datetime | None = None) -> PurgeReport:
        """:meth:`run` for the hub: each batch on a worker thread, the loop free in between."""
        now = now or utc_now(self._clock)
        totals: dict[str, int] = {}
        batches = 0
        self._tracker_cursor = None
        for step in self.steps():
            while True:
                done = await calls.call(step, now)
                batches += 1
                _add(totals, done)
                if not self._full(done):
                    break
                await asyncio.sleep(0)
        return self._finish(totals, batches)

    def _finish(self, totals: dict[str, int], batches: int) -> PurgeReport:
        if any(totals.values()):
            log.info("retention purge deleted expired data", extra={"counts": totals})
        return PurgeReport(dry_run=False, counts=totals, batches=batches)

    def _full(self, done: dict[str, int]) -> bool:
        """Whether a batch hit its size (so there may be more)."""
        return done.get("_batch", 0) >= self._policy.batch_size

    # ---- steps ----------------------------------------------------------------------------

    def _tickets(self, now: datetime) -> dict[str, int]:
        cutoff = self.cutoffs(now)["tickets"]
        if cutoff is None:
            return {}
        with self._store.transaction() as s:
            ids = self._expiry.expired_ticket_ids(s, cutoff, self._policy.batch_size)
            return {"tickets": self._data.delete_tickets(s, ids), "_batch": len(ids)}

    def _ratings(self, now: datetime) -> dict[str, int]:
        cutoff = self.cutoffs(now)["ratings"]
        if cutoff is None:
            return {}
        with self._store.transaction() as s:
            deleted = self._expiry.delete_expired_ratings(s, cutoff, self._policy.batch_size)
        return {"ratings": deleted, "_batch": deleted}

    def _conversations(self, now: datetime) -> dict[str, int]:
        cutoff = self.cutoffs(now)["transcripts"]
        if cutoff is None:
            return {}
        with self._store.transaction() as s:
            found = self._expiry.expired_conversations(s, cutoff, self._policy.batch_size)
            counts = self._data.delete_conversations(s, [cid for cid, _ in found])
        events = self._delete_trackers([session for _, session in found])
        return {
            "conversations": counts["conversations"],
            "messages": counts["messages"],
            "tracker_events": events,
            "_batch": len(found),
        }

    def _transcripts(self, now: datetime) -> dict[str, int]:
        cutoff = self.cutoffs(now)["transcripts"]
        if cutoff is None:
            return {}
        with self._store.transaction() as s:
            found = self._expiry.stale_transcripts(s, cutoff, self._policy.batch_size)
            messages = self._expiry.strip_transcripts(s, [cid for cid, _ in found])
        events = self._delete_trackers([session for _, session in found])
        return {
            "transcripts_stripped": len(found),
            "messages": messages,
            "tracker_events": events,
            "_batch": len(found),
        }

    def _idle_trackers(self, now: datetime) -> dict[str, int]:
        cutoff = self.cutoffs(now)["transcripts"]
        if cutoff is None or self._trackers is None:
            return {}
        senders = self._trackers.idle_senders(
            cutoff.timestamp(), self._policy.batch_size, self._tracker_cursor
        )
        if not senders:
            return {}
        self._tracker_cursor = senders[-1]
        with self._store.read() as s:
            kept = self._expiry.kept_sessions(s, senders, cutoff)
        gone = [x for x in senders if x not in kept]
        return {
            "idle_trackers": len(gone),
            "tracker_events": self._trackers.delete_senders(gone),
            "_batch": len(senders),
        }

    def _audit_entries(self, now: datetime) -> dict[str, int]:
        cutoff = self.cutoffs(now)["audit"]
        if cutoff is None:
            return {}
        with self._store.transaction() as s:
            deleted = self._audit.purge_before(s, cutoff, self._policy.batch_size)
        return {"audit_entries": deleted, "_batch": deleted}

    def _delete_trackers(self, sessions: list[str]) -> int:
        if self._trackers is None or not sessions:
            return 0
        return self._trackers.delete_senders(sessions)


def _add(totals: dict[str, int], done: dict[str, int]) -> None:
    for kind, count in done.items():
        if kind != "_batch":
            totals[kind] = totals.get(kind, 0) + count
