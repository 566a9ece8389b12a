"""The bodies of the hub's Socket.IO events: messages, errors.

Customers get ``bot_uttered`` in exactly the shapes of Rasa 3.6's socket.io channel
(``rasa/core/channels/socketio.py``): ``{text}``, ``{text, quick_replies}``, ``{attachment}``,
or a custom payload's ``data``. Rasa web chat draws a message by its exact key set and drops
anything else, so everything the hub adds (server id, sender, time, handoff state) goes under
``metadata``, the one key those clients remove first. Agents (``/agent``, not a Rasa protocol)
get the flat shape. Error bodies are built from stable codes, never from client input.
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


def agent_attribution(name: str | None, text: str) -> str:
    """How an agent's message reads in a client that shows only text (a Rasa widget).

    Such a widget draws every message as the bot's, so the customer would not know a person
    wrote it: the text says so, with the agent's display name.
    """
    return f"{name or 'Someone'} from our team: {text}"


def customer_payload(message: MessageView) -> dict[str, Any]:
    """The ``bot_uttered`` body of a stored bot, agent or system message for customers.

    The legacy part is what Rasa's socket.io channel would emit for the same bot message
    (``buttons`` become ``quick_replies``; only those, as Rasa sends them); the hub's
    additions are in ``metadata``: ``id``, ``sender``, ``ts``, and ``handoff_status`` for a
    handoff notice. An agent's message reads ``"<name> from our team: <text>"`` in ``text``;
    its own words are in ``metadata.text``.
    """
    stored = message.payload or {}
    text = message.text
    meta: dict[str, Any] = {
        "id": message.id,
        "sender": {"type": message.sender_type, "name": message.sender_name},
        "ts": to_json(message.created_at),
    }
    status = stored.get("handoff_status")
    if status is not None:
        meta["handoff_status"] = status
    body: dict[str, Any]
    custom = stored.get("custom")
    if isinstance(custom, dict):
        data = custom.get("data")
        body = dict(to_json(data)) if isinstance(data, dict) else {"custom": to_json(custom)}
    elif stored.get("attachment") is not None:
        body = {"attachment": to_json(stored["attachment"])}
    elif stored.get("quick_replies") or stored.get("buttons"):
        replies = stored.get("quick_replies") or [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in stored["buttons"]
            if isinstance(b, dict)
        ]
        body = {"text": text or "", "quick_replies": to_json(replies)}
    else:
        body = {"text": text or ""}
    if message.sender_type == "agent" and text is not None:
        body["text"] = agent_attribution(message.sender_name, text)
        meta["text"] = text
    given = body.get("metadata")  # a custom payload's own metadata (e.g. rasa-webchat's linkTarget)
    body["metadata"] = {**given, **meta} if isinstance(given, dict) else meta
    return body


def replayed_customer_payload(message: MessageView) -> dict[str, Any]:
    """A customer's own stored message as replayed to them (``user_uttered``, new clients)."""
    return {
        "text": message.text or "",
        "metadata": {
            "id": message.id,
            "sender": {"type": "customer", "name": None},
            "ts": to_json(message.created_at),
            "client_msg_id": message.client_msg_id,
        },
    }


def message_payload(message: MessageView) -> dict[str, Any]:
    """The flat body of a stored message for agents (``/agent`` ``message``)."""
    payload: dict[str, Any] = dict(to_json(message.payload) or {})
    if message.text is not None:
        payload["text"] = message.text
    payload.update(
        id=message.id,
        sender={"type": message.sender_type, "name": message.sender_name},
        ts=to_json(message.created_at),
    )
    return payload
