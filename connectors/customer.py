"""Customer Socket.IO namespace ("/"), compatible with Rasa's socket.io channel.

Rasa web chat clients work unchanged: ``session_request`` -> ``session_confirm`` (the bare
session id, as Rasa sends it), ``user_uttered`` -> ``bot_uttered`` in Rasa's exact shapes
(``connectors.payloads.customer_payload``); a reconnect with the same session id continues the
conversation and replays what arrived while the client was away. Newer clients also read the
``metadata`` of each message, ``handoff_status`` events, and can resume, ask for a person,
cancel, leave a contact and rate. See docs/protocol.md. This is the protocol adapter only:
each handler parses the event, checks the connection's session, and calls a service (the bot
turn itself is :class:`hub.services.bot_turn.BotTurns`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from connectors.client_address import IPNetwork, client_address
from connectors.customer_delivery import CustomerDelivery, Outgoing
from connectors.customer_sessions import SessionBinding
from connectors.fanout import CONVERSATION_BOUND
from connectors.payloads import ERROR_TEXT
from connectors.push import conversation_room
from connectors.validation import EventError, EventParser
from hub.domain.views import MessageView
from hub.logging import log_event
from hub.services.blocking import BlockingCalls
from hub.services.bot_turn import BotTurns
from hub.services.escalation import Escalation
from hub.services.ports import AgentChannel
from hub.services.rate_limits import TokenBuckets
from hub.services.wiring import HubServices

logger = logging.getLogger(__name__)

# A customer's typing notice reaches the agent at most this often (the widget sends one per 2 s).
TYPING_RELAY_SECONDS: Final = 1.0


class CustomerNamespace(SessionBinding):
    """Socket.IO handlers for customers; one room per conversation (``conv:<id>``).

    The per-connection session and how a socket is bound to a conversation:
    :class:`connectors.customer_sessions.SessionBinding`.
    """

    log_prefix = "customer"
    client_events = frozenset(
        {
            "session_request",
            "resume",
            "typing",
            "user_uttered",
            "request_human",
            "cancel_handoff",
            "leave_contact",
            "rate",
        }
    )

    def __init__(
        self,
        services: HubServices,
        turns: BotTurns,
        escalation: Escalation,
        agents: AgentChannel,
        calls: BlockingCalls,
        parser: EventParser,
        *,
        verify_token: Callable[[object], str | None],
        new_per_connection: int,
        new_per_address: TokenBuckets,
        trusted_proxies: Sequence[IPNetwork] = (),
        namespace: str = "/",
    ) -> None:
        super().__init__(namespace)
        self.trusted_proxies = tuple(trusted_proxies)
        self.new_per_connection = new_per_connection
        self.new_per_address = new_per_address
        self.services = services
        self.turns = turns
        self.escalation = escalation
        self.agents = agents
        self.calls = calls
        self.parser = parser
        self.verify_token = verify_token
        self.delivery = CustomerDelivery(self._emit_to, self._stored_after)

    async def _emit_to(self, event: str, body: dict[str, Any], sid: str) -> None:
        # Straight to the local socket (never through Redis): see connectors/customer_delivery.
        await self.emit(event, body, to=sid, ignore_queue=True)

    async def _stored_after(
        self, conversation_id: str, after_id: int | None
    ) -> Sequence[MessageView]:
        return await self.calls.call(
            self.services.messages.messages_after, conversation_id, after_id
        )

    async def handle_message_signal(self, rooms: Any, data: Any) -> None:
        """A stored message for the customers of a conversation: each local socket, in order."""
        message = Outgoing.from_signal(data)
        if message is None:
            return
        targets = [rooms] if isinstance(rooms, str) else list(rooms or ())
        for sid, _eio_sid in list(self.server.manager.get_participants(self.namespace, targets)):
            await self.delivery.push(sid, message)

    async def handle(self, event: str, sid: str, data: Any) -> Any:
        """Refuse every event but ``session_request`` from a socket whose session was taken.

        See :meth:`handle_bound_signal`: the client must start a new session.
        """
        if event != "session_request" and (await self.get_session(sid)).get("session_ended"):
            raise EventError("session_ended", ERROR_TEXT["session_ended"])
        return await super().handle(event, sid, data)

    async def handle_bound_signal(self, rooms: Any, data: Any) -> None:
        """An anonymous conversation was bound to a verified customer by one socket (``keep``).

        Every other socket of this process in its room held the anonymous session: it leaves
        the room at once (nothing of the customer's reaches it) and its next event but a
        ``session_request`` gets ``session_ended``.
        """
        targets = [rooms] if isinstance(rooms, str) else list(rooms or ())
        keep = data.get("keep") if isinstance(data, dict) else None
        held = self.server.manager.get_participants(self.namespace, targets)
        for other, _eio_sid in list(held):
            if other == keep:
                continue
            for room in targets:
                await self.leave_room(other, room)
            self.delivery.forget(other)
            try:
                session = await self.get_session(other)
            except KeyError:
                continue  # gone meanwhile
            session.pop("conversation_id", None)
            session.pop("session_id", None)
            session["session_ended"] = True
            log_event(logger, "customer.session_cut_off")

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
        address = client_address(environ.get("aiohttp.request"), self.trusted_proxies)
        await self.save_session(
            sid,
            {
                "customer_ref": customer_ref,
                "token": token if customer_ref else None,
                "address": address,
                "created": 0,
            },
        )
        log_event(logger, "customer.connected", authenticated=customer_ref is not None)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        """Forget the socket's delivery cursor; remember how far a Rasa client got."""
        self.delivery.forget(sid)
        log_event(logger, "customer.disconnected", reason=str(reason))
        try:
            session = await self.get_session(sid)
        except KeyError:
            return
        await self._remember_delivery(session)

    # ---- sessions -------------------------------------------------------------------------

    async def on_session_request(self, sid: str, data: Any) -> dict[str, Any]:
        """Bind this connection to the session it presents (see ``SessionService``)."""
        request = self.parser.session_request(data)
        session = await self.get_session(sid)
        grant = await self._open(session, request.session_id)
        return await self._bind(sid, session, grant, request.replay_from)

    async def on_resume(self, sid: str, data: Any) -> dict[str, Any]:
        """Replay every message after ``last_seen_id`` in order, once, to this socket.

        Through the socket's delivery cursor, so live messages never overtake the replay.
        """
        request = self.parser.resume(data)
        session = await self._bound(sid, request.session_id)
        conversation_id: str = session["conversation_id"]
        if session.get("legacy"):  # it keeps a cursor after all
            session["legacy"] = False
            await self.save_session(sid, session)
        replayed = await self.delivery.resume(sid, request.last_seen_id)
        state = await self.calls.short(self.services.sessions.conversation_state, conversation_id)
        log_event(logger, "customer.resumed", conversation_id=conversation_id, replayed=replayed)
        await self._live_status(sid, conversation_id)
        return {"replayed": replayed, "state": state}

    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        """The customer is typing: tell the owning agent (throttled, not stored)."""
        session = await self._bound(sid, self.parser.session_only(data, "typing"))
        now = time.monotonic()
        if now - float(session.get("typing_relayed_at", 0.0)) < TYPING_RELAY_SECONDS:
            return {"ok": True}
        conversation_id: str = session["conversation_id"]
        state = await self.calls.short(self.services.sessions.conversation_state, conversation_id)
        if state == "agent":
            session["typing_relayed_at"] = now
            await self.save_session(sid, session)
            await self.agents.customer_typing(conversation_id)
        return {"ok": True}

    # ---- messages -------------------------------------------------------------------------

    async def on_user_uttered(self, sid: str, data: Any) -> dict[str, Any]:
        """Store the customer's message, acknowledge it, then route it in the background.

        The ack carries ``text`` when the stored text differs from what was sent (card numbers
        and the like are masked before anything stores them), and ``language``: the
        conversation's language as decided on this message (the widget's texts follow it).
        The page's language tag is read from the metadata (``page_language``, or the
        ``language``/``locale``/``lang`` a Rasa web chat host puts in ``customData``).
        """
        utterance = self.parser.user_uttered(data)
        session = await self.get_session(sid)
        if "pending" in session:
            session = await self._resolve_pending(sid, session, utterance.metadata)
        elif "conversation_id" not in session:
            # Rasa clients without session persistence never send session_request; those
            # with it may send the id only here. Either way: as if they had requested it.
            grant = await self._open(session, utterance.session_id)
            await self._bind(sid, session, grant, None)
            session = await self.get_session(sid)
            if "pending" in session:
                session = await self._resolve_pending(sid, session, utterance.metadata)
        else:
            session = await self._bound(sid, utterance.session_id)
        session = await self._bind_metadata_identity(sid, session, utterance.metadata)
        if utterance.message is None:
            # Rasa web chat opening without initPayload: nothing to say, nothing stored.
            return {"id": None, "duplicate": False, "empty": True}
        stored = await self.turns.receive(
            session["conversation_id"],
            session["sender_id"],
            utterance.message,
            utterance.client_msg_id,
            self._rasa_metadata(session, utterance.metadata),
            utterance.page_language,
        )
        # Every lower id of the conversation reaches this socket before the ack's id does.
        await self.delivery.acknowledge(sid, stored.message)
        ack: dict[str, Any] = {"id": stored.message.id, "duplicate": not stored.created}
        if stored.language is not None:
            ack["language"] = stored.language  # the conversation's language now (issue 19)
        if stored.message.text != utterance.message:
            ack["text"] = stored.message.text  # masked: the client shows this instead
        return ack

    async def _bind_metadata_identity(
        self, sid: str, session: dict[str, Any], metadata: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A valid token in the message metadata makes an anonymous conversation verified.

        Clients that cannot pass the token in the connection auth (Rasa web chat's
        ``customData``) send it with each message. A conversation that belongs to a different
        customer is never re-bound (``identity_mismatch``, before anything is stored).
        Invalid tokens are ignored (anonymous). Binding cuts off every other socket that held
        the anonymous session (:meth:`handle_bound_signal`).
        """
        candidate = metadata.get("customer_token")
        ref = self.verify_token(candidate) if isinstance(candidate, str) and candidate else None
        if ref is None:
            return session
        conversation_id: str = session["conversation_id"]
        if await self.calls.short(self.services.sessions.bind_customer, conversation_id, ref):
            log_event(logger, "customer.identity_bound", conversation_id=conversation_id)
            # Everyone else holding the anonymous session is cut off, on every hub process.
            await self.emit(
                CONVERSATION_BOUND, {"keep": sid}, room=conversation_room(conversation_id)
            )
        if session.get("customer_ref") is None:
            session.update(customer_ref=ref, token=candidate)
            await self.save_session(sid, session)
        return session

    @staticmethod
    def _rasa_metadata(session: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
        """Identity metadata for the bot: only a token that verified, never the client's claims."""
        metadata: dict[str, Any] = {"channel": "hub"}
        token, ref = session.get("token"), session.get("customer_ref")
        if token is not None and ref is not None:
            metadata.update(customer_token=token, customer_ref=ref)
        return metadata

    # ---- handoff --------------------------------------------------------------------------

    async def on_request_human(self, sid: str, data: Any) -> dict[str, Any]:
        """The widget's "talk to a person" button: hand off at once."""
        session = await self._bound(sid, self.parser.session_only(data, "request_human"))
        outcome = await self.turns.request_person(session["conversation_id"])
        return {"state": outcome.state}

    async def on_cancel_handoff(self, sid: str, data: Any) -> dict[str, Any]:
        """Stop waiting for a person and return to the bot."""
        session = await self._bound(sid, self.parser.session_only(data, "cancel_handoff"))
        conversation = await self.escalation.cancel(session["conversation_id"])
        return {"state": conversation.state}

    async def on_leave_contact(self, sid: str, data: Any) -> dict[str, Any]:
        """Store a ticket/callback request with the transcript."""
        contact = self.parser.leave_contact(data)
        session = await self._bound(sid)
        ticket = await self.escalation.leave_contact(
            session["conversation_id"], contact.email, contact.phone, contact.note
        )
        return {"ticket_id": ticket.ticket_id}

    async def on_rate(self, sid: str, data: Any) -> dict[str, Any]:
        """Record CSAT (1-5) for a closed conversation."""
        score = self.parser.rate(data)
        session = await self._bound(sid)
        await self.calls.call(self.services.tickets.rate, session["conversation_id"], score)
        log_event(logger, "customer.rated", conversation_id=session["conversation_id"], score=score)
        return {"ok": True}
