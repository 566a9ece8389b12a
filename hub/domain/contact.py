"""The contact a customer leaves when nobody can take over: validated before it is stored.

Both the email address and the phone number must be usable by a person calling back; the
rules are the ones the chat and the importer use too (``common/customer_input.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from common.customer_input import parse_email, parse_phone
from hub.domain.errors import ValidationFailed


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
    clean_email = _parsed(email, parse_email, "email", "not a valid email address")
    clean_phone = _parsed(phone, parse_phone, "phone", "not a valid phone number (7 to 15 digits)")
    clean_note = note.strip() if note else None
    if clean_note and len(clean_note) > max_note_chars:
        raise ValidationFailed("note", f"longer than {max_note_chars} characters")
    return clean_email, clean_phone, clean_note or None


def _parsed(
    raw: str | None, parse: Callable[[object], str | None], field: str, reason: str
) -> str | None:
    """``parse(raw)`` (rules in ``common.customer_input``); a rejected value names its field."""
    if not raw:
        return None
    clean = parse(raw)
    if clean is None:
        raise ValidationFailed(field, reason)
    return clean
