"""The port to Rasa's tracker store that retention and erasure need.

:class:`hub.persistence.trackers.SqlTrackerEvents` implements it over Rasa's ``SQLTrackerStore``
table; tests may pass any object with these methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class TrackerEvents(Protocol):
    """Read and delete the bot's stored conversation events by sender (= hub session id)."""

    def events(self, sender_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The events of these conversations, oldest first."""

    def delete_senders(self, sender_ids: Sequence[str]) -> int:
        """Delete every event of these conversations; returns how many went."""

    def idle_senders(
        self, before_timestamp: float, limit: int, after: str | None = None
    ) -> list[str]:
        """Conversations whose newest event is older than ``before_timestamp`` (epoch).

        In sender order, after the cursor ``after``.
        """

    def count_idle(self, before_timestamp: float) -> int:
        """How many conversations :meth:`idle_senders` would find."""
