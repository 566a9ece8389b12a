"""Customers' sessions: which conversation a connection belongs to, and who owns it.

One rule, as in Rasa's socket.io channel: the session id is the key to its conversation. A
client presenting an id gets that conversation back; an id the hub has never seen starts a new
conversation under it when it is long and random enough to be unguessable (else the hub mints
one). A conversation bound to a verified customer additionally needs that customer's token:
a connection that proves someone else gets a new conversation, and an anonymous connection is
told to prove it (``identity_required``) before it receives anything. The store keeps only a
hash of each session id (``session_ref``), which is also the bot's sender id, so neither the
database, Rasa's trackers, the logs nor the agent console hold a usable session id.
A conversation never changes customer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import uuid
from datetime import datetime
from typing import Final

from hub.domain.errors import IdentityMismatch, RateLimited
from hub.domain.policy import HubConfig
from hub.domain.routing import NORMAL_PRIORITY
from hub.domain.views import ConversationView, SessionGrant
from hub.persistence.mapping import conversation_view
from hub.persistence.store import HubStore
from hub.services.clock import Clock, utc_now

log = logging.getLogger(__name__)

# A client-chosen session id is adopted only when it could not have been guessed: at least 32
# characters of the URL-safe alphabet (a uuid4, hex or with dashes, qualifies; so does
# ``secrets.token_urlsafe(24)``) that are not a short pattern repeated.
MIN_ADOPTED_CHARS: Final = 32
MIN_DISTINCT_CHARS: Final = 10
_ID_ALPHABET: Final = re.compile(r"[A-Za-z0-9_-]+")


def session_ref(session_id: str) -> str:
    """What the store keeps of a session id (and the bot's sender id): its SHA-256, in hex."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def adoptable(session_id: str, max_chars: int) -> bool:
    """Whether a client-chosen id is long and random enough to start a conversation under."""
    return (
        MIN_ADOPTED_CHARS <= len(session_id) <= max_chars
        and _ID_ALPHABET.fullmatch(session_id) is not None
        and len(set(session_id)) >= MIN_DISTINCT_CHARS
    )


def new_session_id() -> str:
    """A fresh session id: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


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
        *,
        may_create: bool = True,
    ) -> SessionGrant:
        """Bind a customer connection to a conversation (see the module docstring).

        Args:
            requested_session_id: The id the client presented, if any.
            customer_ref: Verified customer of the connection (token), None when anonymous.
            may_create: False when the caller is over its budget of new conversations: only
                an existing conversation can be granted.

        Returns:
            The granted session. ``identity_required`` is set when the conversation belongs to
            a verified customer and the connection is anonymous: the caller must not deliver
            anything of it until a token for ``customer_ref`` is presented.

        Raises:
            RateLimited: A new conversation was needed and ``may_create`` is False.
        """
        now = utc_now(self._clock)
        requested = requested_session_id or None
        with self._store.write() as conn:
            if requested is not None and len(requested) <= self._config.max_id_chars:
                row = self._store.conversations.conversation_by_session(
                    conn, session_ref(requested)
                )
                if row is not None:
                    owner = None if row.customer_ref is None else str(row.customer_ref)
                    if owner == customer_ref or (owner is not None and customer_ref is None):
                        return SessionGrant(
                            conversation_id=str(row.id),
                            session_id=requested,
                            created=False,
                            state=str(row.state),
                            customer_ref=owner,
                            identity_required=owner is not None and customer_ref is None,
                            language=row.language,
                        )
                    requested = None  # someone else's: never reveal it, never reuse the id
            if not may_create:
                raise RateLimited("new conversations")
            session_id = (
                requested
                if requested is not None and adoptable(requested, self._config.max_id_chars)
                else new_session_id()
            )
            conversation_id = uuid.uuid4().hex
            self._store.conversations.insert_conversation(
                conn,
                {
                    "id": conversation_id,
                    "session_id": session_ref(session_id),
                    "session_key_hash": None,
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
            created=True,
            state="bot",
            customer_ref=customer_ref,
        )

    def bind_customer(self, conversation_id: str, customer_ref: str) -> bool:
        """Attach a verified customer to an anonymous conversation.

        From then on its session id alone no longer opens it: that customer's token is needed.

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
