"""The bodies of the hub's Socket.IO events: messages, errors.

Rasa clients read ``bot_uttered`` by its fields (``text``, ``quick_replies``, ``buttons``,
``attachment``, ``custom``); the hub adds the server id, the sender and the time. Error bodies
are built from stable codes, never from client input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from connectors.json import to_json
from hub.domain.errors import HubError, ValidationFailed
from hub.domain.views import MessageView

ERROR_TEXT: Final[Mapping[str, str]] = {
    "no_session": "Send session_request first.",
    "unknown_session": "That session does not belong to this connection.",
    "invalid_state": "That is not possible in the conversation's current state.",
    "invalid_transition": "That is not possible in the conversation's current state.",
    "not_found": "Not found.",
    "not_allowed": "Not allowed.",
    "claim_conflict": "Someone else already took this conversation.",
    "capacity_reached": "You are at your conversation capacity.",
    "unknown_event": "Unknown event.",
    "unauthorized": "Your session has ended; log in again.",
    "identity_mismatch": (
        "This conversation belongs to a different customer; start a new session to continue."
    ),
    "session_ended": (
        "This session now belongs to a signed-in customer; start a new session to continue."
    ),
    "rate_limited": "Too many new conversations; try again in a minute.",
    "busy": "We're very busy right now and could not take your message; send it again shortly.",
    "unavailable": "The service is temporarily unavailable; try again.",
    "internal": "Something went wrong on our side.",
}


def error_event(code: str, message: str | None = None) -> dict[str, str]:
    """An ``error`` body from a stable code."""
    return {"code": code, "message": message or ERROR_TEXT.get(code, "Request rejected.")}


def hub_error_event(exc: HubError) -> dict[str, str]:
    """A domain error as an ``error`` body."""
    if isinstance(exc, ValidationFailed):
        return error_event(exc.code, f"'{exc.field}' is not valid.")
    return error_event(exc.code)


def message_payload(message: MessageView) -> dict[str, Any]:
    """The ``bot_uttered`` (or replayed ``user_uttered``) body of a stored message."""
    payload: dict[str, Any] = dict(to_json(message.payload) or {})
    if message.text is not None:
        payload["text"] = message.text
    payload.update(
        id=message.id,
        sender={"type": message.sender_type, "name": message.sender_name},
        ts=to_json(message.created_at),
    )
    return payload
