"""Domain errors of the hub.

Each error carries the context a connector needs to answer the client (a stable ``code`` and
the ids involved) without echoing anything the client sent. Connectors map them to an
``error`` event or an HTTP status in one place.
"""

from __future__ import annotations


class HubError(Exception):
    """Base class: something the caller asked for cannot be done.

    Attributes:
        code: Stable machine-readable code, safe to send to a client.
    """

    code = "hub_error"


class NotFound(HubError):
    """A conversation, agent or ticket id that does not exist."""

    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident!r} not found")
        self.kind = kind
        self.ident = ident


class InvalidTransition(HubError):
    """The state machine does not allow this event in the current state."""

    code = "invalid_transition"

    def __init__(self, state: str, event: str) -> None:
        super().__init__(f"event {event!r} is not allowed in state {state!r}")
        self.state = state
        self.event = event


class ClaimConflict(HubError):
    """Someone else changed the conversation first (already claimed, cancelled, closed)."""

    code = "claim_conflict"

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"conversation {conversation_id} is no longer waiting")
        self.conversation_id = conversation_id


class NotAllowed(HubError):
    """The caller may not do this (not the owner, no skill for the queue, agent not online)."""

    code = "not_allowed"


class SessionEnded(HubError):
    """The agent's session token is no longer valid (logged out, expired, account disabled)."""

    code = "unauthorized"


class CapacityReached(HubError):
    """The agent already holds as many conversations as their capacity allows."""

    code = "capacity_reached"

    def __init__(self, agent_id: int, capacity: int) -> None:
        super().__init__(f"agent {agent_id} is at capacity ({capacity})")
        self.agent_id = agent_id
        self.capacity = capacity


class IdentityMismatch(HubError):
    """A verified customer token names someone other than the conversation's customer.

    A conversation is bound to at most one verified customer; a second identity is refused
    rather than re-binding (which would show one customer's transcript to another).
    """

    code = "identity_mismatch"

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"conversation {conversation_id} belongs to another customer")
        self.conversation_id = conversation_id


class ValidationFailed(HubError):
    """A value from a client or an operator is not acceptable.

    Attributes:
        field: Name of the offending field, safe to show to the client.
    """

    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RateLimited(HubError):
    """Too many of something (new conversations) from one connection or client address."""

    code = "rate_limited"

    def __init__(self, what: str) -> None:
        super().__init__(f"too many {what}")
        self.what = what


class Overloaded(HubError):
    """Too many customer messages are waiting for the bot in this hub process.

    The message is refused before it is stored, so nothing is lost: the client may send it
    again (with the same client message id) a little later.
    """

    code = "busy"

    def __init__(self, waiting: int) -> None:
        super().__init__(f"{waiting} messages already wait for the bot")
        self.waiting = waiting


class ConfigError(HubError):
    """``hub.yml`` is malformed; raised at start-up, never during a conversation."""

    code = "config_error"


class InvalidState(HubError):
    """The request does not fit the conversation's current state (e.g. a person asked twice)."""

    code = "invalid_state"

    def __init__(self, conversation_id: str, state: str) -> None:
        super().__init__(f"conversation {conversation_id} is {state}")
        self.conversation_id = conversation_id
        self.state = state
