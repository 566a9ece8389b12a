"""Validation of incoming Socket.IO event payloads.

Clients are untrusted: every event is checked here for shape, types, size and valid
UTF-8 before anything is stored or forwarded. Parsers return small frozen dataclasses
so the namespaces only ever see clean values, and raise ``EventError`` with a stable
error code that the namespace sends back as an ``error`` event. Error messages never
contain the offending input.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.domain.language import page_language_from, page_language_tag
from hub.domain.policy import HubConfig
from hub.domain.views import PRESENCES

MAX_METADATA_BYTES = 16_384
MAX_DEPTH = 8
# The largest Socket.IO frame (one event, its JSON included) the hub reads; a larger one is
# answered ``too_large`` without being parsed. The transport reads up to
# ``connectors.socket_base.MAX_TRANSPORT_BYTES`` so that it can be answered at all.
MAX_FRAME_CHARS = 256 * 1024
# Ids are 64-bit integers in the store (SQLite and PostgreSQL alike).
MAX_STORED_ID = 2**63 - 1


class EventError(Exception):
    """An event was rejected; ``code`` is the machine-readable reason for the client.

    Codes: ``malformed`` (wrong shape, types or missing fields), ``too_large``,
    ``invalid_encoding`` (not valid UTF-8), plus the codes the namespaces add
    (``no_session``, ``unknown_session``, ``invalid_state``, ``not_found``,
    ``forbidden``, ``unknown_event``, ``unavailable``, ``internal``).
    """

    def __init__(self, code: str, message: str) -> None:
        """Keep the code and the client-facing message (never echoing input)."""
        super().__init__(message)
        self.code = code
        self.message = message

    def as_event(self) -> dict[str, str]:
        """The ``error`` event payload."""
        return {"code": self.code, "message": self.message}


def clean_value(value: Any, depth: int = 0) -> Any:
    """Return ``value`` with every string proven to be valid UTF-8.

    Socket.IO text frames are JSON, which can carry lone surrogates (escaped ``ud800``);
    binary attachments arrive as ``bytes``. Strings with surrogates and bytes that are
    not UTF-8 are rejected; valid bytes are decoded to ``str``.

    Raises:
        EventError: ``invalid_encoding`` or ``malformed`` (too deeply nested, NaN).
    """
    if depth > MAX_DEPTH:
        raise EventError("malformed", "The event is nested too deeply.")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EventError("invalid_encoding", "Text must be valid UTF-8.") from exc
        return value
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventError("invalid_encoding", "Text must be valid UTF-8.") from exc
    if isinstance(value, dict):
        return {clean_value(k, depth + 1): clean_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise EventError("malformed", "Numbers must be finite.")
    if value is None or isinstance(value, bool | int | float):
        return value
    raise EventError("malformed", "The event contains an unsupported value type.")


def decode_frame(text: str | bytes) -> Any:
    """The JSON of one incoming Socket.IO frame, within the hub's limits.

    Raises:
        EventError: ``too_large`` above :data:`MAX_FRAME_CHARS` (not parsed at all),
            ``malformed`` for invalid JSON or JSON nested too deeply to parse.
    """
    if len(text) > MAX_FRAME_CHARS:
        raise EventError("too_large", "The event is too large.")
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise EventError("malformed", "The event is nested too deeply.") from exc
    except ValueError as exc:
        raise EventError("malformed", "The event is not valid JSON.") from exc


def _mapping(data: Any, event: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise EventError("malformed", f"{event} expects a JSON object.")
    cleaned = clean_value(data)
    assert isinstance(cleaned, dict)
    return cleaned


def _text(
    data: Mapping[str, Any], key: str, *, max_chars: int, required: bool = True
) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise EventError("malformed", f"'{key}' is required.")
        return None
    if not isinstance(value, str):
        raise EventError("malformed", f"'{key}' must be a string.")
    if len(value) > max_chars:
        raise EventError("too_large", f"'{key}' is longer than {max_chars} characters.")
    return value


def _required_text(data: Mapping[str, Any], key: str, *, max_chars: int) -> str:
    value = _text(data, key, max_chars=max_chars)
    assert value is not None
    if not value.strip():
        raise EventError("malformed", f"'{key}' must not be empty.")
    return value


def _identifier(data: Mapping[str, Any], key: str, *, required: bool, max_chars: int) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise EventError("malformed", f"'{key}' is required.")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise EventError("malformed", f"'{key}' must be a string.")
    if len(value) > max_chars:
        raise EventError("too_large", f"'{key}' is too long.")
    return value


@dataclass(frozen=True)
class SessionRequest:
    """``session_request``: the session a client wants back (if any).

    ``replay_from`` is set when the client sent ``last_seen_id`` (the hub's own widget): the
    hub then replays what follows it; ``(None,)`` means from the start. Rasa clients send no
    cursor (None).
    """

    session_id: str | None
    replay_from: tuple[int | None] | None = None


@dataclass(frozen=True)
class UserUttered:
    """``user_uttered``: one customer message; ``message`` None for an empty one.

    Rasa web chat sends ``user_uttered`` without ``message`` when it opens with no
    ``initPayload``; Rasa answers nothing visible to that, and so does the hub.
    """

    message: str | None
    session_id: str | None
    metadata: dict[str, Any]
    client_msg_id: str | None
    # The host page's language tag (BCP 47): the hub's widget sends ``page_language`` beside
    # the message, Rasa web chat hosts put it in their metadata (issue 19); None when absent.
    page_language: str | None = None


@dataclass(frozen=True)
class Resume:
    """``resume``: replay everything after ``last_seen_id``."""

    session_id: str | None
    last_seen_id: int | None


@dataclass(frozen=True)
class LeaveContact:
    """``leave_contact``: how the customer wants to be reached when nobody is online."""

    email: str | None
    phone: str | None
    note: str | None


@dataclass(frozen=True)
class AgentReply:
    """``reply``: an agent's message to the customer of a conversation they own."""

    conversation_id: str
    text: str
    client_msg_id: str | None


class EventParser:
    """Parses every client event with the limits of the hub's policy (read once).

    Args:
        policy: Where the text, note and id limits come from.
    """

    def __init__(self, policy: HubConfig, metadata_key: str = "metadata") -> None:
        self.metadata_key = metadata_key
        self.max_text_chars = policy.max_message_chars
        self.max_note_chars = policy.max_note_chars
        self.max_id_chars = policy.max_id_chars

    def _id(self, data: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
        return _identifier(data, key, required=required, max_chars=self.max_id_chars)

    def _required_id(self, data: Mapping[str, Any], key: str) -> str:
        value = self._id(data, key, required=True)
        assert value is not None
        return value

    def session_request(self, data: Any) -> SessionRequest:
        """``session_request {session_id?, last_seen_id?}``.

        Rasa clients may send nothing, ``{session_id: null}`` or the bare id. Other fields
        (e.g. the retired ``session_key``) are ignored.
        """
        if data is None:
            return SessionRequest(None)
        if isinstance(data, str | bytes):
            # Some clients send the bare session id.
            return SessionRequest(self._id({"s": clean_value(data)}, "s"))
        fields = _mapping(data, "session_request")
        replay_from = (_message_id(fields, "last_seen_id"),) if "last_seen_id" in fields else None
        return SessionRequest(self._id(fields, "session_id"), replay_from)

    def user_uttered(self, data: Any) -> UserUttered:
        """``user_uttered {message, session_id, <metadata_key>, client_msg_id?}``.

        The metadata is read from the configured key (``metadata``, as Rasa's default;
        ``customData`` for rasa-webchat), an object or (as Rasa accepts) a JSON string. A
        missing, null or blank ``message`` is an empty message (None), not an error. The
        page's language: a well-formed ``page_language`` field, else one in the metadata
        (``hub.domain.language.PAGE_LANGUAGE_KEYS``); anything malformed is ignored.
        """
        fields = _mapping(data, "user_uttered")
        message = _text(fields, "message", max_chars=self.max_text_chars, required=False)
        metadata = _metadata(fields.get(self.metadata_key))
        return UserUttered(
            message=message if message is not None and message.strip() else None,
            session_id=self._id(fields, "session_id"),
            metadata=metadata,
            client_msg_id=self._id(fields, "client_msg_id"),
            page_language=page_language_tag(fields.get("page_language"))
            or page_language_from(metadata),
        )

    def session_only(self, data: Any, event: str) -> str | None:
        """Events whose only field is an optional ``session_id``."""
        if data is None:
            return None
        return self._id(_mapping(data, event), "session_id")

    def resume(self, data: Any) -> Resume:
        """``resume {session_id, last_seen_id}`` (``last_seen_id`` null = from the start)."""
        fields = _mapping(data, "resume")
        return Resume(self._id(fields, "session_id"), _message_id(fields, "last_seen_id"))

    def leave_contact(self, data: Any) -> LeaveContact:
        """``leave_contact {email?, phone?, note?}``; at least one way to reach them.

        Only shape and size are checked here; the ticket service validates the address.
        """
        fields = _mapping(data, "leave_contact")
        email = _text(fields, "email", max_chars=254, required=False)
        phone = _text(fields, "phone", max_chars=32, required=False)
        note = _text(fields, "note", max_chars=self.max_note_chars, required=False)
        if not (email and email.strip()) and not (phone and phone.strip()):
            raise EventError("malformed", "Give an email address or a phone number.")
        return LeaveContact(email or None, phone or None, note or None)

    def rate(self, data: Any) -> int:
        """``rate {score}`` with an integer score from 1 to 5."""
        fields = _mapping(data, "rate")
        score = fields.get("score")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise EventError("malformed", "'score' must be an integer from 1 to 5.")
        return score

    # ---- agent events -------------------------------------------------------------------

    def conversation_ref(self, data: Any, event: str) -> str:
        """Events addressed to one conversation: ``{conversation_id}``."""
        return self._required_id(_mapping(data, event), "conversation_id")

    def ticket_ref(self, data: Any, event: str) -> int:
        """Events addressed to one ticket: ``{ticket_id}`` (a positive integer)."""
        ticket_id = _mapping(data, event).get("ticket_id")
        if (
            isinstance(ticket_id, bool)
            or not isinstance(ticket_id, int)
            or not 1 <= ticket_id <= MAX_STORED_ID
        ):
            raise EventError("malformed", "'ticket_id' must be a ticket id.")
        return ticket_id

    def agent_reply(self, data: Any) -> AgentReply:
        """``reply {conversation_id, text, client_msg_id?}``."""
        fields = _mapping(data, "reply")
        return AgentReply(
            conversation_id=self._required_id(fields, "conversation_id"),
            text=_required_text(fields, "text", max_chars=self.max_text_chars),
            client_msg_id=self._id(fields, "client_msg_id"),
        )

    def transfer(self, data: Any) -> tuple[str, str]:
        """``transfer {conversation_id, queue}``."""
        fields = _mapping(data, "transfer")
        return self._required_id(fields, "conversation_id"), self._required_id(fields, "queue")

    def close(self, data: Any) -> tuple[str, str]:
        """``close {conversation_id, disposition}``."""
        fields = _mapping(data, "close")
        return (
            self._required_id(fields, "conversation_id"),
            self._required_id(fields, "disposition"),
        )

    def presence(self, data: Any) -> str:
        """``presence {status: online|away|offline}``."""
        status = _mapping(data, "presence").get("status")
        if status not in PRESENCES:
            raise EventError("malformed", "'status' must be online, away or offline.")
        assert isinstance(status, str)
        return status


def _message_id(fields: Mapping[str, Any], key: str) -> int | None:
    """A server message id or null (``last_seen_id``)."""
    value = fields.get(key)
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_STORED_ID
    ):
        raise EventError("malformed", f"'{key}' must be a message id (or null).")
    return value if isinstance(value, int) else None


def _metadata(raw: Any) -> dict[str, Any]:
    """A message's metadata: an object, or a JSON string of one, of bounded size."""
    if raw is None:
        metadata: dict[str, Any] = {}
    elif isinstance(raw, dict):
        metadata = raw
    elif isinstance(raw, str):
        if len(raw) > MAX_METADATA_BYTES:
            raise EventError("too_large", "'metadata' is too large.")
        try:
            decoded = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise EventError("malformed", "'metadata' is not valid JSON.") from exc
        if not isinstance(decoded, dict):
            raise EventError("malformed", "'metadata' must be an object.")
        metadata = clean_value(decoded)
    else:
        raise EventError("malformed", "'metadata' must be an object.")
    if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        raise EventError("too_large", "'metadata' is too large.")
    return metadata
