"""A customer client that follows the web widget's own algorithm (web/src/widget/).

- On connect: ``session_request`` with the stored session id and ``last_seen_id`` = the highest
  server id accepted so far (pushed, replayed or acknowledged: ``MessageLog.lastSeenId``), which
  replays what it missed; then the unacknowledged messages are sent again with their client ids
  (``flushOutbox``).
- A message is accepted once per server id (``MessageLog.acceptServer``); an ack marks the
  client id as sent and notes its id.

Every raw delivery is recorded too (``deliveries``: each message event with an id, in arrival
order, across connections), so tests can check "exactly once, in order" on the wire and not only
after the widget's de-duplication.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio

ACK_TIMEOUT = 5.0


@dataclass
class Sent:
    """One message the customer typed."""

    text: str
    client_msg_id: str
    server_id: int | None = None
    duplicate_acks: int = 0


@dataclass
class WidgetModel:
    """The widget's session, message log and outbox (they survive reconnects)."""

    url: str
    session_id: str | None = None
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    max_id: int | None = None
    outbox: list[Sent] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    deliveries: list[tuple[str, int]] = field(default_factory=list)
    sio: socketio.AsyncClient | None = None
    http: aiohttp.ClientSession | None = None
    confirmed: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    # ---- the message log ------------------------------------------------------------------

    def _note(self, message_id: int) -> None:
        if self.max_id is None or message_id > self.max_id:
            self.max_id = message_id

    def _accept(self, event: str, data: Any) -> None:
        meta = data.get("metadata") if isinstance(data, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("id"), int):
            return
        message_id = int(meta["id"])
        self.deliveries.append((event, message_id))
        if message_id not in self.seen:
            self.seen[message_id] = data
        self._note(message_id)
        self.changed.set()

    def messages(self, sender: str | None = None) -> list[dict[str, Any]]:
        """Accepted messages in id order (optionally of one sender type)."""
        ordered = [self.seen[i] for i in sorted(self.seen)]
        if sender is None:
            return ordered
        return [m for m in ordered if (m["metadata"].get("sender") or {}).get("type") == sender]

    # ---- the connection -------------------------------------------------------------------

    async def connect(self, before_resume: Callable[[], Awaitable[None]] | None = None) -> None:
        """Connect, bind the session and replay after ``max_id``, then resend the outbox.

        ``before_resume`` runs once connected, before ``session_request`` (a test's hook).
        """
        await self.drop()  # a connection the hub's death left half-open
        self.http = aiohttp.ClientSession()  # ours, so it is closed even when the hub vanished
        sio = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.sio = sio
        self.confirmed = asyncio.Event()
        sio.on("session_confirm", self._on_confirm)
        sio.on("bot_uttered", lambda data: self._accept("bot_uttered", data))
        sio.on("user_uttered", lambda data: self._accept("user_uttered", data))
        await sio.connect(self.url, transports=["websocket"], wait_timeout=ACK_TIMEOUT)
        if before_resume is not None:
            await before_resume()
        ack = await sio.call(
            "session_request",
            {"session_id": self.session_id, "last_seen_id": self.max_id},
            timeout=ACK_TIMEOUT,
        )
        if not isinstance(ack, dict) or "error" in ack:
            raise ConnectionError(f"session_request refused: {ack}")
        await asyncio.wait_for(self.confirmed.wait(), ACK_TIMEOUT)
        for item in list(self.outbox):
            await self._send(item)

    async def _on_confirm(self, data: Any) -> None:
        # Rasa's shape: the bare session id, before anything is replayed.
        if isinstance(data, str):
            if data != self.session_id:
                self.seen.clear()
                self.max_id = None
            self.session_id = data
        self.confirmed.set()

    async def drop(self) -> None:
        """The connection goes (the page's network drops)."""
        if self.sio is not None and self.sio.connected:
            await self.sio.disconnect()
        if self.http is not None:
            await self.http.close()
            self.http = None

    @property
    def connected(self) -> bool:
        return self.sio is not None and self.sio.connected

    # ---- sending --------------------------------------------------------------------------

    async def type(self, text: str) -> Sent:
        """The customer sends a message: shown at once, in the outbox until acknowledged."""
        item = Sent(text, uuid.uuid4().hex)
        self.sent.append(item)
        self.outbox.append(item)
        if self.connected:
            await self._send(item)
        return item

    async def _send(self, item: Sent) -> None:
        assert self.sio is not None
        ack = await self.sio.call(
            "user_uttered",
            {
                "message": item.text,
                "session_id": self.session_id,
                "client_msg_id": item.client_msg_id,
                "metadata": {},
            },
            timeout=ACK_TIMEOUT,
        )
        if not isinstance(ack, dict) or not isinstance(ack.get("id"), int):
            raise ConnectionError(f"message refused: {ack}")
        if ack.get("duplicate"):
            item.duplicate_acks += 1
        item.server_id = int(ack["id"])
        self._note(item.server_id)
        if item in self.outbox:
            self.outbox.remove(item)
        self.changed.set()

    async def wait_until(self, predicate: Any, timeout: float) -> bool:
        """Wait until ``predicate(self)`` holds (True) or the time is up (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.2))
            except asyncio.TimeoutError:
                continue
        return True
