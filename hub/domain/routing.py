"""Routing rules: business hours, who may take what, queue order and honest wait estimates.

Pure functions over plain values so they are tested without a database; the service applies
them inside its transactions. Queue order is requeued-first (a customer whose agent dropped
goes back to the front), then longest waiting (``queued_at``, kept across requeues).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from hub.domain.policy import BusinessHours, HubConfig

REQUEUED_PRIORITY = 1
NORMAL_PRIORITY = 0


def is_open(hours: BusinessHours, now: datetime) -> bool:
    """Whether a queue with these hours is open at ``now`` (aware datetime)."""
    if hours.days is None:
        return True
    local = now.astimezone(hours.zone)
    current = local.time().replace(tzinfo=None)
    return any(
        span.start <= current and (span.end is None or current < span.end)
        for span in hours.days[local.weekday()]
    )


def next_open(hours: BusinessHours, now: datetime) -> datetime | None:
    """When the queue next opens (UTC), ``now`` if open, None if it never opens.

    Looks at most eight days ahead, which covers every weekly schedule.
    """
    if is_open(hours, now):
        return now
    assert hours.days is not None  # always_open queues returned above
    local = now.astimezone(hours.zone)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        for span in hours.days[day.weekday()]:
            start = datetime.combine(day, span.start, tzinfo=hours.zone)
            if start > local:
                return start.astimezone(now.tzinfo)
    return None


def serves(role: str, skills: Iterable[str], queue: str) -> bool:
    """Whether an agent may see and claim conversations of ``queue``; supervisors see all."""
    return role == "supervisor" or queue in set(skills)


def speaks(languages: Iterable[str], language: str) -> bool:
    """Whether an agent with these language skills speaks the conversation's language."""
    return language in set(languages)


def may_offer(
    languages: Iterable[str], language: str, *, speaker_free: bool, fallback: bool
) -> bool:
    """Whether a conversation in ``language`` goes to an agent with these languages.

    To one who speaks it, always; to anyone else only when no reachable agent of the queue who
    speaks it has room (``speaker_free`` False) and the hub is configured to fall back
    (``language_fallback_to_anyone``); otherwise it waits for a speaker.
    """
    return speaks(languages, language) or (fallback and not speaker_free)


def visible_queues(role: str, skills: Sequence[str], config: HubConfig) -> tuple[str, ...]:
    """The queues an agent's console shows: all for a supervisor, else their known skills."""
    if role == "supervisor":
        return tuple(config.queues)
    return tuple(q for q in skills if q in config.queues)


def estimate_wait(
    recent_waits: Sequence[float], position: int, online_agents: int, min_samples: int
) -> float | None:
    """Estimate seconds until a customer at ``position`` is picked up.

    The median of recent real waits in the queue is what a customer at the head of the queue
    typically waited; each further position adds that much again, shared among the online
    agents. With too few recent samples, or nobody online, there is no honest number: None.

    Args:
        recent_waits: Waits (seconds) of recent claims in this queue.
        position: 1-based place in the queue.
        online_agents: Online agents who serve the queue.
        min_samples: Fewer samples than this means unknown.

    Returns:
        Seconds, or None when unknown.
    """
    if len(recent_waits) < min_samples or online_agents <= 0 or position <= 0:
        return None
    median = statistics.median(recent_waits)
    return round(median * (1 + (position - 1) / online_agents), 1)
