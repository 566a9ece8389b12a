"""Emails, phone numbers and order references as people type them: one rule for each.

The chat (``actions/forms.py``), the hub's leave-a-contact form (``hub/domain/contact.py``) and the
data importer (``store/imports/fields.py``) all read these values, so they share these parsers
and a value accepted in one place is accepted everywhere. Every parser takes whatever it was
given (a slot value, a JSON field, a form field) and returns the canonical string, or None when
it is not a usable value; callers that must name the bad field raise their own error.
"""

from __future__ import annotations

import re
from typing import Final

MAX_EMAIL_CHARS: Final = 254
MAX_LOCAL_PART_CHARS: Final = 64
# Practical rather than RFC-complete: an unquoted local part, one "@", a dotted domain of
# letter/digit/hyphen labels ending in a letter TLD.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,63}"
)

_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"\+?[0-9]{7,15}")

# "ORD-104233", "ord 104233", "order no. 104233", "ORD104233": an order word, an optional
# "no."/"number", an optional separator, then the digits.
_ORDER_WORD = r"ord(?:er)?"
_NUMBER_WORD = r"\s*(?:no\.?|nr\.?|number)?\s*[#:\-_.]?\s*"
_ORD_NUMBER = re.compile(rf"(?:{_ORDER_WORD})?{_NUMBER_WORD}(\d{{4,12}})", re.IGNORECASE)
# The same numbers inside a longer answer ("it's ord 104233 I think"), as whole words only.
_ORD_NUMBER_IN_TEXT = re.compile(
    rf"(?<![\w-])(?:{_ORDER_WORD}{_NUMBER_WORD}|#)?(\d{{4,12}})(?![\w-])", re.IGNORECASE
)
# Other companies' refs, e.g. "A-77812", "SO_2024_0042": letters, digits, - _ / and at least one
# digit, so everyday words ("refund", "hello") are never mistaken for an order.
_OTHER_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/]{2,31}")
_MAX_REF_INPUT = 64
_MAX_ANSWER = 500


def parse_email(value: object) -> str | None:
    """An email address with its domain lower-cased, or None if ``value`` is not one.

    Surrounding spaces and angle brackets (``<ana@example.com>``) are dropped. The local part
    is kept as typed (its owner's mail server decides what case means there); compare
    addresses case-insensitively. RFC 5321 length limits apply, and dots may not start the
    local part or stand twice in a row.
    """
    if not isinstance(value, str):
        return None
    candidate = value.strip().strip("<>").strip()
    if len(candidate) > MAX_EMAIL_CHARS or not _EMAIL.fullmatch(candidate):
        return None
    local, _, domain = candidate.rpartition("@")
    if len(local) > MAX_LOCAL_PART_CHARS or ".." in local or local.startswith("."):
        return None
    return f"{local}@{domain.lower()}"


def parse_phone(value: object) -> str | None:
    """A phone number as ``+digits`` or ``digits`` (E.164-like, 7-15 digits), or None.

    Spaces, dots, dashes, slashes and parentheses are dropped and a leading ``00`` becomes
    ``+``. Letters or any other character make the number invalid rather than being removed,
    so a person calling back never dials a guess.
    """
    if not isinstance(value, str):
        return None
    number = _PHONE_SEPARATORS.sub("", value.strip())
    if number.startswith("00"):
        number = "+" + number[2:]
    return number if _PHONE.fullmatch(number) else None


def parse_order_ref(value: object) -> str | None:
    """The canonical order ref for what was typed (``"ord 104233"``, ``"#104233"``), or None.

    ORD-style numbers become ``ORD-`` + digits; other alphanumeric refs with a digit are
    upper-cased as they are, so imported companies' references work too. The importer stores
    refs through this function and lookups normalise through it, so both sides agree.
    """
    if not isinstance(value, str):
        return None
    candidate = " ".join(value.split())
    if not candidate or len(candidate) > _MAX_REF_INPUT:
        return None
    candidate = candidate.lstrip("#").strip()
    match = _ORD_NUMBER.fullmatch(candidate)
    if match:
        return f"ORD-{match.group(1)}"
    if _OTHER_REF.fullmatch(candidate) and any(ch.isdigit() for ch in candidate):
        return candidate.upper()
    return None


def find_order_ref(value: object) -> str | None:
    """The order ref in an answer: the whole answer if it is one, else the one ORD number in it.

    Only ORD-style numbers are looked for inside longer text (other companies' refs must be
    typed on their own, so ordinary words are never mistaken for an order); an answer naming
    two different numbers is ambiguous and gives None.
    """
    if not isinstance(value, str):
        return None
    whole = parse_order_ref(value)
    if whole is not None or len(value) > _MAX_ANSWER:
        return whole
    found = {f"ORD-{match.group(1)}" for match in _ORD_NUMBER_IN_TEXT.finditer(value)}
    return found.pop() if len(found) == 1 else None
