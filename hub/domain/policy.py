"""The hub's policy: queues, business hours, limits (the ``hub.yml`` part of the settings).

Pure data and its validation; ``hub.settings`` reads the file. Without a file the defaults
below apply (every queue open around the clock). Business hours
are per queue, in the queue's own time zone, so "out of hours" is decided where the agents
work rather than where the server runs.

Example ``hub.yml``::

    default_queue: payments
    grace_period_seconds: 60
    presence_timeout_seconds: 60
    dispositions: [resolved, follow_up, escalated, no_response, other]
    queues:
      payments: {display_name: Payments, hours: always}
      collections:
        display_name: Collections
        timezone: Europe/London
        hours: {mon-fri: "08:00-20:00", sat: "09:00-13:00"}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.domain.errors import ConfigError
from hub.domain.retention import RetentionPolicy, retention_from_mapping

DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HANDOFF_REASONS: Final = ("explicit_request", "frustration", "topic", "bot_failure", "other")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Span:
    """One opening span within a day, ``start <= t < end``; ``end`` None means midnight."""

    start: time
    end: time | None


@dataclass(frozen=True)
class BusinessHours:
    """Weekly opening hours of a queue in its time zone.

    Attributes:
        timezone: IANA zone name the spans are expressed in.
        days: Spans per weekday, Monday first; ``None`` for the whole object means always open.
    """

    timezone: str = "UTC"
    days: tuple[tuple[Span, ...], ...] | None = None

    @property
    def always_open(self) -> bool:
        """True when the queue has no hours restriction."""
        return self.days is None

    @property
    def zone(self) -> ZoneInfo:
        """The queue's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class QueueConfig:
    """A queue agents can serve."""

    name: str
    display_name: str
    hours: BusinessHours = field(default_factory=BusinessHours)


def _default_queues() -> dict[str, QueueConfig]:
    return {
        name: QueueConfig(name=name, display_name=name.capitalize())
        for name in ("payments", "disputes", "collections")
    }


