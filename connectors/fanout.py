"""Server-side signals that reach every hub process through the Socket.IO client manager.

Queue snapshots are per agent (their own conversations, their queues), so they cannot simply be
broadcast. Instead the process where a queue changed emits one small signal addressed to rooms
(``queue:<name>``); the client manager delivers it like any room emit, in this process and, with
``REDIS_URL`` set, through Redis in every other hub process. Each process then computes fresh
snapshots for the agent sockets it holds in those rooms. A logout works the same way: a signal to
the agent's room (``agent:<id>``) makes every process re-check the sessions of the sockets it
holds there and cut off those that ended. When an anonymous conversation is bound to a
verified customer, a signal to its room (``conv:<id>``, customer namespace) makes every process
cut off the other sockets that held the anonymous session. A stored message for customers is a
signal to its room too: each process sends it to its own sockets there in id order
(``connectors/customer_delivery.py``). A signal itself is never sent to a
client: these managers hand it to the handler registered for its event and namespace instead
(in this process the handler has run when the emit returns).

With Redis this relies on ``AsyncPubSubManager._handle_emit``, the method python-socketio calls
for every emit, local and remote (pinned version in ``uv.lock``; the two-process Redis test in
``tests/hub/test_redis_fanout.py`` fails if that changes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeGuard

import socketio

from hub.logging import log_event

logger = logging.getLogger(__name__)

# The event name marks a signal; it is consumed by the manager and never reaches a client.
SIGNAL_PREFIX: Final = "payassist:"
QUEUES_CHANGED: Final = "payassist:queues_changed"
SESSIONS_ENDED: Final = "payassist:sessions_ended"
CONVERSATION_BOUND: Final = "payassist:conversation_bound"
CONVERSATION_MESSAGE: Final = "payassist:conversation_message"

SignalHandler = Callable[[Any, Any], Awaitable[None]]
"""``handler(rooms, data)``: called in every process with the rooms the signal addressed."""


class _SignalRouting:
    """Keeps the per-namespace signal handlers and dispatches signals to them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signal_handlers: dict[tuple[str, str], SignalHandler] = {}

    def on_signal(self, event: str, namespace: str, handler: SignalHandler) -> None:
        """Route the signal ``event`` (e.g. :data:`QUEUES_CHANGED`) for ``namespace``."""
        if not event.startswith(SIGNAL_PREFIX):
            raise ValueError(f"signal names start with {SIGNAL_PREFIX!r}")
        self._signal_handlers[(event, namespace)] = handler

    async def _dispatch_signal(
        self, event: str, namespace: str | None, rooms: Any, data: Any
    ) -> None:
        handler = self._signal_handlers.get((event, namespace or "/"))
        if handler is None:
            log_event(
                logger,
                "fanout.no_handler",
                level=logging.WARNING,
                signal=event,
                namespace=namespace,
            )
            return
        await handler(rooms, data)


def _is_signal(event: object) -> TypeGuard[str]:
    return isinstance(event, str) and event.startswith(SIGNAL_PREFIX)


class HubManager(_SignalRouting, socketio.AsyncManager):  # type: ignore[misc]
    """Single-process client manager: signals go straight to the local handler."""

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Deliver signals locally; everything else as python-socketio does."""
        if _is_signal(event):
            await self._dispatch_signal(event, namespace, to or room, data)
            return None
        return await super().emit(
            event,
            data,
            namespace,
            room=room,
            skip_sid=skip_sid,
            callback=callback,
            to=to,
            **kwargs,
        )

    async def close(self) -> None:
        """Nothing to release (symmetry with :class:`HubRedisManager`)."""


class HubRedisManager(_SignalRouting, socketio.AsyncRedisManager):  # type: ignore[misc]
    """Redis client manager: signals are published like emits and handled in every process."""

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if _is_signal(event):
            await self._dispatch_signal(
                event, message.get("namespace"), message.get("room"), message.get("data")
            )
            return
        await super()._handle_emit(message)

    async def close(self) -> None:
        """Stop listening to Redis and close its connections (at hub shutdown)."""
        listener = getattr(self, "thread", None)
        if isinstance(listener, asyncio.Task):
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        await self.pubsub.aclose()
        await self.redis.aclose()


def make_manager(redis_url: str | None) -> HubManager | HubRedisManager:
    """The client manager for this hub: Redis-backed when ``REDIS_URL`` is set."""
    if redis_url:
        return HubRedisManager(redis_url)
    return HubManager()
