"""Real Socket.IO clients for hub tests (python-socketio's AsyncClient).

Each client records every event it receives, in order, so tests can wait for the next
matching event and also assert on everything that arrived (e.g. "exactly once").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import socketio

DEFAULT_TIMEOUT = 5.0


class RecordingClient:
    """An AsyncClient on one namespace that keeps a log of received events."""

    def __init__(self, url: str, namespace: str = "/") -> None:
        self.url = url
        self.namespace = namespace
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Condition()
        self.sio.on("*", self._record, namespace=namespace)

    async def _record(self, event: str, *args: Any) -> None:
        async with self._changed:
            self.events.append((event, args[0] if args else None))
            self._changed.notify_all()

    async def connect(
        self, auth: dict[str, Any] | None = None, transports: tuple[str, ...] = ("websocket",)
    ) -> None:
        await self.sio.connect(
            self.url,
            namespaces=[self.namespace],
            auth=auth,
            transports=list(transports),
            wait_timeout=DEFAULT_TIMEOUT,
        )

    async def disconnect(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()

    async def call(self, event: str, data: Any = None, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Emit with an ack and return the ack."""
        return await self.sio.call(event, data, namespace=self.namespace, timeout=timeout)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data, namespace=self.namespace)

    def of(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    async def wait_for(
        self,
        event: str,
        predicate: Callable[[Any], bool] = lambda _data: True,
        timeout: float = DEFAULT_TIMEOUT,
        after: int = 0,
    ) -> Any:
        """Return the first ``event`` (from index ``after``) whose data matches."""

        def find() -> Any:
            for name, data in self.events[after:]:
                if name == event and predicate(data):
                    return data
            return None

        async def wait() -> Any:
            async with self._changed:
                while (found := find()) is None:
                    await self._changed.wait()
                return found

        try:
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            seen = [name for name, _ in self.events]
            raise AssertionError(f"no {event!r} within {timeout}s; got {seen}") from None

    async def dropped(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until the server has disconnected this client."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.sio.connected:
            if loop.time() > deadline:
                raise AssertionError(f"still connected after {timeout}s")
            await asyncio.sleep(0.02)

    def mark(self) -> int:
        """Current position in the event log (for ``wait_for(after=...)``)."""
        return len(self.events)


def text_of(event: Any) -> str | None:
    return event.get("text") if isinstance(event, dict) else None


def sender_of(event: Any) -> str | None:
    """Who wrote a customer-side message event (``metadata.sender.type``, Rasa shapes)."""
    if not isinstance(event, dict):
        return None
    sender = (event.get("metadata") or {}).get("sender") or {}
    kind = sender.get("type")
    return kind if isinstance(kind, str) else None