@dataclass(frozen=True)
class HubConfig:
    """Everything the hub's domain needs to decide, with safe defaults.

    Attributes:
        queues: Known queues by name.
        default_queue: Where a handoff with an unknown or missing queue goes.
        grace_period: How long a disconnected agent keeps their conversations.
        presence_timeout: An agent whose hub has not refreshed their ``last_seen_at`` for this
            long counts as offline (their hub process died without saying so); the grace
            period then runs as for a disconnect. Must comfortably exceed the hub's heartbeat
            interval (``HUB_HEARTBEAT_INTERVAL``).
        session_ttl: Lifetime of an agent's login session.
        login_client_burst: Failed logins one client address may make in a row before its
            token bucket is empty (``429`` with ``Retry-After``)...
        login_client_per_minute: ...and the rate at which that bucket refills.
        login_backoff_after: Failures of one client on one username before that pair backs
            off; the same username from any other client is unaffected, so nobody can lock
            an agent out.
        login_backoff_base: The first back-off; it doubles with each further failure...
        login_backoff_max: ...up to this.
        login_max_concurrent: Logins being checked at once in one hub process; more are
            answered ``429`` at once.
        login_workers: Threads that check passwords (argon2), apart from the worker threads
            of every other hub call.
        max_conversations_per_connection: New conversations one customer connection may
            open (``session_request``); more are answered ``rate_limited``.
        max_conversations_per_address_per_minute: New conversations per client address and
            minute (a token bucket of that size, in each hub process); behind a reverse proxy
            every client shares the proxy's address.
        bot_busy_notice: A customer whose message has waited this long for the bot is told
            once, in the conversation, that the bot is busy and their message is in line
            (``bot_busy`` status); told again only after the bot has been quick again.
        max_waiting_turns: Customer messages one hub process holds waiting for the bot; a
            message beyond that is refused (``busy``) before it is stored, never dropped.
        default_capacity: Concurrent conversations per agent unless set otherwise.
        dispositions: Allowed close dispositions.
        max_message_chars: Longest message text stored.
        max_note_chars: Longest ticket note stored.
        max_id_chars: Longest client-chosen id (session id, client message id) accepted.
        wait_window: How far back wait times count for the estimate.
        wait_min_samples: Fewer recent waits than this means "unknown", never a guess.
        retention: How long each kind of data is kept (``retention:``, issue 17).
        language_fallback: A conversation in a language no reachable agent of its queue
            speaks (with room for it) is offered to anyone who serves the queue; False: it
            waits for an agent who speaks it (issue 19, ``language_fallback_to_anyone``).
    """

    queues: dict[str, QueueConfig] = field(default_factory=_default_queues)
    default_queue: str = "payments"
    grace_period: timedelta = timedelta(seconds=60)
    presence_timeout: timedelta = timedelta(seconds=60)
    session_ttl: timedelta = timedelta(hours=8)
    login_client_burst: int = 10
    login_client_per_minute: int = 10
    login_backoff_after: int = 3
    login_backoff_base: timedelta = timedelta(seconds=2)
    login_backoff_max: timedelta = timedelta(minutes=5)
    login_max_concurrent: int = 4
    login_workers: int = 2
    max_conversations_per_connection: int = 20
    max_conversations_per_address_per_minute: int = 1200
    bot_busy_notice: timedelta = timedelta(seconds=3)
    max_waiting_turns: int = 5000
    default_capacity: int = 3
    dispositions: tuple[str, ...] = ("resolved", "follow_up", "escalated", "no_response", "other")
    max_message_chars: int = 4000
    max_note_chars: int = 1000
    max_id_chars: int = 64
    wait_window: timedelta = timedelta(hours=24)
    wait_min_samples: int = 3
    # --- data protection (issue 17) ---
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    language_fallback: bool = True

    def __post_init__(self) -> None:
        if self.default_queue not in self.queues:
            raise ConfigError(f"default_queue {self.default_queue!r} is not a configured queue")
        if not self.dispositions:
            raise ConfigError("at least one disposition is required")


def _parse_days(key: str) -> list[int]:
    parts = [p.strip().lower() for p in key.split("-")]
    if any(p not in DAYS for p in parts) or len(parts) > 2:
        raise ConfigError(f"unknown day or range {key!r} (use mon..sun or mon-fri)")
    first, last = DAYS.index(parts[0]), DAYS.index(parts[-1])
    if last < first:
        raise ConfigError(f"day range {key!r} runs backwards")
    return list(range(first, last + 1))


