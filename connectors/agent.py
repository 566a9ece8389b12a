"""Agent Socket.IO namespace ("/agent").

Only agents with a valid session token (from ``POST /api/agent/login``) can connect; the token
is checked again on every event, and a logout or an expired session cuts the agent's open
sockets off at once (``connectors/agent_sockets.py``). Rooms:
``agent:<id>`` (all tabs of one agent), ``conv:<id>`` (agents working a conversation),
``queue:<name>`` (agents who see that queue; supervisors are in all) and ``supervisors``.

Every queue change reaches every hub process as one small signal (``connectors/fanout.py``);
each process then pushes a fresh snapshot (and an offer, if any) to the agent sockets it
holds (:class:`connectors.agent_sockets.AgentSockets`, the base of this namespace). What an
action means for the conversation is :class:`hub.services.agent_desk.AgentDesk`; this module
parses the events and keeps the sockets' rooms. See docs/protocol.md.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, Final

from connectors.agent_sockets import AgentSockets
from connectors.json import to_json
from connectors.payloads import message_payload
from connectors.push import agent_room, conversation_room, queue_room
from connectors.security import BrowserSecurity
from connectors.validation import EventParser
from hub.domain.errors import SessionEnded
from hub.domain.privacy import Actor
from hub.domain.views import AgentView
from hub.logging import log_event
from hub.services.agent_desk import AgentDesk
from hub.services.blocking import BlockingCalls
from hub.services.ports import AgentChannel
from hub.services.wiring import HubServices

logger = logging.getLogger(__name__)

SUPERVISORS_ROOM: Final = "supervisors"


class AgentNamespace(AgentSockets):
    """Socket.IO handlers for agents and supervisors.

    Per-connection session: ``agent_id``, ``display_name``, ``role`` and the ``token``.
    Handlers get the agent checked by :meth:`handle` (``reply`` checks it in its write).
    """

    client_events = frozenset(
        {
            "presence",
            "queue",
            "tickets",
            "ticket",
            "close_ticket",
            "claim",
            "context",
            "reply",
            "typing",
            "transfer",
            "hand_back",
            "close",
        }
    )

    def __init__(
        self,
        services: HubServices,
        desk: AgentDesk,
        push: AgentChannel,
        calls: BlockingCalls,
        parser: EventParser,
        *,
        browser: BrowserSecurity | None = None,
        namespace: str = "/agent",
    ) -> None:
        super().__init__(services, calls, namespace)
        self.browser = browser
        self.desk = desk
        self.push = push
        self.parser = parser

    # ---- connection -----------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        """Refuse the connection unless ``auth.token`` is a live agent session.

        The console sends no token: its session is the HttpOnly cookie, accepted only from a
        page of the hub's own origin. Accepted agents are set online; the console then asks
        for its ``queue`` snapshot.
        """
        token = auth.get("token") if isinstance(auth, dict) else None
        if token is None and self.browser is not None:
            token = self.browser.socket_session_token(environ)
        agent = (
            await self.calls.call(self.services.agents.authenticate, token)
            if isinstance(token, str)
            else None
        )
        if agent is None or not isinstance(token, str):
            log_event(logger, "agent.connect_refused")
            return False
        actor = await self.calls.call(self.services.audit.actor_for_token, agent.agent_id, token)
        await self.save_session(
            sid,
            {
                "agent_id": agent.agent_id,
                "token": token,
                "display_name": agent.display_name,
                "role": agent.role,
                "session_ref": actor.session_ref,  # non-secret, for the audit log
            },
        )
        self._register(sid, agent.agent_id, token)
        await self.enter_room(sid, agent_room(agent.agent_id))
        if agent.role == "supervisor":
            await self.enter_room(sid, SUPERVISORS_ROOM)
        # Connecting means "I'm here": it ends a pending grace period, and the agent gets
        # their conversations' messages again. "presence away" stops new offers.
        await self.calls.call(self.services.presence.set_presence, agent.agent_id, "online")
        snapshot = await self.calls.call(self.services.work.queue_snapshot, agent.agent_id)
        for queue in snapshot.queues:
            await self.enter_room(sid, queue_room(queue))
        await self._sync_rooms(agent.agent_id, snapshot, [sid])
        log_event(logger, "agent.connected", agent_id=agent.agent_id, role=agent.role)
        await self.push.queues_changed(snapshot.queues)
        return True

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        """When an agent's last connection goes, start their grace period."""
        session = await self.get_session(sid)
        agent_id = session.get("agent_id")
        self._forget(sid)
        if agent_id is None:
            return
        if self._connected.get(agent_id):
            return
        self._connected.pop(agent_id, None)
        await self.calls.call(self.services.presence.agent_disconnected, agent_id)
        log_event(logger, "agent.disconnected", agent_id=agent_id, reason=str(reason))
        await self.push.queues_changed()

    async def handle(self, event: str, sid: str, data: Any) -> Any:
        """The one session check of every agent event, then its handler.

        ``reply`` (the busiest event) has the session checked inside its own write
        transaction, with the same rules; every other event is checked here against the
        store before anything is parsed, and its handler gets the agent. An ended session
        answers ``unauthorized`` and cuts the socket off.
        """
        try:
            if sid not in self._agent_of:
                raise SessionEnded()  # cut off already, its disconnect is on its way
            if event == "reply":
                return await self.on_reply(sid, data)
            session = await self.get_session(sid)
            agent = await self.calls.call(self.services.agents.authenticate, session.get("token"))
            if agent is None or agent.agent_id != session.get("agent_id"):
                raise SessionEnded()
            return await getattr(self, f"on_{event}")(sid, agent, data)
        except SessionEnded:
            await self.revoke(sid)
            raise

    async def actor(self, sid: str, agent: AgentView) -> Actor:
        """Who acts, for the audit log: the agent and their session's non-secret reference."""
        session = await self.get_session(sid)
        return Actor(agent.agent_id, str(session.get("session_ref") or "session:unknown"))

    async def audit(
        self,
        sid: str,
        agent: AgentView,
        action: str,
        conversation_id: str | None,
        **detail: Any,
    ) -> None:
        """Append an audit entry (issue 17) before the data is acknowledged (tickets).

        Context packets, transfers, hand-backs and closes are audited by the services, in the
        action's own transaction (they get :meth:`actor`).
        """
        actor = await self.actor(sid, agent)
        await self.calls.call(
            self.services.audit.record,
            actor,
            action,
            conversation_id=conversation_id,
            detail=detail or None,
        )

    # ---- events ---------------------------------------------------------------------------

    async def on_presence(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """Set online/away/offline; only online agents with capacity get offers."""
        status = self.parser.presence(data)
        view = await self.desk.set_presence(agent.agent_id, status)
        return {"presence": view.presence}

    async def on_queue(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """Return (and push) the agent's current queue snapshot."""
        return await self.push_snapshot(agent.agent_id)

    async def on_tickets(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """Open tickets in the agent's queues."""
        snapshot = await self.calls.call(self.services.work.queue_snapshot, agent.agent_id)
        return {"tickets": to_json(snapshot.tickets)}

    async def on_ticket(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """One ticket with its transcript (queues the agent serves)."""
        ticket_id = self.parser.ticket_ref(data, "ticket")
        ticket = await self.desk.ticket(agent.agent_id, ticket_id)
        await self.audit(sid, agent, "ticket_opened", ticket.conversation_id, ticket_id=ticket_id)
        return dict(to_json(ticket))

    async def on_close_ticket(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """Mark a ticket handled."""
        ticket_id = self.parser.ticket_ref(data, "close_ticket")
        ticket = await self.desk.close_ticket(agent.agent_id, ticket_id)
        await self.audit(sid, agent, "ticket_closed", ticket.conversation_id, ticket_id=ticket_id)
        return {"ticket_id": ticket.ticket_id, "status": ticket.status}

    async def on_claim(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """Take a waiting conversation; the ack is the context packet."""
        conversation_id = self.parser.conversation_ref(data, "claim")
        packet = await self.desk.claim(
            agent,
            conversation_id,
            partial(self._join, agent.agent_id, conversation_id),
            await self.actor(sid, agent),
        )
        return dict(to_json(packet))

    async def on_context(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """The context packet of a conversation this agent owns (after a reload).

        Same shape as the ``claim`` ack; supervisors may read any conversation's packet.
        """
        conversation_id = self.parser.conversation_ref(data, "context")
        packet = await self.calls.call(
            self.services.work.context,
            agent.agent_id,
            conversation_id,
            await self.actor(sid, agent),
        )
        if packet.conversation.owner_agent_id == agent.agent_id:
            await self.enter_room(sid, conversation_room(conversation_id))
        return dict(to_json(packet))

    async def on_reply(self, sid: str, data: Any) -> dict[str, Any]:
        """Store the agent's message and send it to the customer."""
        reply = self.parser.agent_reply(data)
        session = await self.get_session(sid)
        agent_id, token = session.get("agent_id"), session.get("token")
        if not isinstance(agent_id, int) or not isinstance(token, str):
            raise SessionEnded()
        # The session is checked inside the reply's own transaction (see handle).
        result = await self.desk.reply(
            agent_id, token, reply.conversation_id, reply.text, reply.client_msg_id
        )
        # The stored message (text masked): the console shows this, never what was typed.
        return {
            "id": result.message.id,
            "duplicate": not result.created,
            "message": message_payload(result.message),
        }

    async def on_typing(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """Tell the customer the agent is typing (not stored)."""
        conversation_id = self.parser.conversation_ref(data, "typing")
        await self.desk.typing(agent, conversation_id)
        return {"ok": True}

    async def on_transfer(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """Move the conversation to another queue; it waits there for a new claim."""
        conversation_id, queue = self.parser.transfer(data)
        conversation = await self.desk.transfer(
            agent,
            conversation_id,
            queue,
            partial(self._leave, agent.agent_id, conversation_id),
            await self.actor(sid, agent),
        )
        return {"state": conversation.state, "queue": conversation.queue}

    async def on_hand_back(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """Give the conversation back to the bot, which resumes with the context."""
        conversation_id = self.parser.conversation_ref(data, "hand_back")
        latest = await self.desk.hand_back(
            agent,
            conversation_id,
            partial(self._leave, agent.agent_id, conversation_id),
            await self.actor(sid, agent),
        )
        return {"state": latest.state}

    async def on_close(self, sid: str, agent: AgentView, data: Any) -> dict[str, Any]:
        """Close the conversation with a disposition; the customer may then rate it."""
        conversation_id, disposition = self.parser.close(data)
        conversation = await self.desk.close(
            agent,
            conversation_id,
            disposition,
            partial(self._leave, agent.agent_id, conversation_id),
            await self.actor(sid, agent),
        )
        return {"state": conversation.state}
