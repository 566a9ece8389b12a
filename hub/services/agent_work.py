"""Agents' work on conversations: the queue they see, claims, transfers, hand-backs, closes.

A claim settles races in the database (exactly one of several claimers wins); an offer reserves
nothing. Transfer, hand-back and close are one release step each: the owner (or a supervisor)
ends the routing episode and moves the conversation on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from hub.domain.errors import CapacityReached, ClaimConflict, NotAllowed, ValidationFailed
from hub.domain.policy import HubConfig
from hub.domain.privacy import Actor
from hub.domain.routing import NORMAL_PRIORITY, REQUEUED_PRIORITY, serves, visible_queues
from hub.domain.views import ContextPacket, ConversationView, MessageView, QueueSnapshot
from hub.persistence import models as m
from hub.persistence.mapping import agent_view, conversation_view, message_view, ticket_view
from hub.persistence.store import HubStore
from hub.services.audit import AuditTrail
from hub.services.clock import Clock, utc_now
from hub.services.queues import QueueReader
from store.errors import StoreError
from store.repository import PaymentsRepository
from store.views import CustomerView, OrderView

log = logging.getLogger(__name__)


class AgentWork:
    """What agents and supervisors do with waiting and owned conversations.

    Args:
        payments: Read access to the verified customer's orders for the context packet; None
            when the hub runs without the payments store.
        audit: The audit trail; an ``actor`` given to an action has it recorded in the
            action's own transaction (issue 17, docs/data-protection.md).
    """

    def __init__(
        self,
        store: HubStore,
        payments: PaymentsRepository | None,
        config: HubConfig,
        clock: Clock,
        queues: QueueReader,
        audit: AuditTrail | None = None,
    ) -> None:
        self._audit = audit
        self._store = store
        self._payments = payments
        self._config = config
        self._clock = clock
        self._queues = queues

    def queue_snapshot(self, agent_id: int) -> QueueSnapshot:
        """What the console shows: waiting customers, own conversations, open tickets.

        Agents see their queues; supervisors see every queue. Both get per-queue numbers.
        """
        now = utc_now(self._clock)
        with self._store.read() as s:
            agent = self._store.agents.agent(s, agent_id)
            queues = visible_queues(str(agent.role), list(agent.queues or ()), self._config)
            return QueueSnapshot(
                agent_id=agent_id,
                role="supervisor" if agent.role == "supervisor" else "agent",
                queues=queues,
                waiting=tuple(self._queues.waiting_items(s, queues, now)),
                mine=tuple(
                    conversation_view(self._store, s, c, agent)
                    for c in self._store.conversations.owned(s, agent_id)
                ),
                tickets=tuple(
                    ticket_view(t, with_transcript=False)
                    for t in self._store.tickets.open_tickets(s, queues)
                ),
                stats=tuple(self._queues.queue_stats(s, queues, now)),
                presence=agent_view(agent).presence,
                dispositions=self._config.dispositions,
            )

    def next_offer(self, agent_id: int) -> ConversationView | None:
        """The conversation this agent should be offered next, if they can take one."""
        now = utc_now(self._clock)
        with self._store.read() as s:
            agent = self._store.agents.agent(s, agent_id)
            if not self._queues.is_reachable(agent, now):
                return None
            if self._store.conversations.owned_count(s, agent_id) >= int(agent.capacity):
                return None
            queues = visible_queues(str(agent.role), list(agent.queues or ()), self._config)
            offer = self._queues.offer_for(s, agent, queues, now)
            return conversation_view(self._store, s, offer) if offer is not None else None

    def claim(
        self, agent_id: int, conversation_id: str, actor: Actor | None = None
    ) -> ContextPacket:
        """Take a waiting conversation; exactly one of several concurrent claimers wins.

        Raises:
            NotAllowed: Agent disabled, not online, or not serving the conversation's queue.
            CapacityReached: The agent already holds ``capacity`` conversations.
            ClaimConflict: The conversation is not waiting any more (someone else was first).
        """
        now = utc_now(self._clock)
        with self._store.transaction() as s:
            agent = self._store.agents.agent(s, agent_id, lock=True)
            if not agent.active or agent.presence != "online":
                raise NotAllowed("only an online agent can take conversations")
            conv = self._store.conversations.conversation(s, conversation_id)
            if conv.state != "queued":
                raise ClaimConflict(conversation_id)
            if not serves(str(agent.role), agent.queues or (), str(conv.queue)):
                raise NotAllowed("the agent does not serve this queue")
            if agent.role != "supervisor" and not self._queues.language_allows(s, agent, conv, now):
                raise NotAllowed("the conversation waits for an agent who speaks its language")
            if self._store.conversations.owned_count(s, agent_id) >= int(agent.capacity):
                raise CapacityReached(agent_id, int(agent.capacity))
            agent.last_seen_at = now  # acting through a live socket
            self._store.conversations.transition(
                s,
                conv,
                "claim",
                now=now,
                reason="claimed",
                agent_id=agent_id,
                owner_agent_id=agent_id,
                priority=NORMAL_PRIORITY,
            )
            handoff = self._store.handoffs.handoff(s, conv.handoff_id)
            wait: float | None = None
            if handoff is not None:
                handoff.claimed_at = now
                handoff.claimed_by = agent_id
                wait = (now - handoff.requested_at).total_seconds()
            view = conversation_view(self._store, s, conv)
            transcript = self._transcript(s, conversation_id)
            if actor is not None and self._audit is not None:
                self._audit.append(
                    s,
                    actor,
                    "context_opened",
                    conversation_id=conversation_id,
                    detail={"via": "claim"},
                    now=now,
                )
        return self._packet(view, transcript, wait)

    def context(
        self, agent_id: int, conversation_id: str, actor: Actor | None = None
    ) -> ContextPacket:
        """The context packet again, for the owner (or any supervisor), e.g. after a reload.

        Raises:
            NotFound: Unknown conversation.
            NotAllowed: Not the owner (nor a supervisor).
        """
        with self._store.read() as s:
            agent = self._store.agents.agent(s, agent_id)
            conv = self._store.conversations.conversation(s, conversation_id)
            owner = conv.state == "agent" and conv.owner_agent_id == agent_id
            allowed = owner or agent.role == "supervisor"
            handoff = self._store.handoffs.handoff(s, conv.handoff_id)
            wait = None
            if handoff is not None and handoff.claimed_at is not None:
                wait = (handoff.claimed_at - handoff.requested_at).total_seconds()
            view = conversation_view(self._store, s, conv) if allowed else None
            transcript = self._transcript(s, conversation_id) if allowed else ()
        if actor is not None and self._audit is not None:
            # Written (refusals too) before anything is returned: no entry, no packet.
            action = "context_opened" if allowed else "context_denied"
            detail = {"via": "context"} if allowed else None
            self._audit.record(actor, action, conversation_id=conversation_id, detail=detail)
        if view is None:
            raise NotAllowed("only the owning agent may read this conversation")
        return self._packet(view, transcript, wait)

    def transfer(
        self, agent_id: int, conversation_id: str, queue: str, actor: Actor | None = None
    ) -> ConversationView:
        """Send a conversation to another queue; it keeps its place by original wait.

        Raises:
            ValidationFailed: Unknown queue.
            NotAllowed: Not the owner (or a supervisor).
            InvalidTransition: The conversation is not with an agent.
        """
        if queue not in self._config.queues:
            raise ValidationFailed("queue", "unknown queue")
        now = utc_now(self._clock)

        def reopen_in_queue(s: Session, conv: m.Conversation) -> dict[str, Any]:
            handoff = self._store.handoffs.open_handoff(
                s,
                conversation_id,
                kind="transfer",
                reason=str(conv.handoff_reason or "other"),
                queue=queue,
                outcome="queued",
                within_hours=self._queues.is_open(queue, now),
                now=now,
            )
            return {"queue": queue, "handoff_id": handoff.id}

        return self._release(
            agent_id,
            conversation_id,
            "transfer",
            f"transfer:{queue}",
            now,
            reopen_in_queue,
            audit=(actor, "transferred", {"queue": queue}),
        )

    def hand_back(
        self, agent_id: int, conversation_id: str, actor: Actor | None = None
    ) -> ConversationView:
        """Return the conversation to the bot (the bot turn service then resumes the bot)."""
        return self._release(
            agent_id,
            conversation_id,
            "hand_back",
            "agent_hand_back",
            utc_now(self._clock),
            audit=(actor, "handed_back", None),
        )

    def close(
        self,
        agent_id: int,
        conversation_id: str,
        disposition: str,
        actor: Actor | None = None,
    ) -> ConversationView:
        """Close with a configured disposition (owner; a supervisor may also close waiting ones).

        Raises:
            ValidationFailed: Disposition not in the configured list.
        """
        if disposition not in self._config.dispositions:
            raise ValidationFailed("disposition", "not a configured disposition")
        now = utc_now(self._clock)
        return self._release(
            agent_id,
            conversation_id,
            "close",
            disposition,
            now,
            lambda _s, _conv: {"disposition": disposition, "closed_at": now},
            audit=(actor, "closed", {"disposition": disposition}),
        )

    def _release(
        self,
        agent_id: int,
        conversation_id: str,
        event: str,
        reason: str,
        now: datetime,
        changes: Any = None,
        audit: tuple[Actor | None, str, dict[str, Any] | None] | None = None,
    ) -> ConversationView:
        """The owner (or a supervisor) ends the episode and applies ``event``.

        ``changes(s, conv)`` returns further columns to set in the same transition; ``audit``
        (actor, action, detail) is recorded in the same transaction when it names an actor.
        """
        with self._store.transaction() as s:
            agent = self._store.agents.agent(s, agent_id)
            conv = self._store.conversations.conversation(s, conversation_id, lock=True)
            if agent.role != "supervisor" and conv.owner_agent_id != agent_id:
                raise NotAllowed("only the owner or a supervisor may do this")
            self._store.handoffs.end_handoff(s, conv.handoff_id, now, event)
            values = changes(s, conv) if changes is not None else {}
            self._store.conversations.transition(
                s,
                conv,
                event,
                now=now,
                reason=reason,
                agent_id=agent_id,
                owner_agent_id=None,
                **values,
            )
            actor, action, detail = audit or (None, "", None)
            if actor is not None and self._audit is not None:
                self._audit.append(
                    s, actor, action, conversation_id=conversation_id, detail=detail, now=now
                )
            return conversation_view(self._store, s, conv)

    def requeue_expired(self, now: datetime | None = None) -> list[str]:
        """Requeue, at the front, the conversations of agents whose grace period is over.

        Requeued conversations keep their original ``queued_at`` and get priority, so they are
        offered before anyone who has not yet been served.

        Returns:
            Ids of requeued conversations.
        """
        now = utc_now(self._clock) if now is None else now.astimezone(timezone.utc)
        requeued: list[str] = []
        with self._store.transaction() as s:
            grace = self._config.grace_period
            stale = now - self._config.presence_timeout - grace
            for agent in self._store.agents.expired_disconnects(s, now - grace, stale):
                for conv in self._store.conversations.owned(s, int(agent.id)):
                    try:
                        with s.begin_nested():
                            self._requeue(s, conv, int(agent.id), now)
                    except ClaimConflict:
                        # Changed by another process (e.g. a supervisor closed it) meanwhile.
                        log.info(
                            "conversation changed during requeue; left as is",
                            extra={"conversation_id": str(conv.id)},
                        )
                        continue
                    requeued.append(str(conv.id))
                agent.disconnected_at = None
        if requeued:
            log.info("requeued conversations after grace period", extra={"count": len(requeued)})
        return requeued

    def _requeue(self, s: Session, conv: m.Conversation, agent_id: int, now: datetime) -> None:
        self._store.handoffs.end_handoff(s, conv.handoff_id, now, "requeue")
        handoff = self._store.handoffs.open_handoff(
            s,
            str(conv.id),
            kind="requeue",
            reason="agent_disconnected",
            queue=str(conv.queue),
            outcome="queued",
            within_hours=self._queues.is_open(str(conv.queue), now),
            now=now,
        )
        self._store.conversations.transition(
            s,
            conv,
            "requeue",
            now=now,
            reason="agent_disconnected",
            agent_id=agent_id,
            owner_agent_id=None,
            priority=REQUEUED_PRIORITY,
            handoff_id=handoff.id,
        )

    def _transcript(self, s: Session, conversation_id: str) -> tuple[MessageView, ...]:
        return tuple(
            message_view(r) for r in self._store.messages.messages_after(s, conversation_id, None)
        )

    def _packet(
        self, view: ConversationView, transcript: tuple[MessageView, ...], wait: float | None
    ) -> ContextPacket:
        customer, orders, error = self._customer_data(view)
        return ContextPacket(
            conversation=view,
            transcript=transcript,
            customer=customer,
            orders=orders,
            customer_data_error=error,
            wait_seconds=wait,
        )

    def _customer_data(
        self, view: ConversationView
    ) -> tuple[CustomerView | None, tuple[OrderView, ...], str | None]:
        """The verified customer's record and orders; nothing for anonymous conversations.

        Only the ``customer_ref`` verified when the session opened is used, never anything the
        customer typed, so an agent sees exactly what the bot could show that customer.
        """
        if view.customer_ref is None or self._payments is None:
            return None, (), None
        try:
            customer = self._payments.get_customer(view.customer_ref)
            if customer is None:
                return None, (), None
            orders = tuple(self._payments.list_orders(view.customer_ref))
        except StoreError:
            log.exception(
                "payments store unavailable for context packet",
                extra={"conversation_id": view.conversation_id},
            )
            return None, (), "customer data is unavailable right now"
        return customer, orders, None
