"""Rows of the hub's tables turned into the domain's frozen views.

Services hand views, never ORM objects, to the layers above, so a view stays valid after its
transaction and nothing above the services can touch the database through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from hub.domain.language import DEFAULT_LANGUAGE, agent_languages, served_language
from hub.domain.views import (
    PRESENCES,
    AgentView,
    ConversationView,
    MessageView,
    TicketView,
    TranscriptLine,
)
from hub.persistence import models as m
from hub.persistence.store import HubStore


def message_view(row: Any) -> MessageView:
    """The view of a stored message (an ORM ``Message`` or a Core row of ``hub_messages``)."""
    return MessageView(
        id=int(row.id),
        conversation_id=str(row.conversation_id),
        sender_type=row.sender_type,
        sender_name=row.sender_name,
        text=row.text,
        payload=row.payload,
        client_msg_id=row.client_msg_id,
        created_at=row.created_at,
    )


def agent_view(row: m.Agent, active_conversations: int = 0) -> AgentView:
    """Freeze an agent row into a view (never exposes the password hash)."""
    return AgentView(
        agent_id=int(row.id),
        username=str(row.username),
        display_name=str(row.display_name),
        role="supervisor" if row.role == "supervisor" else "agent",
        queues=tuple(row.queues or ()),
        languages=agent_languages(row.languages) or (DEFAULT_LANGUAGE,),
        capacity=int(row.capacity),
        presence=row.presence if row.presence in PRESENCES else "offline",
        active=bool(row.active),
        active_conversations=active_conversations,
    )


def conversation_view(
    store: HubStore, s: Session | Connection, conv: m.Conversation, owner: m.Agent | None = None
) -> ConversationView:
    """The view of a conversation; ``owner`` saves the owner's look-up when already loaded.

    A console snapshot lists every conversation an agent owns, so passing the owner keeps one
    agent query per listed conversation out of every queue refresh.
    """
    owner_name = None
    if conv.owner_agent_id is not None:
        if owner is None or int(owner.id) != int(conv.owner_agent_id):
            owner = store.agents.agent(s, int(conv.owner_agent_id))  # type: ignore[arg-type]
        owner_name = str(owner.display_name)
    return ConversationView(
        conversation_id=str(conv.id),
        session_id=str(conv.session_id),
        state=str(conv.state),
        customer_ref=conv.customer_ref,
        queue=conv.queue,
        owner_agent_id=None if conv.owner_agent_id is None else int(conv.owner_agent_id),
        owner_name=owner_name,
        reason=conv.handoff_reason,
        signals=tuple(conv.handoff_signals or ()),
        summary=conv.handoff_summary,
        score=conv.handoff_score,
        order_number=conv.handoff_order_number,
        intent=conv.handoff_intent,
        queued_at=conv.queued_at,
        priority=int(conv.priority or 0),
        disposition=conv.disposition,
        created_at=conv.created_at,
        updated_at=conv.updated_at,
        closed_at=conv.closed_at,
        last_message_id=None if conv.last_message_id is None else int(conv.last_message_id),
        language=served_language(conv.language),
        page_language=conv.page_language,
    )


def transcript_snapshot(messages: Iterable[m.Message]) -> list[dict[str, Any]]:
    """JSON-ready copy of a conversation's messages for the ticket."""
    return [
        {
            "id": int(msg.id),
            "sender_type": msg.sender_type,
            "sender_name": msg.sender_name,
            "text": msg.text,
            "created_at": msg.created_at.isoformat(),
        }
        for msg in messages
    ]


def ticket_view(row: m.Ticket, *, with_transcript: bool = True) -> TicketView:
    """Freeze a ticket row into a view."""
    lines = tuple(
        TranscriptLine(
            id=int(item["id"]),
            sender_type=str(item["sender_type"]),
            sender_name=item.get("sender_name"),
            text=item.get("text"),
            created_at=datetime.fromisoformat(item["created_at"]),
        )
        for item in (row.transcript or [])
    )
    return TicketView(
        ticket_id=int(row.id),
        conversation_id=str(row.conversation_id),
        kind="callback" if row.kind == "callback" else "email",
        email=row.email,
        phone=row.phone,
        note=row.note,
        queue=str(row.queue),
        reason=row.reason,
        customer_ref=row.customer_ref,
        status=str(row.status),
        created_at=row.created_at,
        transcript=lines if with_transcript else (),
    )
