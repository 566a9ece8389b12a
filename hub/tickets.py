"""Tickets and callbacks: validation of the contact a customer leaves, and the snapshot.

When nobody can take a conversation (out of hours, no agent online) the customer may leave an
email address or a phone number. Both are validated strictly enough to be usable by a person
calling back, and the ticket keeps a copy of the transcript so it still makes sense if the
conversation continues or is reopened later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from hub import models as m
from hub.errors import ValidationFailed
from hub.views import TicketView, TranscriptLine

MAX_EMAIL_CHARS: Final = 254
MAX_LOCAL_PART_CHARS: Final = 64
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,63}$"
)
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"^\+?[0-9]{7,15}$")


def normalise_email(raw: str) -> str:
    """Return a usable email address (domain lower-cased) or raise ValidationFailed.

    The pattern is deliberately practical rather than RFC-complete: one ``@``, a dotted
    domain with a letter TLD, no spaces or quoted local parts, RFC 5321 length limits.
    """
    value = raw.strip()
    if not value or len(value) > MAX_EMAIL_CHARS or not _EMAIL.match(value):
        raise ValidationFailed("email", "not a valid email address")
    local, _, domain = value.rpartition("@")
    if len(local) > MAX_LOCAL_PART_CHARS or ".." in local or local.startswith("."):
        raise ValidationFailed("email", "not a valid email address")
    return f"{local}@{domain.lower()}"


def normalise_phone(raw: str) -> str:
    """Return a phone number as ``+digits`` or ``digits`` (E.164-like, 7-15 digits).

    Spaces, dots, dashes, slashes and parentheses are dropped; a leading ``00`` becomes ``+``.
    Letters or any other character make the number invalid rather than silently removed.
    """
    value = _PHONE_SEPARATORS.sub("", raw.strip())
    if value.startswith("00"):
        value = "+" + value[2:]
    if not _PHONE.match(value):
        raise ValidationFailed("phone", "not a valid phone number (7 to 15 digits)")
    return value


def validate_contact(
    email: str | None, phone: str | None, note: str | None, max_note_chars: int
) -> tuple[str | None, str | None, str | None]:
    """Validate what the customer left: at least one contact, each valid, a bounded note.

    Returns:
        ``(email, phone, note)`` normalised; empty strings become None.

    Raises:
        ValidationFailed: No contact, a malformed one, or an over-long note.
    """
    email = email.strip() if email else None
    phone = phone.strip() if phone else None
    if not email and not phone:
        raise ValidationFailed("contact", "an email address or a phone number is needed")
    clean_email = normalise_email(email) if email else None
    clean_phone = normalise_phone(phone) if phone else None
    clean_note = note.strip() if note else None
    if clean_note and len(clean_note) > max_note_chars:
        raise ValidationFailed("note", f"longer than {max_note_chars} characters")
    return clean_email, clean_phone, clean_note or None


def transcript_snapshot(messages: Iterable[m.Message]) -> list[dict[str, Any]]:
    """JSON-ready copy of a conversation's messages for the ticket."""
    return [
        {
            "id": int(msg.id),
            "sender_type": msg.sender_type,
            "sender_name": msg.sender_name,
            "text": msg.text,
            "created_at": msg.created_at.isoformat(),
        }
        for msg in messages
    ]


def ticket_view(row: m.Ticket, *, with_transcript: bool = True) -> TicketView:
    """Freeze a ticket row into a view."""
    lines = tuple(
        TranscriptLine(
            id=int(item["id"]),
            sender_type=str(item["sender_type"]),
            sender_name=item.get("sender_name"),
            text=item.get("text"),
            created_at=datetime.fromisoformat(item["created_at"]),
        )
        for item in (row.transcript or [])
    )
    return TicketView(
        ticket_id=int(row.id),
        conversation_id=str(row.conversation_id),
        kind="callback" if row.kind == "callback" else "email",
        email=row.email,
        phone=row.phone,
        note=row.note,
        queue=str(row.queue),
        reason=row.reason,
        customer_ref=row.customer_ref,
        status=str(row.status),
        created_at=row.created_at,
        transcript=lines if with_transcript else (),
    )
