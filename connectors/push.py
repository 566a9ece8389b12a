"""Pushes from the services to clients: the customer and agent channels over Socket.IO.

Each emits to a room through the server's client manager, so with Redis a push reaches the
clients connected to any hub process.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import socketio

from connectors.customer_delivery import Outgoing
from connectors.fanout import CONVERSATION_MESSAGE, QUEUES_CHANGED, SESSIONS_ENDED
from connectors.json import to_json
from connectors.payloads import error_event, message_payload
from hub.domain.views import MessageView

CUSTOMER_NAMESPACE = "/"
AGENT_NAMESPACE = "/agent"


def conversation_room(conversation_id: str) -> str:
    """The room of one conversation (its customer's sockets in ``/``, its agents' in ``/agent``)."""
    return f"conv:{conversation_id}"


def agent_room(agent_id: int) -> str:
    """The room of all connections of one agent (every tab, on every hub process)."""
    return f"agent:{agent_id}"


def queue_room(queue: str) -> str:
    """The room of the agents (and supervisors) who see one queue."""
    return f"queue:{queue}"


class CustomerPush:
    """The :class:`hub.services.ports.CustomerChannel` over the customer namespace."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio

    async def push_message(self, conversation_id: str, message: MessageView) -> None:
        """A stored message, as ``bot_uttered``, to each socket in id order.

        A signal to the conversation's room: every hub process hands it to its customer
        sockets there through their cursors (``CustomerNamespace.handle_message_signal``).
        """
        await self._sio.emit(
            CONVERSATION_MESSAGE,
            Outgoing.of(message).as_signal(),
            room=conversation_room(conversation_id),
            namespace=CUSTOMER_NAMESPACE,
        )

    async def push_status(self, conversation_id: str, body: dict[str, Any]) -> None:
        """A ``handoff_status``."""
        await self._emit("handoff_status", to_json(body), conversation_id)

    async def push_error(self, conversation_id: str, code: str) -> None:
        """An ``error`` for every client of the conversation."""
        await self._emit("error", error_event(code), conversation_id)

    async def _emit(self, event: str, body: Any, conversation_id: str) -> None:
        await self._sio.emit(
            event, body, room=conversation_room(conversation_id), namespace=CUSTOMER_NAMESPACE
        )


class AgentPush:
    """The :class:`hub.services.ports.AgentChannel` over the agent namespace.

    Args:
        all_queues: The configured queues ("every queue changed" signals all of them).
    """

    def __init__(self, sio: socketio.AsyncServer, all_queues: Iterable[str]) -> None:
        self._sio = sio
        self._all_queues = tuple(all_queues)

    async def relay_message(self, conversation_id: str, message: MessageView) -> None:
        """Show a new message to the agents working this conversation."""
        await self._sio.emit(
            "message",
            {"conversation_id": conversation_id, **message_payload(message)},
            room=conversation_room(conversation_id),
            namespace=AGENT_NAMESPACE,
        )

    async def customer_typing(self, conversation_id: str) -> None:
        """The customer is typing (not stored)."""
        await self._sio.emit(
            "customer_typing",
            {"conversation_id": conversation_id},
            room=conversation_room(conversation_id),
            namespace=AGENT_NAMESPACE,
        )

    async def queues_changed(self, queues: Iterable[str] | None = None) -> None:
        """Tell every hub process that these queues changed (all queues when None).

        One small signal to the ``queue:<name>`` rooms goes through the client manager (Redis
        when configured); each process then refreshes the snapshots of its own agents'
        sockets in those rooms (``AgentSockets.handle_queues_signal``).
        """
        names = sorted(set(queues) if queues is not None else set(self._all_queues))
        if not names:
            return
        await self._sio.emit(
            QUEUES_CHANGED,
            {"queues": names},
            room=[queue_room(q) for q in names],
            namespace=AGENT_NAMESPACE,
        )

    async def sessions_ended(self, agent_id: int) -> None:
        """A session of this agent ended: every hub process re-checks that agent's sockets.

        The sockets whose session is no longer live leave every room and are disconnected
        (``AgentSockets.handle_sessions_signal``); in this process before this returns.
        """
        await self._sio.emit(
            SESSIONS_ENDED,
            {"agent_id": agent_id},
            room=agent_room(agent_id),
            namespace=AGENT_NAMESPACE,
        )
