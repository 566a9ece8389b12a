"""A customer's rights: export everything the hub and the bot hold about them, or erase it.

Supervisor-only (checked here, whatever the caller). Each export and erasure writes an audit
entry: the export's before the data is returned, the erasure's in the same transaction as the
deletes. Erasure deletes the customer's conversations with everything under them (messages,
state history, handoffs, tickets, ratings) and their Rasa tracker events; it is refused while a
person is serving or about to serve one of them (close it first), so no live agent loses a
conversation under their hands. Audit entries naming the customer are kept: they are the record
that the erasure happened (GDPR Art. 17(3)(b), 30), and expire with the audit retention period.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from hub.domain.errors import InvalidState, ValidationFailed
from hub.domain.privacy import Actor, ErasureReport
from hub.persistence.customer_data import CustomerDataRepository
from hub.persistence.store import HubStore
from hub.services.audit import AuditTrail
from hub.services.clock import Clock, utc_now
from hub.services.tracker_port import TrackerEvents

EXPORT_FORMAT: Final = "payassist.customer-export/1"
BUSY_STATES: Final = ("queued", "agent")
MAX_REF_CHARS: Final = 64


def check_customer_ref(customer_ref: str) -> str:
    """Validate a customer reference typed by a supervisor."""
    ref = customer_ref.strip()
    if not ref or len(ref) > MAX_REF_CHARS or any(c.isspace() for c in ref):
        raise ValidationFailed("customer_ref", f"1-{MAX_REF_CHARS} characters without spaces")
    return ref


class CustomerRights:
    """Export and erasure of one customer's data.

    Args:
        store: The hub store.
        trackers: Rasa's tracker store; None when the bot keeps trackers in memory only.
        audit: The audit trail (also checks the supervisor role).
        clock: Aware UTC "now".
    """

    def __init__(
        self, store: HubStore, trackers: TrackerEvents | None, audit: AuditTrail, clock: Clock
    ) -> None:
        self._store = store
        self._trackers = trackers
        self._audit = audit
        self._clock = clock
        self._data = CustomerDataRepository()

    def export(self, actor: Actor, customer_ref: str) -> dict[str, Any]:
        """Everything held about the customer, as one JSON-ready document (Art. 15, 20).

        Raises:
            NotAllowed: The actor is not a supervisor.
            ValidationFailed: A malformed reference.
        """
        ref = check_customer_ref(customer_ref)
        self._audit.require_supervisor(actor)
        now = utc_now(self._clock)
        with self._store.read() as s:
            conversations = self._data.conversations(s, ref)
            exported = [self._data.export_conversation(s, c) for c in conversations]
            conv_ids = [str(c.id) for c in conversations]
            other_tickets = [
                self._data.export_ticket(t) for t in self._data.orphan_tickets(s, ref, conv_ids)
            ]
        sessions = [str(c["session_id"]) for c in exported]
        events = self._trackers.events(sessions) if self._trackers is not None else []
        document = {
            "format": EXPORT_FORMAT,
            "customer_ref": ref,
            "exported_at": now.isoformat(),
            "conversations": exported,
            "other_tickets": other_tickets,
            "bot_tracker_events": events,
        }
        self._audit.record(
            actor,
            "exported",
            customer_ref=ref,
            detail={"conversations": len(exported), "tracker_events": len(events)},
        )
        return document

    def erase(self, actor: Actor, customer_ref: str, now: datetime | None = None) -> ErasureReport:
        """Delete the customer's conversations and trackers; returns what went (Art. 17).

        Raises:
            NotAllowed: The actor is not a supervisor.
            InvalidState: A person is serving or about to serve one of the conversations.
            ValidationFailed: A malformed reference.
        """
        ref = check_customer_ref(customer_ref)
        self._audit.require_supervisor(actor)
        now = now or utc_now(self._clock)
        with self._store.read() as s:
            found = self._data.conversations(s, ref)
        self._refuse_busy(found)
        sessions = [str(c.session_id) for c in found]
        # The bot's copy first: if the hub's delete then fails, a retry finds the rest, and a
        # tracker left by a failure here still names a conversation the hub can erase again.
        tracker_events = (
            self._trackers.delete_senders(sessions) if self._trackers is not None else 0
        )
        with self._store.transaction() as s:
            conversations = self._data.conversations(s, ref, lock=True)
            self._refuse_busy(conversations)  # again, under the lock
            counts = self._data.delete_conversations(s, [str(c.id) for c in conversations])
            ids = [int(t.id) for t in self._data.orphan_tickets(s, ref, [])]
            counts["tickets"] += self._data.delete_tickets(s, ids)
            late = [str(c.session_id) for c in conversations if str(c.session_id) not in sessions]
            report = {
                "conversations": counts["conversations"],
                "messages": counts["messages"],
                "tickets": counts["tickets"],
                "ratings": counts["ratings"],
            }
            entry = self._audit.append(
                s,
                actor,
                "erased",
                customer_ref=ref,
                detail={**report, "tracker_events": tracker_events},
                now=now,
            )
        if late and self._trackers is not None:
            tracker_events += self._trackers.delete_senders(late)  # opened meanwhile
        return ErasureReport(
            customer_ref=ref,
            tracker_events=tracker_events,
            audit_entry_id=entry,
            **report,
        )

    @staticmethod
    def _refuse_busy(conversations: list[Any]) -> None:
        busy = [c for c in conversations if c.state in BUSY_STATES]
        if busy:
            raise InvalidState(str(busy[0].id), str(busy[0].state))
