"""Customer Socket.IO namespace ("/"), compatible with Rasa's socket.io channel.

Rasa web chat clients work unchanged (``session_request`` -> ``session_confirm``,
``user_uttered`` -> ``bot_uttered``); newer clients also get message ids, senders,
``handoff_status`` events and can resume, ask for a person, cancel, leave a contact and
rate. See docs/protocol.md.

The hub owns the conversation: every customer message is stored before it is
acknowledged, and only while the conversation is in state ``bot`` does it go to Rasa. Any
failure to get an answer from Rasa hands the customer to a person (fail-open).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import time
import weakref
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import socketio
from sqlalchemy.exc import OperationalError

from common.explicit_request import ExplicitRequestMatch
from connectors.rasa_client import RasaClient, RasaError, RasaUnavailable
from connectors.validation import (
    EventError,
    parse_leave_contact,
    parse_rate,
    parse_resume,
    parse_session_only,
    parse_session_request,
    parse_user_uttered,
)
from hub.errors import HubError, ValidationFailed
from hub.logging import log_event
from hub.service import HubService
from hub.views import HandoffOutcome, MessageView, SessionGrant

logger = logging.getLogger(__name__)

T = TypeVar("T")

HANDBACK_INTENT = "EXTERNAL_handback"

# Short texts for clients that only understand ``bot_uttered`` (Rasa web chat).
STATUS_TEXT: Mapping[str, str] = {
    "queued": "I'm connecting you with a person. You're number {position} in line.",
    "queued_unknown_wait": "I'm connecting you with a person. You're number {position} in line.",
    "requeued": "Your agent was disconnected, so you're first in line for the next person.",
    "transferred": "I'm transferring you to our {queue} team.",
    "no_agents": (
        "No one from our team is available right now. Leave your email or phone number "
        "and we'll get back to you."
    ),
    "agent_joined": "{name} has joined the conversation.",
    "agent_left": "{name} has left the conversation.",
    "bot_resumed": "You're back with the assistant. How can I help?",
    "ticket_created": "Thanks, we've got your details and will contact you.",
    "closed": "This conversation is closed. How did we do? Rate us from 1 to 5.",
}
# A customer's typing notice reaches the agent at most this often (the widget sends one per 2 s).
TYPING_RELAY_SECONDS = 1.0
BOT_RETRY_TEXT = "Sorry, I couldn't process that just now. Could you send it again?"
BOT_FAILURE_TEXT = "I'm having technical trouble, so I'm bringing in a person to help you."

ERROR_TEXT: Mapping[str, str] = {
    "no_session": "Send session_request first.",
    "unknown_session": "That session does not belong to this connection.",
    "invalid_state": "That is not possible in the conversation's current state.",
    "invalid_transition": "That is not possible in the conversation's current state.",
    "not_found": "Not found.",
    "not_allowed": "Not allowed.",
    "claim_conflict": "Someone else already took this conversation.",
    "capacity_reached": "You are at your conversation capacity.",
    "unknown_event": "Unknown event.",
    "identity_mismatch": (
        "This conversation belongs to a different customer; start a new session to continue."
    ),
    "unavailable": "The service is temporarily unavailable; try again.",
    "internal": "Something went wrong on our side.",
}


def jsonable(value: Any) -> Any:
    """Convert a view (frozen dataclasses, Decimal, datetimes) into JSON-safe values.

    Money stays exact as a decimal string; times are ISO 8601 in UTC.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def error_event(code: str, message: str | None = None) -> dict[str, str]:
    """Build an ``error`` payload from a stable code (never from client input)."""
    return {"code": code, "message": message or ERROR_TEXT.get(code, "Request rejected.")}


def hub_error_event(exc: HubError) -> dict[str, str]:
    """Map a domain error to an ``error`` payload."""
    if isinstance(exc, ValidationFailed):
        return error_event(exc.code, f"'{exc.field}' is not valid.")
    return error_event(exc.code)


