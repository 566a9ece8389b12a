"""Each customer socket gets its conversation's messages in id order, each once, none skipped.

Clients resume after the highest message id they saw, whether it came in a push, an ack or a
replay (the widget's rule, ``web/src/widget/messages.ts``). That is only safe if a socket never
receives id N before every lower id of the conversation it should have: a message committed
earlier (ids are allocated under the conversation's row lock, so id order is commit order) can
otherwise be pushed late, e.g. an agent reply stored on a worker thread, pushed after the
customer's next message (stored inline) was acknowledged with a higher id.

So every message event for a customer socket goes through :class:`CustomerDelivery`, under that
socket's lock, with a cursor (the highest id it has been sent in order):

- a push at or below the cursor is dropped (already sent); one whose ``previous_id`` (the
  conversation's message before it, read when it was stored) is above the cursor first sends
  the missing ones from the store, in order;
- before an ack carries id N, every lower id not yet sent is sent;
- ``resume`` replays after the client's ``last_seen_id`` and moves the cursor on;
- a socket that joins an existing conversation waits for its ``resume`` before it gets pushes
  (a push before the replay would let the client's cursor jump over what the replay brings);
  a client that never resumes (Rasa web chat) is served from the moment it joined once it
  sends anything or after :data:`RESUME_WAIT_SECONDS`.

The sends are local emits to the socket (never through Redis), so an ack, which the server
queues right after its handler returns, cannot overtake them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from connectors.payloads import customer_payload, replayed_customer_payload
from hub.domain.views import MessageView

# How long a socket that joined an existing conversation waits for its ``resume``.
RESUME_WAIT_SECONDS: Final = 2.0


@dataclass(frozen=True)
class Outgoing:
    """One message event for customer sockets (as a signal carries it between processes)."""

    conversation_id: str
    id: int
    previous_id: int | None
    event: str
    body: dict[str, Any]

    @classmethod
    def of(cls, message: MessageView) -> Outgoing:
        """The event of a stored message (``user_uttered`` for the customer's own)."""
        if message.sender_type == "customer":  # other tabs; Rasa clients ignore the event
            event, body = "user_uttered", replayed_customer_payload(message)
        else:
            event, body = "bot_uttered", customer_payload(message)
        return cls(message.conversation_id, message.id, message.previous_id, event, body)

    def as_signal(self) -> dict[str, Any]:
        """JSON-ready form for the fan-out signal."""
        return {
            "conversation_id": self.conversation_id,
            "id": self.id,
            "previous_id": self.previous_id,
            "event": self.event,
            "body": self.body,
        }

    @classmethod
    def from_signal(cls, data: Any) -> Outgoing | None:
        """Read a signal's data back (None when malformed)."""
        if not isinstance(data, dict):
            return None
        cid, mid, prev = data.get("conversation_id"), data.get("id"), data.get("previous_id")
        event, body = data.get("event"), data.get("body")
        if not (isinstance(cid, str) and isinstance(mid, int) and isinstance(body, dict)):
            return None
        if event not in ("user_uttered", "bot_uttered"):
            return None
        return cls(cid, mid, prev if isinstance(prev, int) else None, str(event), body)


Emit = Callable[[str, dict[str, Any], str], Awaitable[None]]
"""``emit(event, body, sid)``: send one event to one local socket."""
Replay = Callable[[str, int | None], Awaitable[Sequence[MessageView]]]
"""``replay(conversation_id, after_id)``: the stored messages after an id, in order."""


@dataclass
class _Socket:
    conversation_id: str
    baseline: int  # the conversation's last id when the socket joined (0: none)
    cursor: int | None  # highest id sent in order; None while waiting for ``resume``
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class CustomerDelivery:
    """Per-socket cursors of the customer sockets of this process; see the module docstring."""

    def __init__(
        self, emit: Emit, replay: Replay, *, resume_wait_seconds: float = RESUME_WAIT_SECONDS
    ) -> None:
        self._emit = emit
        self._replay = replay
        self._resume_wait = resume_wait_seconds
        self._sockets: dict[str, _Socket] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def bind(self, sid: str, conversation_id: str, baseline: int | None, *, joined: bool) -> None:
        """The socket is now bound to a conversation.

        Args:
            sid: The socket.
            conversation_id: Its conversation.
            baseline: The conversation's last message id read before the socket joined its
                room (None: no message yet).
            joined: True when the conversation existed before (the client may resume it):
                pushes wait for ``resume``; False for a new conversation (served at once).
        """
        self.forget(sid)
        state = _Socket(conversation_id, baseline or 0, None if joined else baseline or 0)
        self._sockets[sid] = state
        if joined:
            loop = asyncio.get_running_loop()
            self._timers[sid] = loop.call_later(self._resume_wait, self._settle_later, sid, state)

    def forget(self, sid: str) -> None:
        """The socket left (disconnected, cut off, or bound to another conversation)."""
        self._sockets.pop(sid, None)
        timer = self._timers.pop(sid, None)
        if timer is not None:
            timer.cancel()

    async def push(self, sid: str, message: Outgoing) -> None:
        """Send a newly stored message to one socket, after any it has not had yet."""
        state = self._sockets.get(sid)
        if state is None or state.conversation_id != message.conversation_id:
            return
        async with state.lock:
            if state.cursor is None or message.id <= state.cursor:
                return  # waiting for resume (which replays it), or sent already
            if message.previous_id is not None and message.previous_id <= state.cursor:
                await self._emit(message.event, message.body, sid)
                state.cursor = message.id
                return
            await self._send_after(sid, state, state.cursor, None)

    async def acknowledge(self, sid: str, message: MessageView) -> None:
        """Before the ack of ``message`` goes out: send every lower id the socket lacks."""
        state = self._sockets.get(sid)
        if state is None:
            return
        async with state.lock:
            self._cancel_timer(sid)
            if state.cursor is None:
                state.cursor = state.baseline  # a client that sends without resuming
            if message.id <= state.cursor:
                return
            previous = message.previous_id
            if previous is None or previous > state.cursor:
                await self._send_after(sid, state, state.cursor, message.id)
            state.cursor = message.id

    async def resume(self, sid: str, last_seen_id: int | None) -> int:
        """Replay what the client has not seen, in order; returns how many were sent.

        A socket already served since it joined skips what it was sent (when the client has
        seen everything up to where that began, which is always so for the widget); the
        cursor then covers everything the client has.
        """
        state = self._sockets.get(sid)
        if state is None:
            return 0
        async with state.lock:
            self._cancel_timer(sid)
            after = last_seen_id
            if state.cursor is not None and (last_seen_id or 0) >= state.baseline:
                after = max(last_seen_id or 0, state.cursor)
            sent = await self._send_after(sid, state, after, None)
            state.cursor = max(state.cursor or 0, state.baseline, last_seen_id or 0)
            return sent

    async def settle(self, sid: str) -> None:
        """Serve a socket that did not resume from where it joined (Rasa web chat)."""
        state = self._sockets.get(sid)
        if state is None:
            return
        async with state.lock:
            self._cancel_timer(sid)
            if state.cursor is None:
                state.cursor = state.baseline
                await self._send_after(sid, state, state.baseline, None)

    async def _send_after(
        self, sid: str, state: _Socket, after: int | None, before: int | None
    ) -> int:
        """Send the stored messages after ``after`` (below ``before``); moves the cursor."""
        missed = await self._replay(state.conversation_id, after)
        sent = 0
        for message in missed:
            if before is not None and message.id >= before:
                break
            outgoing = Outgoing.of(message)
            await self._emit(outgoing.event, outgoing.body, sid)
            state.cursor = max(state.cursor or 0, message.id)
            sent += 1
        return sent

    def _cancel_timer(self, sid: str) -> None:
        timer = self._timers.pop(sid, None)
        if timer is not None:
            timer.cancel()

    def _settle_later(self, sid: str, state: _Socket) -> None:
        self._timers.pop(sid, None)
        if self._sockets.get(sid) is not state:
            return
        task = asyncio.ensure_future(self.settle(sid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
