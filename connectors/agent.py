"""Agent Socket.IO namespace ("/agent").

Only agents with a valid session token (from ``POST /api/agent/login``) can connect; the token
is checked again on every event so logout and expiry take effect at once. Rooms:
``agent:<id>`` (all tabs of one agent), ``conv:<id>`` (agents working a conversation),
``queue:<name>`` (agents who see that queue; supervisors are in all) and ``supervisors``.

Every queue change reaches every hub process as one small signal (``connectors/fanout.py``);
each process then pushes a fresh snapshot (and an offer, if any) to the agent sockets it
holds. What an action means for the conversation is :class:`hub.services.agent_desk.AgentDesk`;
this module keeps the sockets and their rooms. See docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any, Final

from connectors.json import to_json
from connectors.push import conversation_room, queue_room
from connectors.socket_base import GuardedNamespace
from connectors.validation import EventParser
from hub.domain.errors import SessionEnded
from hub.domain.views import AgentView, QueueSnapshot
from hub.logging import log_event
from hub.services.agent_desk import AgentDesk
from hub.services.blocking import BlockingCalls
from hub.services.ports import AgentChannel
from hub.services.wiring import HubServices

logger = logging.getLogger(__name__)

SUPERVISORS_ROOM: Final = "supervisors"
REVOKE_DELAY_SECONDS: Final = 0.2


def agent_room(agent_id: int) -> str:
    """Room of all connections of one agent."""
    return f"agent:{agent_id}"


class AgentNamespace(GuardedNamespace):
    """Socket.IO handlers for agents and supervisors.

    Per-connection session: ``agent_id``, ``display_name``, ``role`` and the ``token``.
    """

    log_prefix = "agent"

    def __init__(
        self,
        services: HubServices,
        desk: AgentDesk,
        push: AgentChannel,
        calls: BlockingCalls,
        parser: EventParser,
        *,
        namespace: str = "/agent",
    ) -> None:
        super().__init__(namespace)
        self.services = services
        self.desk = desk
        self.push = push
        self.calls = calls
        self.parser = parser
        # Agents connected to this process: agent id -> socket ids (several tabs), and back.
        self._connected: dict[int, set[str]] = {}
        self._agent_of: dict[str, int] = {}
        # Snapshot refreshes in flight, and agents changed again while theirs was computed.
        self._refreshing: set[int] = set()
        self._dirty: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- connection -----------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        """Refuse the connection unless ``auth.token`` is a live agent session.

        Accepted agents are set online; the console then asks for its ``queue`` snapshot.
        """
        token = auth.get("token") if isinstance(auth, dict) else None
        agent = (
            await self.calls.call(self.services.agents.authenticate, token)
            if isinstance(token, str)
            else None
        )
        if agent is None:
            log_event(logger, "agent.connect_refused")
            return False
        await self.save_session(
            sid,
            {
                "agent_id": agent.agent_id,
                "token": token,
                "display_name": agent.display_name,
                "role": agent.role,
            },
        )
        self._connected.setdefault(agent.agent_id, set()).add(sid)
        self._agent_of[sid] = agent.agent_id
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
        self._agent_of.pop(sid, None)
        if agent_id is None:
            return
        sids = self._connected.get(agent_id, set())
        sids.discard(sid)
        if sids:
            return
        self._connected.pop(agent_id, None)
        await self.calls.call(self.services.presence.agent_disconnected, agent_id)
        log_event(logger, "agent.disconnected", agent_id=agent_id, reason=str(reason))
        await self.push.queues_changed()

    async def _agent(self, sid: str) -> AgentView:
        """The agent of this socket, checked against the session store on every event."""
        session = await self.get_session(sid)
        agent = await self.calls.call(self.services.agents.authenticate, session.get("token"))
        if agent is None or agent.agent_id != session.get("agent_id"):
            await self._revoke(sid, session.get("agent_id"))
            raise SessionEnded()
        return agent

    async def _revoke(self, sid: str, agent_id: int | None) -> None:
        """Cut a connection whose session ended: no more pushes now, disconnect shortly.

        The disconnect waits a moment so the client still receives the ``error`` ack.
        """
        for room in self.rooms(sid):
            if room != sid:
                await self.leave_room(sid, room)
        self._agent_of.pop(sid, None)
        if agent_id is not None:
            self._connected.get(agent_id, set()).discard(sid)
        loop = asyncio.get_running_loop()
        loop.call_later(REVOKE_DELAY_SECONDS, self._spawn_disconnect, sid)

    def _spawn_disconnect(self, sid: str) -> None:
        self._spawn(self.disconnect(sid))

    async def _join(self, agent_id: int, conversation_id: str) -> None:
        for sid in self._connected.get(agent_id, ()):
            await self.enter_room(sid, conversation_room(conversation_id))

    async def _leave(self, agent_id: int, conversation_id: str) -> None:
        for sid in self._connected.get(agent_id, ()):
            await self.leave_room(sid, conversation_room(conversation_id))

    # ---- queue pushes ---------------------------------------------------------------------

    async def push_snapshot(self, agent_id: int) -> dict[str, Any]:
        """Send one agent's sockets in this process their snapshot and the offer, if any.

        Also keeps those sockets' conversation rooms in line with what the agent owns, so a
        claim made from a tab on another hub process still brings this tab the messages.
        """
        sids = sorted(self._connected.get(agent_id, ()))
        snapshot = await self.calls.call(self.services.work.queue_snapshot, agent_id)
        await self._sync_rooms(agent_id, snapshot, sids)
        body = to_json(snapshot)
        offer = await self.calls.call(self.services.work.next_offer, agent_id)
        for sid in sids:
            # Straight to the local socket: the signal already reached every process.
            await self.emit("queue", body, to=sid, ignore_queue=True)
            if offer is not None:
                await self.emit("offer", to_json(offer), to=sid, ignore_queue=True)
        return dict(body)

    async def _sync_rooms(self, agent_id: int, snapshot: QueueSnapshot, sids: list[str]) -> None:
        owned = {conversation_room(c.conversation_id) for c in snapshot.mine}
        for sid in sids:
            if self._agent_of.get(sid) != agent_id:
                continue  # revoked meanwhile
            current = {r for r in self.rooms(sid) if r.startswith("conv:")}
            for room in owned - current:
                await self.enter_room(sid, room)
            for room in current - owned:
                await self.leave_room(sid, room)

    async def on_queues_signal(self, rooms: Any, data: Any) -> None:
        """A queue changed somewhere: refresh the snapshots of local agents in those rooms.

        Runs in the manager's delivery path, so it only schedules the work. Refreshes are
        coalesced per agent: while one runs, further signals mark the agent dirty and one
        more refresh follows, so the last snapshot sent is never older than the last change.
        """
        targets = [rooms] if isinstance(rooms, str) else list(rooms or ())
        manager = self.server.manager
        agent_ids = {
            self._agent_of[sid]
            for sid, _eio_sid in manager.get_participants(self.namespace, targets)
            if sid in self._agent_of
        }
        for agent_id in agent_ids:
            if agent_id in self._refreshing:
                self._dirty.add(agent_id)
                continue
            self._refreshing.add(agent_id)
            self._spawn(self._refresh(agent_id))

    async def _refresh(self, agent_id: int) -> None:
        try:
            while True:
                self._dirty.discard(agent_id)
                try:
                    await self.push_snapshot(agent_id)
                except Exception:
                    # One failed push must not stop later ones; the next change retries.
                    log_event(
                        logger,
                        "agent.snapshot_failed",
                        level=logging.ERROR,
                        agent_id=agent_id,
                        exc_info=True,
                    )
                if agent_id not in self._dirty:
                    return
        finally:
            self._refreshing.discard(agent_id)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def heartbeat(self) -> None:
        """Mark the agents connected to this process as alive (periodic task)."""
        agent_ids = [agent_id for agent_id, sids in self._connected.items() if sids]
        if agent_ids:
            await self.calls.call(self.services.presence.heartbeat, agent_ids)

    async def drain(self) -> None:
        """Wait for snapshot pushes in flight (on shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- events ---------------------------------------------------------------------------

    async def on_presence(self, sid: str, data: Any) -> dict[str, Any]:
        """Set online/away/offline; only online agents with capacity get offers."""
        status = self.parser.presence(data)
        agent = await self._agent(sid)
        view = await self.desk.set_presence(agent.agent_id, status)
        return {"presence": view.presence}

    async def on_queue(self, sid: str, data: Any) -> dict[str, Any]:
        """Return (and push) the agent's current queue snapshot."""
        agent = await self._agent(sid)
        return await self.push_snapshot(agent.agent_id)

    async def on_tickets(self, sid: str, data: Any) -> dict[str, Any]:
        """Open tickets in the agent's queues."""
        agent = await self._agent(sid)
        snapshot = await self.calls.call(self.services.work.queue_snapshot, agent.agent_id)
        return {"tickets": to_json(snapshot.tickets)}

    async def on_ticket(self, sid: str, data: Any) -> dict[str, Any]:
        """One ticket with its transcript (queues the agent serves)."""
        ticket_id = self.parser.ticket_ref(data, "ticket")
        agent = await self._agent(sid)
        return dict(to_json(await self.desk.ticket(agent.agent_id, ticket_id)))

    async def on_close_ticket(self, sid: str, data: Any) -> dict[str, Any]:
        """Mark a ticket handled."""
        ticket_id = self.parser.ticket_ref(data, "close_ticket")
        agent = await self._agent(sid)
        ticket = await self.desk.close_ticket(agent.agent_id, ticket_id)
        return {"ticket_id": ticket.ticket_id, "status": ticket.status}

    async def on_claim(self, sid: str, data: Any) -> dict[str, Any]:
        """Take a waiting conversation; the ack is the context packet."""
        conversation_id = self.parser.conversation_ref(data, "claim")
        agent = await self._agent(sid)
        packet = await self.desk.claim(
            agent, conversation_id, partial(self._join, agent.agent_id, conversation_id)
        )
        return dict(to_json(packet))

    async def on_context(self, sid: str, data: Any) -> dict[str, Any]:
        """The context packet of a conversation this agent owns (after a reload).

        Same shape as the ``claim`` ack; supervisors may read any conversation's packet.
        """
        conversation_id = self.parser.conversation_ref(data, "context")
        agent = await self._agent(sid)
        packet = await self.calls.call(self.services.work.context, agent.agent_id, conversation_id)
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
        try:
            # The session is checked inside the reply's own transaction (the busiest event).
            result = await self.desk.reply(
                agent_id, token, reply.conversation_id, reply.text, reply.client_msg_id
            )
        except SessionEnded:
            await self._revoke(sid, agent_id)
            raise
        return {"id": result.message.id, "duplicate": not result.created}

    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        """Tell the customer the agent is typing (not stored)."""
        conversation_id = self.parser.conversation_ref(data, "typing")
        agent = await self._agent(sid)
        await self.desk.typing(agent, conversation_id)
        return {"ok": True}

    async def on_transfer(self, sid: str, data: Any) -> dict[str, Any]:
        """Move the conversation to another queue; it waits there for a new claim."""
        conversation_id, queue = self.parser.transfer(data)
        agent = await self._agent(sid)
        conversation = await self.desk.transfer(
            agent, conversation_id, queue, partial(self._leave, agent.agent_id, conversation_id)
        )
        return {"state": conversation.state, "queue": conversation.queue}

    async def on_hand_back(self, sid: str, data: Any) -> dict[str, Any]:
        """Give the conversation back to the bot, which resumes with the context."""
        conversation_id = self.parser.conversation_ref(data, "hand_back")
        agent = await self._agent(sid)
        latest = await self.desk.hand_back(
            agent, conversation_id, partial(self._leave, agent.agent_id, conversation_id)
        )
        return {"state": latest.state}

    async def on_close(self, sid: str, data: Any) -> dict[str, Any]:
        """Close the conversation with a disposition; the customer may then rate it."""
        conversation_id, disposition = self.parser.close(data)
        agent = await self._agent(sid)
        conversation = await self.desk.close(
            agent,
            conversation_id,
            disposition,
            partial(self._leave, agent.agent_id, conversation_id),
        )
        return {"state": conversation.state}
