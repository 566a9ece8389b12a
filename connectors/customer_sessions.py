"""Binding customer sockets to conversations: the session part of the customer namespace.

``session_request`` (or a first ``user_uttered``) presents a session id; the hub's one rule is
in :class:`hub.services.sessions.SessionService`. This module joins the socket to the
conversation's room, confirms it the way Rasa's channel does (the bare id), replays what the
client missed, re-sends where the conversation stands, and holds a verified customer's
conversation back from a connection that has not proved to be them (``pending``).

What a client missed: the hub's widget sends ``last_seen_id`` and gets everything after it.
Rasa clients keep their own transcript and send no cursor; for them the hub remembers, per
conversation and per hub process, the newest message id when such a client disconnected, and
replays what came after it (docs/protocol.md, "Using an existing Rasa widget").
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final

from connectors.customer_delivery import CustomerDelivery
from connectors.json import to_json
from connectors.push import conversation_room
from connectors.socket_base import GuardedNamespace
from hub.domain.views import SessionGrant
from hub.logging import log_event
from hub.services.blocking import BlockingCalls
from hub.services.rate_limits import TokenBuckets
from hub.services.sessions import session_ref
from hub.services.wiring import HubServices

logger = logging.getLogger(__name__)

# Conversations whose Rasa-client delivery point this process remembers (oldest forgotten).
MAX_DELIVERY_MARKS: Final = 100_000


class SessionBinding(GuardedNamespace):
    """Session handling shared by the customer namespace's handlers (a base class).

    Per-connection session (``save_session``): ``customer_ref`` and ``token`` from the
    connection auth, and once bound ``conversation_id``, ``session_id`` (public),
    ``sender_id`` (its hash: the bot's sender id) and ``legacy`` (a Rasa client that keeps
    its own transcript and sends no replay cursor). ``pending`` holds a verified customer's
    conversation presented without that customer's token (:meth:`_resolve_pending`).
    """

    services: HubServices
    calls: BlockingCalls
    verify_token: Callable[[object], str | None]
    new_per_connection: int
    new_per_address: TokenBuckets
    delivery: CustomerDelivery

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        # Rasa clients keep their transcript themselves and send no replay cursor: the newest
        # message id of the conversation when such a client left marks what it already has.
        self._delivered: OrderedDict[str, int] = OrderedDict()

    async def _remember_delivery(self, session: Mapping[str, Any]) -> None:
        """A Rasa client left: it has every message of its conversation up to now."""
        conversation_id = session.get("conversation_id")
        if conversation_id is None or not session.get("legacy"):
            return
        conversation = await self.calls.call(
            self.services.sessions.get_conversation, conversation_id
        )
        if conversation.last_message_id is not None:
            self._delivered[conversation_id] = conversation.last_message_id
            self._delivered.move_to_end(conversation_id)
            while len(self._delivered) > MAX_DELIVERY_MARKS:
                self._delivered.popitem(last=False)

    async def _open(self, session: dict[str, Any], session_id: str | None) -> SessionGrant:
        """Open or resume a session within the budgets of new conversations.

        One connection and one client address may each open only so many (``rate_limited``
        beyond); resuming a conversation of theirs is always allowed.
        """
        address = str(session.get("address", "unknown"))
        may_create = (
            int(session.get("created", 0)) < self.new_per_connection
            and self.new_per_address.wait(address) is None
        )
        if may_create:  # reserved before the call, so concurrent requests cannot overshoot
            session["created"] = int(session.get("created", 0)) + 1
            self.new_per_address.take(address)
        grant = None
        try:
            grant = await self.calls.short(
                self.services.sessions.open_session,
                session_id,
                session.get("customer_ref"),
                may_create=may_create,
            )
        finally:
            if may_create and (grant is None or not grant.created):
                session["created"] = int(session["created"]) - 1
                self.new_per_address.give_back(address)
        return grant

    async def _bind(
        self,
        sid: str,
        session: dict[str, Any],
        grant: SessionGrant,
        replay_from: tuple[int | None] | None,
    ) -> dict[str, Any]:
        """Join the conversation, confirm it, replay what the client missed, say where it is.

        ``session_confirm`` carries the bare session id, as Rasa's channel sends it; the ack
        (which Rasa clients do not ask for) adds ``state`` and, once a message decided it, the
        conversation's ``language`` (not for a conversation held back for its customer). A
        verified customer's conversation presented without their token is confirmed but not
        joined (``identity_required``).
        """
        previous = session.get("conversation_id")
        if previous is not None and previous != grant.conversation_id:
            await self.leave_room(sid, conversation_room(previous))
        for key in ("conversation_id", "session_id", "sender_id", "pending", "session_ended"):
            session.pop(key, None)
        confirm: dict[str, Any] = {"session_id": grant.session_id, "state": grant.state}
        if grant.identity_required:
            session["pending"] = {
                "conversation_id": grant.conversation_id,
                "session_id": grant.session_id,
                "customer_ref": grant.customer_ref,
                "legacy": replay_from is None,
            }
            await self.save_session(sid, session)
            await self.emit("session_confirm", grant.session_id, to=sid)
            log_event(logger, "customer.identity_required", conversation_id=grant.conversation_id)
            return {**confirm, "identity_required": True}
        if grant.language is not None:
            confirm["language"] = grant.language
        baseline = None
        if not grant.created:  # read before joining the room: later messages come as pushes
            conversation = await self.calls.call(
                self.services.sessions.get_conversation, grant.conversation_id
            )
            baseline = conversation.last_message_id
        self.delivery.bind(sid, grant.conversation_id, baseline, joined=not grant.created)
        await self.enter_room(sid, conversation_room(grant.conversation_id))
        session.update(
            conversation_id=grant.conversation_id,
            session_id=grant.session_id,
            sender_id=session_ref(grant.session_id),
            legacy=replay_from is None,
        )
        await self.save_session(sid, session)
        await self.emit("session_confirm", grant.session_id, to=sid)
        log_event(
            logger,
            "customer.session_bound",
            conversation_id=grant.conversation_id,
            created=grant.created,
        )
        if not grant.created:
            # Through the socket's delivery cursor, so live messages never overtake the replay.
            if replay_from is not None:
                await self.delivery.resume(sid, replay_from[0])
            elif (mark := self._delivered.get(grant.conversation_id)) is not None:
                await self.delivery.resume(sid, mark)
            await self._live_status(sid, grant.conversation_id)
        return confirm

    async def _live_status(self, sid: str, conversation_id: str) -> None:
        """Re-send where the customer stands now (queue position or agent) to one socket.

        It carries ``current: true`` and no text: it repeats, it is not a new event, so
        nothing is stored.
        """
        conversation = await self.calls.call(
            self.services.sessions.get_conversation, conversation_id
        )
        body: dict[str, Any]
        if conversation.state == "queued":
            outcome = await self.calls.call(self.services.handoffs.queue_status, conversation_id)
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
        await self.emit("handoff_status", to_json({**body, "current": True}), to=sid)

    async def _resolve_pending(
        self, sid: str, session: dict[str, Any], metadata: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A verified customer's conversation was presented without their token.

        A message whose metadata carries a token for that customer (Rasa web chat's
        ``customData``) joins it now, with the replay it missed; any other message starts a
        new conversation (a new ``session_confirm``), so nothing of the customer's ever
        reaches a connection that has not proved to be them.
        """
        pending: dict[str, Any] = session["pending"]
        candidate = metadata.get("customer_token")
        ref = self.verify_token(candidate) if isinstance(candidate, str) and candidate else None
        if ref is not None and ref == pending["customer_ref"]:
            session.update(customer_ref=ref, token=candidate)
            grant = SessionGrant(
                conversation_id=pending["conversation_id"],
                session_id=pending["session_id"],
                created=False,
                state="bot",
                customer_ref=ref,
            )
        else:
            session.pop("pending", None)
            grant = await self._open(session, None)
        await self._bind(sid, session, grant, None if pending["legacy"] else (None,))
        bound: dict[str, Any] = await self.get_session(sid)
        return bound
