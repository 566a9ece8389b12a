"""Customers' sessions: which conversation a connection belongs to, and who owns it.

An existing session is granted only to its owner (the same verified customer, or the holder of
the anonymous session key); anything else gets a fresh conversation, so guessing an id joins
nothing. A conversation never changes customer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import datetime
from typing import Any

from hub.domain.errors import IdentityMismatch, RateLimited
from hub.domain.policy import HubConfig
from hub.domain.routing import NORMAL_PRIORITY
from hub.domain.views import ConversationView, SessionGrant
from hub.persistence.mapping import conversation_view
from hub.persistence.store import HubStore
from hub.services.clock import Clock, utc_now

log = logging.getLogger(__name__)


def hash_session_key(key: str) -> str:
    """What the database keeps of an anonymous session key (never the key itself)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class SessionService:
    """Opens and looks up customers' conversations."""

    def __init__(self, store: HubStore, config: HubConfig, clock: Clock) -> None:
        self._store = store
        self._config = config
        self._clock = clock

    def open_session(
        self,
        requested_session_id: str | None,
        customer_ref: str | None,
        session_key: str | None,
        *,
        may_create: bool = True,
    ) -> SessionGrant:
        """Bind a customer connection to a conversation (an existing one only if theirs).

        Args:
            requested_session_id: The id the client asked to resume, if any.
            customer_ref: Verified customer (from a valid token), None when anonymous.
            session_key: The anonymous owner's secret, returned when the session was created.
            may_create: False when the caller is over its budget of new conversations: only
                an existing conversation of theirs can be granted.

        Returns:
            The granted session; ``session_key`` is set for anonymous conversations only.

        Raises:
            RateLimited: A new conversation was needed and ``may_create`` is False.
        """
        now = utc_now(self._clock)
        with self._store.write() as conn:
            if requested_session_id and len(requested_session_id) <= self._config.max_id_chars:
                row = self._store.conversations.conversation_by_session(conn, requested_session_id)
                if row is not None and _owns(row, customer_ref, session_key):
                    return SessionGrant(
                        conversation_id=str(row.id),
                        session_id=str(row.session_id),
                        session_key=session_key if row.customer_ref is None else None,
                        created=False,
                        state=str(row.state),
                        customer_ref=row.customer_ref,
                    )
            if not may_create:
                raise RateLimited("new conversations")
            key = None if customer_ref else secrets.token_urlsafe(32)
            conversation_id = uuid.uuid4().hex
            session_id = uuid.uuid4().hex
            self._store.conversations.insert_conversation(
                conn,
                {
                    "id": conversation_id,
                    "session_id": session_id,
                    "session_key_hash": None if key is None else hash_session_key(key),
                    "customer_ref": customer_ref,
                    "state": "bot",
                    "priority": NORMAL_PRIORITY,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        return SessionGrant(
            conversation_id=conversation_id,
            session_id=session_id,
            session_key=key,
            created=True,
            state="bot",
            customer_ref=customer_ref,
        )

    def bind_customer(self, conversation_id: str, customer_ref: str) -> bool:
        """Attach a verified customer to an anonymous conversation.

        From then on only that customer can open it; the anonymous session key is forgotten.

        Returns:
            True when the conversation was anonymous and is now the customer's; False when it
            already was theirs.

        Raises:
            NotFound: Unknown conversation.
            IdentityMismatch: The conversation belongs to a different customer.
        """
        now = utc_now(self._clock)
        with self._store.transaction() as s:
            conv = self._store.conversations.conversation(s, conversation_id, lock=True)
            if conv.customer_ref is not None:
                if not hmac.compare_digest(str(conv.customer_ref), customer_ref):
                    raise IdentityMismatch(conversation_id)
                return False
            conv.customer_ref = customer_ref
            conv.session_key_hash = None  # the anonymous key opens it no more
            conv.updated_at = now
        log.info(
            "anonymous conversation bound to a verified customer",
            extra={"conversation_id": conversation_id},
        )
        return True

    def conversation_state(self, conversation_id: str) -> str:
        """Just the state (what routing a message depends on), from a read snapshot.

        Raises:
            NotFound: Unknown conversation.
        """
        with self._store.read_connection() as conn:
            return self._store.conversations.conversation_state(conn, conversation_id)

    def get_conversation(self, conversation_id: str) -> ConversationView:
        """The conversation's state, owner, queue and handoff context."""
        with self._store.read() as s:
            return conversation_view(
                self._store, s, self._store.conversations.conversation(s, conversation_id)
            )

    def transitions(self, conversation_id: str) -> list[tuple[str, str, str, str | None, datetime]]:
        """Audit trail ``(from, to, event, reason, at)``, oldest first."""
        with self._store.read() as s:
            self._store.conversations.conversation(s, conversation_id)
            return [
                (str(t.from_state), str(t.to_state), str(t.event), t.reason, t.at)
                for t in self._store.conversations.transitions(s, conversation_id)
            ]


def _owns(conv: Any, customer_ref: str | None, session_key: str | None) -> bool:
    """Whether the caller owns ``conv`` (a row with its identity columns)."""
    if conv.customer_ref is not None:
        return customer_ref is not None and hmac.compare_digest(
            str(conv.customer_ref), customer_ref
        )
    if customer_ref is not None or not session_key or conv.session_key_hash is None:
        return False
    return hmac.compare_digest(str(conv.session_key_hash), hash_session_key(session_key))
