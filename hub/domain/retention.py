"""How long each kind of data is kept (the ``retention:`` section of ``hub.yml``).

Pure data and its validation. A period of ``None`` keeps that kind forever (a deliberate
operator choice, written ``null`` in the file); every other value is a positive number of days.
Storage limitation (GDPR Art. 5(1)(e), PCI DSS 3.1) is about deleting what is no longer needed,
so the defaults below are finite; operators set them to their own documented policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from hub.domain.errors import ConfigError

RETENTION_KINDS: Final = ("transcripts", "tickets", "ratings", "audit")


@dataclass(frozen=True)
class RetentionPolicy:
    """Retention per data kind and how the purge job runs.

    Attributes:
        transcripts: Conversations (messages, state history, handoff context) are kept this
            long after their last activity; closed or with the bot, never while a person holds
            or waits for them. Rasa's tracker events of the conversation go with them.
        tickets: Tickets (contact details and the transcript snapshot) after they were left.
        ratings: CSAT scores after they were given.
        audit: Audit-log entries after they were written.
        purge_interval: How often the running hub purges (the command can run any time).
        batch_size: Rows deleted per transaction; the hub yields between batches so a large
            backlog never holds the database or the event loop for long.
    """

    transcripts: timedelta | None = timedelta(days=365)
    tickets: timedelta | None = timedelta(days=730)
    ratings: timedelta | None = timedelta(days=730)
    audit: timedelta | None = timedelta(days=2190)
    purge_interval: timedelta = timedelta(hours=1)
    batch_size: int = 200

    def period(self, kind: str) -> timedelta | None:
        """The retention period of one kind (one of :data:`RETENTION_KINDS`)."""
        if kind not in RETENTION_KINDS:
            raise KeyError(kind)
        period: timedelta | None = getattr(self, kind)
        return period


def _days(raw: dict[str, Any], key: str, default: timedelta | None) -> timedelta | None:
    if key not in raw:
        return default
    value = raw[key]
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"retention.{key} must be a positive number of days or null")
    return timedelta(days=value)


def retention_from_mapping(raw: Any) -> RetentionPolicy:
    """Parse the ``retention:`` mapping of ``hub.yml`` (absent: the defaults).

    Raises:
        ConfigError: An unknown key or a malformed value.
    """
    defaults = RetentionPolicy()
    if raw is None:
        return defaults
    if not isinstance(raw, dict):
        raise ConfigError("retention must be a mapping")
    known = {f"{k}_days" for k in RETENTION_KINDS} | {"purge_interval_seconds", "batch_size"}
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise ConfigError(f"unknown retention key(s): {', '.join(unknown)}")
    interval = raw.get("purge_interval_seconds", defaults.purge_interval.total_seconds())
    if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
        raise ConfigError("retention.purge_interval_seconds must be a positive number")
    batch = raw.get("batch_size", defaults.batch_size)
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 10_000:
        raise ConfigError("retention.batch_size must be an integer from 1 to 10000")
    return RetentionPolicy(
        transcripts=_days(raw, "transcripts_days", defaults.transcripts),
        tickets=_days(raw, "tickets_days", defaults.tickets),
        ratings=_days(raw, "ratings_days", defaults.ratings),
        audit=_days(raw, "audit_days", defaults.audit),
        purge_interval=timedelta(seconds=interval),
        batch_size=batch,
    )