def rasa_to_socketio(message: Mapping[str, Any]) -> dict[str, Any]:
    """Translate one REST-channel message into Rasa socket.io channel fields.

    Mirrors ``rasa.core.channels.socketio.SocketIOOutput``: buttons become
    ``quick_replies`` (``content_type: text``) and images an ``image`` attachment. The
    original ``buttons`` are kept too for clients that read them. For custom payloads
    the object is sent under ``custom``; when it has a ``data`` object (Rasa's socket
    channel emits that as the event body) its fields are also placed at the top level.
    """
    out: dict[str, Any] = {}
    text = message.get("text")
    if isinstance(text, str):
        out["text"] = text
    buttons = message.get("buttons")
    if isinstance(buttons, list) and buttons:
        out["quick_replies"] = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in buttons
            if isinstance(b, dict)
        ]
        out["buttons"] = buttons
    image = message.get("image")
    if isinstance(image, str):
        out["attachment"] = {"type": "image", "payload": {"src": image}}
    attachment = message.get("attachment")
    if attachment is not None:
        out["attachment"] = attachment
    custom = message.get("custom")
    if isinstance(custom, dict):
        data = custom.get("data")
        if isinstance(data, dict):
            out.update({k: v for k, v in data.items() if k not in {"id", "sender", "ts"}})
        out["custom"] = custom
    return out


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class AgentNotifier(Protocol):
    """What the customer side needs from the agent side (implemented by AgentNamespace)."""

    async def relay_message(self, conversation_id: str, message: MessageView) -> None:
        """Show a new conversation message to the agents watching it."""

    async def queues_changed(self, queues: Iterable[str] | None = None) -> None:
        """Refresh the queue snapshots of agents who see these queues (all when None)."""

    async def customer_typing(self, conversation_id: str) -> None:
        """Tell the agents working the conversation that the customer is typing."""


class GuardedNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Base for the hub's namespaces: one payload per event, errors mapped in one place."""

    log_prefix = "socket"
    # Whether :meth:`call_short` runs its calls on the event loop (see there).
    inline_short_calls = False

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking HubService method off the event loop."""
        return await asyncio.to_thread(fn, *args)

    async def call_short(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a short single-conversation HubService call, inline when that is cheaper.

        Only for bounded calls that touch one conversation with a few single-row statements:
        ``open_session``, ``record_message``, ``record_customer_message``,
        ``conversation_state`` and ``bind_customer``. Anything that scans or builds more
        (queue snapshots, context packets, claims, handoffs, tickets) uses :meth:`call`.

        ``inline_short_calls`` is set by the app when the store is SQLite inside this process
        (``HubService.store_is_embedded``) and this hub is its only writer (no ``REDIS_URL``).
        Such a call is then 0.1-0.3 ms of CPU, while the ``asyncio.to_thread`` hop around it
        (a worker wake-up, GIL hand-offs, a loop wake-up) cost more than the call itself: a
        bot turn made three, and running them inline saved 1-1.5 ms per turn. Any other
        database keeps the thread: there a call is a network round trip and may wait on
        another process's row lock, which must never stall the loop.

        The price on SQLite: while the call runs the loop serves nobody, and it can wait.
        Writes queue on the per-process writer lock (``HubStore.transaction``, an RLock), so
        the loop may wait for another thread's transaction to commit; those are short too,
        but a claim or a requeue sweep takes longer than a message. SQLite's ``busy_timeout``
        applies only across processes (an action opening a dispute, the importer): then the
        loop waits for that writer, polling with sleeps, which is why several hub processes
        on one SQLite file keep the thread. Reads (``conversation_state``) take a WAL
        snapshot and never wait for writers. An inline call checks its own connection out of
        the pool, like a worker thread (file databases pool connections opened with
        ``check_same_thread=False``).
        """
        if self.inline_short_calls:
            return fn(*args)
        return await asyncio.to_thread(fn, *args)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Dispatch with a fixed ``(sid, data)`` shape and map every error at one place.

        Clients can send any number of arguments; handlers always get exactly one data
        value (``None`` when absent). Rejections become an ``error`` event and, when the
        client asked for an ack, ``{"error": ...}`` as the ack.
        """
        if event in {"connect", "disconnect"}:
            return await super().trigger_event(event, *args)
        sid = args[0]
        data = args[1] if len(args) > 1 else None
        handler = getattr(self, f"on_{event}", None)
        try:
            if handler is None or len(args) > 2:
                raise EventError(
                    "unknown_event" if handler is None else "malformed",
                    ERROR_TEXT["unknown_event"]
                    if handler is None
                    else "Send exactly one payload object.",
                )
            return await handler(sid, data)
        except EventError as exc:
            payload = error_event(exc.code, exc.message)
        except HubError as exc:
            payload = hub_error_event(exc)
        except OperationalError:
            log_event(
                logger,
                f"{self.log_prefix}.store_unavailable",
                level=logging.ERROR,
                exc_info=True,
                event_name=event[:64],
            )
            payload = error_event("unavailable")
        except Exception:
            log_event(
                logger,
                f"{self.log_prefix}.event_failed",
                level=logging.ERROR,
                exc_info=True,
                event_name=event[:64],
            )
            payload = error_event("internal")
        log_event(
            logger,
            f"{self.log_prefix}.event_rejected",
            level=logging.INFO,
            event_name=event[:64],
            code=payload["code"],
        )
        await self.emit("error", payload, to=sid)
        return {"error": payload}


class CustomerNamespace(GuardedNamespace):
    """Socket.IO handlers for customers; one room per conversation (``conv:<id>``).

    Per-connection session (``save_session``): ``customer_ref`` and ``token`` from the
    connection auth, and once bound ``conversation_id`` and ``session_id``.
    """

    log_prefix = "customer"

    def __init__(
        self,
        service: HubService,
        rasa: RasaClient,
        *,
        verify_token: Callable[[object], str | None],
        detect_explicit: Callable[[str], ExplicitRequestMatch | None],
        max_text_chars: int,
        failure_threshold: int,
        inline_short_calls: bool = False,
        namespace: str = "/",
    ) -> None:
        """Wire the namespace to the domain service and the Rasa client.

        ``inline_short_calls`` lets :meth:`call_short` run on the event loop; only for a
        store that is SQLite in this process with no other hub process writing it.
        """
        super().__init__(namespace)
        self.service = service
        self.rasa = rasa
        self.verify_token = verify_token
        self.detect_explicit = detect_explicit
        self.max_text_chars = max_text_chars
        self.failure_threshold = failure_threshold
        self.agents: AgentNotifier | None = None
        self.inline_short_calls = inline_short_calls
        # One lock per conversation keeps bot turns in order while acks return at once.
        self._turn_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._tasks: set[asyncio.Task[None]] = set()

    def room(self, conversation_id: str) -> str:
        """The Socket.IO room of one conversation."""
        return f"conv:{conversation_id}"

    async def _bound(self, sid: str, session_id: str | None = None) -> dict[str, Any]:
        session: dict[str, Any] = await self.get_session(sid)
        if "conversation_id" not in session:
            raise EventError("no_session", ERROR_TEXT["no_session"])
        if session_id is not None and session_id != session["session_id"]:
            raise EventError("unknown_session", ERROR_TEXT["unknown_session"])
        return session

    # ---- connection -----------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """Accept everyone; a valid customer token in ``auth`` makes the connection verified."""
        token = auth.get("token") if isinstance(auth, dict) else None
        customer_ref = self.verify_token(token) if token else None
        await self.save_session(
            sid, {"customer_ref": customer_ref, "token": token if customer_ref else None}
        )
        log_event(logger, "customer.connected", authenticated=customer_ref is not None)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        """Nothing to clean up: the conversation lives in the store, not the socket."""
        log_event(logger, "customer.disconnected", reason=str(reason))

    # ---- sessions -------------------------------------------------------------------------

    async def on_session_request(self, sid: str, data: Any) -> dict[str, Any]:
        """Bind this connection to a session (existing only if it is provably theirs)."""
        request = parse_session_request(data)
        session = await self.get_session(sid)
        grant = await self.call_short(
            self.service.open_session,
            request.session_id,
            session.get("customer_ref"),
            request.session_key,
        )
        return await self._bind(sid, session, grant)

    async def _bind(self, sid: str, session: dict[str, Any], grant: SessionGrant) -> dict[str, Any]:
        previous = session.get("conversation_id")
        if previous is not None and previous != grant.conversation_id:
            await self.leave_room(sid, self.room(previous))
        await self.enter_room(sid, self.room(grant.conversation_id))
        session.update(conversation_id=grant.conversation_id, session_id=grant.session_id)
        await self.save_session(sid, session)
        confirm = {
            "session_id": grant.session_id,
            "session_key": grant.session_key,
            "state": grant.state,
        }
        await self.emit("session_confirm", confirm, to=sid)
        log_event(
            logger,
            "customer.session_bound",
            conversation_id=grant.conversation_id,
            created=grant.created,
        )
        if not grant.created:
            await self.live_status(sid, grant.conversation_id)
        return confirm

    async def live_status(self, sid: str, conversation_id: str) -> None:
        """Re-send where the customer stands now (queue position or agent) to one socket.

        A reloaded or reconnected widget would otherwise only know the state's name. The
        status carries ``current: true`` and no text: it repeats, it is not a new event, so
        nothing is stored.
        """
        conversation = await self.call(self.service.get_conversation, conversation_id)
        body: dict[str, Any]
        if conversation.state == "queued":
            outcome = await self.call(self.service.queue_status, conversation_id)
            if outcome is None:
                return  # claimed or cancelled meanwhile; that status is on its way
            body = {
                "state": "queued",
                "queue": outcome.queue,
                "reason": outcome.reason,
                "position": outcome.position,
                "estimated_wait_seconds": outcome.estimated_wait_seconds,
                "within_hours": outcome.within_hours,
            }
        elif conversation.state == "agent":
            body = {"state": "agent_joined", "agent_name": conversation.owner_name}
        else:
            return
        await self.emit("handoff_status", {**body, "current": True}, to=sid)

    async def on_resume(self, sid: str, data: Any) -> dict[str, Any]:
        """Replay every message after ``last_seen_id`` in order, once, to this socket."""
        request = parse_resume(data)
        session = await self._bound(sid, request.session_id)
        missed = await self.call(
            self.service.messages_after, session["conversation_id"], request.last_seen_id
        )
        for message in missed:
            event = "user_uttered" if message.sender_type == "customer" else "bot_uttered"
            await self.emit(event, self.message_payload(message), to=sid)
        conversation = await self.call(self.service.get_conversation, session["conversation_id"])
        log_event(
            logger,
            "customer.resumed",
            conversation_id=session["conversation_id"],
            replayed=len(missed),
        )
        await self.live_status(sid, session["conversation_id"])
        return {"replayed": len(missed), "state": conversation.state}

    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        """The customer is typing: tell the owning agent (throttled, not stored)."""
        session = await self._bound(sid, parse_session_only(data, "typing"))
        now = time.monotonic()
        if now - float(session.get("typing_relayed_at", 0.0)) < TYPING_RELAY_SECONDS:
            return {"ok": True}
        conversation_id: str = session["conversation_id"]
        conversation = await self.call(self.service.get_conversation, conversation_id)
        if conversation.state == "agent" and self.agents is not None:
            session["typing_relayed_at"] = now
            await self.save_session(sid, session)
            await self.agents.customer_typing(conversation_id)
        return {"ok": True}

    # ---- messages -------------------------------------------------------------------------

    async def on_user_uttered(self, sid: str, data: Any) -> dict[str, Any]:
        """Store the customer's message, acknowledge it, then route it in the background."""
        utterance = parse_user_uttered(data, max_chars=self.max_text_chars)
        session = await self.get_session(sid)
        if "conversation_id" not in session:
            if utterance.session_id is not None:
                raise EventError("no_session", ERROR_TEXT["no_session"])
            # Rasa clients without session persistence never send session_request.
            grant = await self.call_short(
                self.service.open_session, None, session.get("customer_ref"), None
            )
            await self._bind(sid, session, grant)
        session = await self._bound(sid, utterance.session_id)
        conversation_id: str = session["conversation_id"]
        session = await self._bind_metadata_identity(sid, session, utterance.metadata)
        # Read before the store call, never after it: see ``_route_locked``.
        changes_before = self.service.state_changes
        # A message after a close reopens the conversation with the bot (HubService).
        stored = await self.call_short(
            self.service.record_customer_message,
            conversation_id,
            utterance.message,
            utterance.client_msg_id,
        )
        if stored.created:
            metadata = self._rasa_metadata(session, utterance.metadata)
            self._spawn(
                self._route(
                    conversation_id,
                    session["session_id"],
                    stored.message,
                    metadata,
                    stored.state,
                    changes_before,
                )
            )
        return {"id": stored.message.id, "duplicate": not stored.created}

    async def _bind_metadata_identity(
        self, sid: str, session: dict[str, Any], metadata: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A valid token in the message metadata makes an anonymous conversation verified.

        Clients that cannot pass the token in the connection auth (Rasa web chat's
        ``customData``) send it with each message. The conversation is bound to that
        customer so the agent's context packet shows them; a conversation that belongs to a
        different customer is never re-bound (``IdentityMismatch`` -> ``identity_mismatch``,
        raised before anything is stored). Invalid tokens are ignored (anonymous).
        """
        candidate = metadata.get("customer_token")
        ref = self.verify_token(candidate) if isinstance(candidate, str) and candidate else None
        if ref is None:
            return session
        conversation_id: str = session["conversation_id"]
        if await self.call_short(self.service.bind_customer, conversation_id, ref):
            log_event(logger, "customer.identity_bound", conversation_id=conversation_id)
        if session.get("customer_ref") is None:
            session.update(customer_ref=ref, token=candidate)
            await self.save_session(sid, session)
        return session

    def _rasa_metadata(
        self, session: Mapping[str, Any], given: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Identity metadata for Rasa: only a token that verifies, never the client's claims."""
        metadata: dict[str, Any] = {"channel": "hub"}
        token = session.get("token")
        ref = session.get("customer_ref")
        if token is None:
            candidate = given.get("customer_token")
            candidate_ref = self.verify_token(candidate) if candidate else None
            if candidate_ref is not None:
                token, ref = candidate, candidate_ref
        if token is not None and ref is not None:
            metadata.update(customer_token=token, customer_ref=ref)
        return metadata

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for in-flight bot turns (on shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._turn_locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._turn_locks[conversation_id] = lock
        return lock

    async def _route(
        self,
        conversation_id: str,
        session_id: str,
        message: MessageView,
        metadata: dict[str, Any],
        stored_state: str,
        changes_before: int | None = None,
    ) -> None:
        lock = self._lock(conversation_id)
        try:
            async with lock:
                await self._route_locked(
                    conversation_id, session_id, message, metadata, stored_state, changes_before
                )
        except Exception:
            log_event(
                logger,
                "customer.route_failed",
                level=logging.ERROR,
                conversation_id=conversation_id,
                exc_info=True,
            )
            await self.emit("error", error_event("internal"), room=self.room(conversation_id))

    async def _route_locked(
        self,
        conversation_id: str,
        session_id: str,
        message: MessageView,
        metadata: dict[str, Any],
        stored_state: str,
        changes_before: int | None = None,
    ) -> None:
        """Send one customer message where the conversation is, in arrival order.

        A message stored while a person has (or awaits) the conversation goes to the agents
        at once: it was written during their episode. One stored while the bot had it is
        checked again here, after earlier messages' turns: the bot's answer to an earlier
        message may have handed the conversation off (and paused the bot) meanwhile.

        That read is skipped when ``changes_before`` (``HubService.state_changes`` read just
        before the message was stored) still equals the count now and this process is the
        store's only writer (``inline_short_calls``: SQLite in this process, no other hub
        process, as documented for an unset ``REDIS_URL``). Why the state is then still
        ``stored_state``: every state change goes through ``HubStore.transition``, which
        bumps the count inside its transaction while holding the process writer lock, and
        that lock is held from before the bump until after the commit. The store call took
        the same lock to read ``stored_state``. So a transition that committed before that
        read is visible in ``stored_state``, and one that committed after it bumped the
        count after ``changes_before`` was read (it could only bump once the store call had
        released the lock). The count must be read before the store call: read after it, a
        transition committed by a worker thread between the two would be missed. A
        transition that rolls back still bumps the count; that only costs the read.
        """
        state = stored_state
        if state == "bot" and not (
            self.inline_short_calls
            and changes_before is not None
            and changes_before == self.service.state_changes
        ):
            state = await self.call_short(self.service.conversation_state, conversation_id)
        if state != "bot":
            if self.agents is not None:
                await self.agents.relay_message(conversation_id, message)
            return
        match = self.detect_explicit(message.text or "")
        if match is not None:
            signal = {
                "name": "explicit_request",
                "score": 1.0,
                "evidence": getattr(match, "phrase", None),
                "language": getattr(match, "language", None),
                "source": "hub_guard",
            }
            await self.handoff(conversation_id, "explicit_request", None, [signal], None, 1.0)
            return
        try:
            replies = await self.rasa.send_message(session_id, message.text or "", metadata)
        except RasaError as exc:
            await self._bot_failed(conversation_id, exc)
            return
        self.rasa.record_success()
        await self._deliver_bot_replies(conversation_id, replies)

    async def _deliver_bot_replies(
        self, conversation_id: str, replies: list[dict[str, Any]]
    ) -> None:
        """Store and emit the bot's messages; act on a handoff payload among them."""
        handoff: dict[str, Any] | None = None
        for reply in replies:
            custom = reply.get("custom")
            if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
                handoff = custom["handoff"]
                continue
            fields = rasa_to_socketio(reply)
            if not fields:
                continue
            text = fields.pop("text", None)
            stored, _ = await self.call_short(
                self.service.record_message,
                conversation_id,
                "bot",
                text,
                fields or None,
                None,
                None,
            )
            await self.deliver(conversation_id, stored)
        if handoff is not None:
            signals = handoff.get("signals")
            score = handoff.get("score")
            await self.handoff(
                conversation_id,
                str(handoff.get("reason") or "other"),
                _optional_str(handoff.get("queue")),
                [s for s in signals if isinstance(s, dict)] if isinstance(signals, list) else [],
                _optional_str(handoff.get("summary")),
                float(score) if isinstance(score, int | float) else None,
                paused_bot=True,
                order_number=_optional_str(handoff.get("order_number")),
                intent=_optional_str(handoff.get("intent")),
            )

    async def _bot_failed(self, conversation_id: str, exc: RasaError) -> None:
        streak = self.rasa.record_failure(exc)
        log_event(
            logger,
            "customer.bot_failed",
            level=logging.WARNING,
            conversation_id=conversation_id,
            kind=exc.kind,
            streak=streak,
        )
        if isinstance(exc, RasaUnavailable) or streak >= self.failure_threshold:
            await self.system_message(conversation_id, BOT_FAILURE_TEXT)
            signal = {"name": "bot_failure", "score": 1.0, "evidence": exc.kind}
            await self.handoff(conversation_id, "bot_failure", None, [signal], None, None)
        else:
            await self.system_message(conversation_id, BOT_RETRY_TEXT)

    # ---- handoff --------------------------------------------------------------------------

    async def handoff(
        self,
        conversation_id: str,
        reason: str,
        queue: str | None,
        signals: list[dict[str, Any]],
        summary: str | None,
        score: float | None,
        *,
        paused_bot: bool = False,
        order_number: str | None = None,
        intent: str | None = None,
    ) -> HandoffOutcome:
        """Queue the conversation for a person and tell the customer honestly.

        ``paused_bot`` says the request came from the bot, which paused its conversation
        in Rasa; if nobody can take over, the pause is undone so the bot keeps helping.
        """
        outcome = await asyncio.to_thread(
            self.service.request_handoff,
            conversation_id,
            reason,
            queue,
            signals,
            summary,
            score,
            order_number=order_number,
            intent=intent,
        )
        log_event(
            logger,
            "customer.handoff",
            conversation_id=conversation_id,
            reason=reason,
            queue=outcome.queue,
            outcome=outcome.state,
        )
        if outcome.state == "no_agents":
            if paused_bot:
                await self._unpause_bot(conversation_id)
            await self.status(
                conversation_id,
                "no_agents",
                STATUS_TEXT["no_agents"],
                queue=outcome.queue,
                within_hours=outcome.within_hours,
                next_open_at=outcome.next_open_at,
            )
        elif outcome.state == "queued":
            await self.status(
                conversation_id,
                "queued",
                STATUS_TEXT["queued"].format(position=outcome.position),
                queue=outcome.queue,
                reason=reason,
                position=outcome.position,
                estimated_wait_seconds=outcome.estimated_wait_seconds,
                within_hours=outcome.within_hours,
            )
        if self.agents is not None:
            await self.agents.queues_changed([outcome.queue])
        return outcome

    async def _unpause_bot(self, conversation_id: str) -> None:
        """Undo the bot's own pause when nobody can take over, so it keeps answering."""
        conversation = await self.call(self.service.get_conversation, conversation_id)
        try:
            await self.rasa.resume(conversation.session_id)
        except RasaError as exc:
            # The next message then fails open again; nothing else to do here.
            log_event(
                logger,
                "customer.unpause_failed",
                level=logging.WARNING,
                conversation_id=conversation_id,
                kind=exc.kind,
            )

    async def on_request_human(self, sid: str, data: Any) -> dict[str, Any]:
        """The widget's "talk to a person" button: hand off at once."""
        session = await self._bound(sid, parse_session_only(data, "request_human"))
        conversation_id = session["conversation_id"]
        async with self._lock(conversation_id):
            conversation = await self.call(self.service.get_conversation, conversation_id)
            if conversation.state != "bot":
                raise EventError("invalid_state", ERROR_TEXT["invalid_state"])
            signal = {"name": "handoff_button", "score": 1.0, "evidence": "button"}
            outcome = await self.handoff(
                conversation_id, "explicit_request", None, [signal], None, 1.0
            )
        return {"state": outcome.state}

    async def on_cancel_handoff(self, sid: str, data: Any) -> dict[str, Any]:
        """Stop waiting for a person and return to the bot."""
        session = await self._bound(sid, parse_session_only(data, "cancel_handoff"))
        conversation_id = session["conversation_id"]
        conversation = await self.call(self.service.cancel_handoff, conversation_id)
        await self.status(conversation_id, "bot_resumed", STATUS_TEXT["bot_resumed"])
        if self.agents is not None:
            await self.agents.queues_changed([conversation.queue] if conversation.queue else None)
        return {"state": conversation.state}

    async def on_leave_contact(self, sid: str, data: Any) -> dict[str, Any]:
        """Store a ticket/callback request with the transcript."""
        contact = parse_leave_contact(data)
        session = await self._bound(sid)
        conversation_id = session["conversation_id"]
        ticket = await self.call(
            self.service.create_ticket, conversation_id, contact.email, contact.phone, contact.note
        )
        await self.status(
            conversation_id,
            "ticket_created",
            STATUS_TEXT["ticket_created"],
            ticket_id=ticket.ticket_id,
        )
        if self.agents is not None:
            await self.agents.queues_changed([ticket.queue])
        return {"ticket_id": ticket.ticket_id}

    async def on_rate(self, sid: str, data: Any) -> dict[str, Any]:
        """Record CSAT (1-5) for a closed conversation."""
        score = parse_rate(data)
        session = await self._bound(sid)
        await self.call(self.service.rate, session["conversation_id"], score)
        log_event(logger, "customer.rated", conversation_id=session["conversation_id"], score=score)
        return {"ok": True}

    # ---- output (also used by the agent namespace) ----------------------------------------

    def message_payload(self, message: MessageView) -> dict[str, Any]:
        """The ``bot_uttered`` body of a stored message."""
        payload: dict[str, Any] = dict(jsonable(message.payload) or {})
        if message.text is not None:
            payload["text"] = message.text
        payload.update(
            id=message.id,
            sender={"type": message.sender_type, "name": message.sender_name},
            ts=jsonable(message.created_at),
        )
        return payload

    async def deliver(self, conversation_id: str, message: MessageView) -> None:
        """Send a stored message to the customer's room as ``bot_uttered``."""
        await self.emit(
            "bot_uttered", self.message_payload(message), room=self.room(conversation_id)
        )
        if self.agents is not None and message.sender_type != "agent":
            await self.agents.relay_message(conversation_id, message)

    async def system_message(self, conversation_id: str, text: str) -> MessageView:
        """Store and send a message from the hub itself."""
        stored, _ = await self.call_short(
            self.service.record_message, conversation_id, "system", text, None, None, None
        )
        await self.deliver(conversation_id, stored)
        return stored

    async def status(self, conversation_id: str, state: str, text: str, **fields: Any) -> None:
        """Emit ``handoff_status`` and store its text as a system message.

        Old clients show the stored text (it arrives as ``bot_uttered``); new clients get
        ``handoff_status`` with ``message_id`` so they can show one or the other.
        """
        stored, _ = await self.call_short(
            self.service.record_message,
            conversation_id,
            "system",
            text,
            {"handoff_status": state},
            None,
            None,
        )
        await self.deliver(conversation_id, stored)
        body = {"state": state, "text": text, "message_id": stored.id, **jsonable(fields)}
        await self.emit("handoff_status", body, room=self.room(conversation_id))

    async def transient_status(self, conversation_id: str, state: str, **fields: Any) -> None:
        """Emit a ``handoff_status`` that is not stored (e.g. ``agent_typing``)."""
        await self.emit(
            "handoff_status", {"state": state, **jsonable(fields)}, room=self.room(conversation_id)
        )

    async def bot_resumed(self, conversation_id: str) -> None:
        """After an agent hands back: resume Rasa, relay its reply, tell the customer.

        If Rasa cannot be resumed the customer goes straight back to a person rather than
        into a bot that would not answer (fail-open).
        """
        conversation = await self.call(self.service.get_conversation, conversation_id)
        async with self._lock(conversation_id):
            try:
                await self.rasa.resume(conversation.session_id)
                replies = await self.rasa.trigger_intent(conversation.session_id, HANDBACK_INTENT)
            except RasaError as exc:
                self.rasa.record_failure(exc)
                log_event(
                    logger,
                    "customer.handback_failed",
                    level=logging.WARNING,
                    conversation_id=conversation_id,
                    kind=exc.kind,
                )
                await self.system_message(conversation_id, BOT_FAILURE_TEXT)
                signal = {"name": "bot_failure", "score": 1.0, "evidence": exc.kind}
                await self.handoff(
                    conversation_id,
                    "bot_failure",
                    conversation.queue,
                    [signal],
                    "The bot could not resume after a hand-back.",
                    None,
                )
                return
            self.rasa.record_success()
            if any(isinstance(reply.get("text"), str) for reply in replies):
                # The bot says it is back in its own words; no second notice.
                await self.transient_status(conversation_id, "bot_resumed")
            else:
                await self.status(conversation_id, "bot_resumed", STATUS_TEXT["bot_resumed"])
            await self._deliver_bot_replies(conversation_id, replies)