def _parse_span(text: str) -> Span:
    match = _SPAN.match(text)
    if match is None:
        raise ConfigError(f"bad opening span {text!r} (use HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ConfigError(f"bad time in opening span {text!r}")
    start = time(h1, m1)
    end = None if h2 == 24 else time(h2, m2)
    if end is not None and end <= start:
        raise ConfigError(f"opening span {text!r} must end after it starts (same day)")
    return Span(start, end)


def parse_hours(raw: Any, timezone: str) -> BusinessHours:
    """Parse a queue's ``hours`` value: ``always`` or a mapping of days to spans.

    Args:
        raw: ``"always"``, ``None``, or ``{"mon-fri": "08:00-20:00" | [spans] | "closed"}``.
        timezone: IANA zone of the spans.

    Returns:
        The parsed hours.

    Raises:
        ConfigError: Unknown zone, day or malformed span.
    """
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {timezone!r}") from exc
    if raw is None or raw == "always":
        return BusinessHours(timezone=timezone)
    if not isinstance(raw, dict):
        raise ConfigError("hours must be 'always' or a mapping of days to spans")
    days: list[list[Span]] = [[] for _ in DAYS]
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        for day in _parse_days(str(key)):
            for item in values:
                if str(item).strip().lower() == "closed":
                    continue
                days[day].append(_parse_span(str(item)))
    return BusinessHours(
        timezone=timezone,
        days=tuple(tuple(sorted(d, key=lambda s: s.start)) for d in days),
    )


def _seconds(raw: dict[str, Any], key: str, default: timedelta) -> timedelta:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{key} must be a positive number of seconds")
    return timedelta(seconds=value)


def _positive_int(raw: dict[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{key} must be a positive integer")
    return value


def config_from_mapping(raw: dict[str, Any]) -> HubConfig:
    """Build a :class:`HubConfig` from parsed YAML, validating every field.

    Raises:
        ConfigError: Any field is malformed.
    """
    queues = _default_queues()
    raw_queues = raw.get("queues")
    if raw_queues is not None:
        if not isinstance(raw_queues, dict) or not raw_queues:
            raise ConfigError("queues must be a non-empty mapping")
        queues = {}
        for name, spec in raw_queues.items():
            spec = spec or {}
            if not isinstance(spec, dict):
                raise ConfigError(f"queue {name!r} must be a mapping")
            queues[str(name)] = QueueConfig(
                name=str(name),
                display_name=str(spec.get("display_name", str(name).capitalize())),
                hours=parse_hours(spec.get("hours"), str(spec.get("timezone", "UTC"))),
            )
    defaults = HubConfig()
    dispositions = raw.get("dispositions", list(defaults.dispositions))
    if not isinstance(dispositions, list) or not all(isinstance(d, str) for d in dispositions):
        raise ConfigError("dispositions must be a list of strings")
    return HubConfig(
        queues=queues,
        default_queue=str(raw.get("default_queue", next(iter(queues)))),
        grace_period=_seconds(raw, "grace_period_seconds", defaults.grace_period),
        presence_timeout=_seconds(raw, "presence_timeout_seconds", defaults.presence_timeout),
        session_ttl=_seconds(raw, "session_ttl_seconds", defaults.session_ttl),
        login_client_burst=_positive_int(raw, "login_client_burst", defaults.login_client_burst),
        login_client_per_minute=_positive_int(
            raw, "login_client_per_minute", defaults.login_client_per_minute
        ),
        login_backoff_after=_positive_int(raw, "login_backoff_after", defaults.login_backoff_after),
        login_backoff_base=_seconds(raw, "login_backoff_base_seconds", defaults.login_backoff_base),
        login_backoff_max=_seconds(raw, "login_backoff_max_seconds", defaults.login_backoff_max),
        login_max_concurrent=_positive_int(
            raw, "login_max_concurrent", defaults.login_max_concurrent
        ),
        login_workers=_positive_int(raw, "login_workers", defaults.login_workers),
        max_conversations_per_connection=_positive_int(
            raw, "max_conversations_per_connection", defaults.max_conversations_per_connection
        ),
        max_conversations_per_address_per_minute=_positive_int(
            raw,
            "max_conversations_per_address_per_minute",
            defaults.max_conversations_per_address_per_minute,
        ),
        bot_busy_notice=_seconds(raw, "bot_busy_notice_seconds", defaults.bot_busy_notice),
        max_waiting_turns=_positive_int(raw, "max_waiting_turns", defaults.max_waiting_turns),
        default_capacity=_positive_int(raw, "default_capacity", defaults.default_capacity),
        dispositions=tuple(dispositions),
        max_message_chars=_positive_int(raw, "max_message_chars", defaults.max_message_chars),
        max_note_chars=_positive_int(raw, "max_note_chars", defaults.max_note_chars),
        max_id_chars=_positive_int(raw, "max_id_chars", defaults.max_id_chars),
        wait_window=_seconds(raw, "wait_window_seconds", defaults.wait_window),
        wait_min_samples=_positive_int(raw, "wait_min_samples", defaults.wait_min_samples),
        retention=retention_from_mapping(raw.get("retention")),  # issue 17
        language_fallback=_flag(raw, "language_fallback_to_anyone", defaults.language_fallback),
    )


def _flag(raw: dict[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false")
    return value
