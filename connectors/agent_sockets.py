"""The agent sockets one hub process holds: who they are, their rooms, their pushes, their end.

:class:`AgentSockets` is the base of the agent namespace (``connectors/agent.py``, which adds
the events). It keeps which agent each local socket belongs to and with which session token,
keeps the sockets' conversation rooms in line with what the agent owns, answers the fan-out
signals (``connectors/fanout.py``) and cuts off sockets whose session ended:

- an event from such a socket gets ``error {code: unauthorized}`` and the socket is dropped
  right after the answer (:meth:`AgentSockets.revoke`);
- a logout signals every hub process (the agent's room), and each one re-checks the sockets it
  holds there (:meth:`AgentSockets.handle_sessions_signal`);
- a periodic sweep re-checks every socket, for sessions that expired or were revoked by the
  operators' command (:meth:`AgentSockets.check_sessions`).

A cut-off socket leaves every room at once (no conversation message or queue push reaches it
any more), is told ``error {code: unauthorized}`` and is disconnected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any, Final

from connectors.json import to_json
from connectors.payloads import error_event
from connectors.push import conversation_room
from connectors.socket_base import GuardedNamespace
from hub.domain.views import QueueSnapshot
from hub.logging import log_event
from hub.services.blocking import BlockingCalls
from hub.services.wiring import HubServices

logger = logging.getLogger(__name__)

# After a refused event the disconnect waits this long, so the client still gets the ack.
REVOKE_DELAY_SECONDS: Final = 0.2


class AgentSockets(GuardedNamespace):
    """Bookkeeping, rooms, pushes and session ends of this process's agent sockets."""

    log_prefix = "agent"

    def __init__(self, services: HubServices, calls: BlockingCalls, namespace: str) -> None:
        super().__init__(namespace)
        self.services = services
        self.calls = calls
        # Agents connected to this process: agent id -> socket ids (several tabs), and back,
        # with the session token each socket connected with.
        self._connected: dict[int, set[str]] = {}
        self._agent_of: dict[str, int] = {}
        self._token_of: dict[str, str] = {}
        # Snapshot refreshes in flight, and agents changed again while theirs was computed.
        self._refreshing: set[int] = set()
        self._dirty: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- bookkeeping ----------------------------------------------------------------------

    def _register(self, sid: str, agent_id: int, token: str) -> None:
        self._connected.setdefault(agent_id, set()).add(sid)
        self._agent_of[sid] = agent_id
        self._token_of[sid] = token

    def _forget(self, sid: str) -> int | None:
        """Drop a socket from the bookkeeping; returns its agent id (None if already gone)."""
        agent_id = self._agent_of.pop(sid, None)
        self._token_of.pop(sid, None)
        if agent_id is not None:
            self._connected.get(agent_id, set()).discard(sid)
        return agent_id

    async def revoke(self, sid: str, *, at_once: bool = False) -> None:
        """Cut off a socket whose session ended: no more pushes now, then disconnect it.

        Args:
            sid: The socket.
            at_once: Disconnect now, after an ``error {code: unauthorized}`` event (logout,
                expiry). Otherwise (a refused event) the disconnect waits a moment so the
                client still receives the event's error ack.
        """
        for room in self.rooms(sid):
            if room != sid:
                await self.leave_room(sid, room)
        agent_id = self._forget(sid)
        log_event(logger, "agent.session_cut", agent_id=agent_id, at_once=at_once)
        if at_once:
            await self.emit("error", error_event("unauthorized"), to=sid, ignore_queue=True)
            await self.disconnect(sid)
            return
        loop = asyncio.get_running_loop()
        loop.call_later(REVOKE_DELAY_SECONDS, self._spawn_disconnect, sid)

    def _spawn_disconnect(self, sid: str) -> None:
        self._spawn(self.disconnect(sid))

    async def _recheck(self, sids: Iterable[str]) -> None:
        """Cut off the sockets among ``sids`` whose session is no longer live."""
        held = {sid: self._token_of[sid] for sid in sids if sid in self._token_of}
        if not held:
            return
        live = await self.calls.call(self.services.agents.live_sessions, held.values())
        for sid, token in held.items():
            if sid in self._agent_of and live.get(token) != self._agent_of[sid]:
                await self.revoke(sid, at_once=True)

    async def handle_sessions_signal(self, rooms: Any, data: Any) -> None:
        """A session ended somewhere (logout): re-check this process's sockets in ``rooms``."""
        targets = [rooms] if isinstance(rooms, str) else list(rooms or ())
        manager = self.server.manager
        await self._recheck(
            sid for sid, _eio_sid in manager.get_participants(self.namespace, targets)
        )

    async def check_sessions(self) -> None:
        """Cut off every socket whose session expired or was revoked (periodic task)."""
        await self._recheck(list(self._agent_of))

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
            if self._agent_of.get(sid) != agent_id:
                continue  # cut off meanwhile
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

    async def handle_queues_signal(self, rooms: Any, data: Any) -> None:
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
