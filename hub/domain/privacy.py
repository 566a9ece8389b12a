"""Data-protection vocabulary: audit actions, who acts, and the reports of erasure and purge.

Pure data (no I/O). The services in ``hub/services/audit.py``, ``privacy.py`` and
``retention.py`` use these; the adapters turn them into JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

AuditAction = Literal[
    "context_opened",  # an agent or supervisor received a conversation's context packet
    "context_denied",  # ...asked for one they may not see (refused)
    "ticket_opened",  # read a ticket (contact details and transcript)
    "ticket_closed",
    "transferred",
    "handed_back",
    "closed",
    "exported",  # a customer's data exported (GDPR Art. 15)
    "erased",  # a customer's data erased (GDPR Art. 17)
    "audit_read",  # someone read the audit log
]
AUDIT_ACTIONS: Final[frozenset[str]] = frozenset(AuditAction.__args__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Actor:
    """Who acts: an agent account, and the non-secret reference of the session they act from.

    Attributes:
        agent_id: The account (``hub_agents.id``).
        session_ref: ``session:<hub_agent_sessions.id>`` for a console/API session, or
            ``cli:<operating-system user>`` for the operators' command. Never a token.
    """

    agent_id: int
    session_ref: str


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed (row counts per kind)."""

    customer_ref: str
    conversations: int
    messages: int
    tickets: int
    ratings: int
    tracker_events: int
    audit_entry_id: int


@dataclass(frozen=True)
class PurgeReport:
    """What one purge run deleted (or, dry, would delete), per kind."""

    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    batches: int = 0
