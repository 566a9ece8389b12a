"""Normalising the order numbers customers type into the refs the store keys on."""

from __future__ import annotations

import re

# "ORD-104233", "ord 104233", "#104233", "104233", "order no. 104233", "ORD104233".
_ORD_NUMBER = re.compile(
    r"^(?:ord(?:er)?)?\s*(?:no\.?|nr\.?|number)?\s*[#:\-_.]?\s*(\d{4,12})$", re.IGNORECASE
)
# Other companies' refs, e.g. "A-77812", "SO_2024_0042": letters, digits, - _ / and at least one
# digit, so everyday words ("refund", "hello") are never mistaken for an order.
_OTHER_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/]{2,31}$")
_MAX_INPUT = 64


def normalise_order_ref(text: str) -> str | None:
    """Turn what a customer typed into a canonical order ref, or None if it is not one.

    ORD-style numbers become ``ORD-`` + digits; other alphanumeric refs are uppercased as-is so
    imported companies' references work too (the importer stores refs through this function, so
    both sides agree).

    Args:
        text: Raw user or file input, e.g. ``"ord 104233"`` or ``"#104233"``.
    """
    if not isinstance(text, str):
        return None
    candidate = " ".join(text.strip().split())
    if not candidate or len(candidate) > _MAX_INPUT:
        return None
    candidate = candidate.lstrip("#").strip()
    match = _ORD_NUMBER.match(candidate)
    if match:
        return f"ORD-{match.group(1)}"
    if _OTHER_REF.match(candidate) and any(ch.isdigit() for ch in candidate):
        return candidate.upper()
    return None
