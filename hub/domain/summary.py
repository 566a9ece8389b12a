"""A deterministic handoff summary built from the stored transcript.

When the hub itself hands a customer to a person (the widget's "talk to a person" button, the
hub's explicit-request guard, fail-open after a bot failure) there is no summary from the bot,
and a bot payload may carry an empty one. The agent still needs the gist at a glance: why the
customer is here, what they asked, what the bot last said, which orders came up and whether the
customer is verified. This module builds that from the transcript alone: pure, no clock, no
database, same input -> same text, so it is tested exhaustively and never invents anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Protocol

from common.customer_input import parse_order_ref
from hub.domain.language import language_note

MAX_SUMMARY_CHARS: Final = 600
CUSTOMER_QUOTES: Final = 3
QUOTE_CHARS: Final = 90
BOT_QUOTE_CHARS: Final = 120
MAX_ORDERS: Final = 5

_ELLIPSIS: Final = "…"
# "/inform{"order_number":"ORD-104233"}": what a widget button sends as the message text.
_INTENT_PAYLOAD: Final = re.compile(r"^/([A-Za-z_][\w.-]*)(\{.*\})?\s*$", re.DOTALL)
_ORDER_WORD: Final = re.compile(r"^(?:ord|order|#)", re.IGNORECASE)
_SEPARATED_REF: Final = re.compile(r"^[A-Za-z]+[-_/][\w\-/]*$")
# Punctuation around a token, including typographic quotes (written as escapes).
_PUNCTUATION: Final = ".,;:!?()[]{}<>\"'\u201c\u201d\u2018\u2019"
_DEMO_DIGITS: Final = 6  # demo and most merchant order numbers: ORD- + six digits
_MIN_REF_DIGITS: Final = 4

_REASONS: Final[Mapping[str, str]] = {
    "explicit_request": "the customer asked for a person",
    "frustration": "the customer seemed frustrated",
    "topic": "the topic needs a person",
    "bot_failure": "the bot could not answer (technical failure)",
}


class TranscriptLine(Protocol):
    """What the summary reads from a stored message (``hub.domain.views.MessageView`` fits)."""

    @property
    def sender_type(self) -> str:
        """``customer``, ``bot``, ``agent`` or ``system``."""

    @property
    def text(self) -> str | None:
        """The message text, None for payload-only messages."""


def _clip(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary when possible."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + _ELLIPSIS


def _button_payload(text: str) -> tuple[str, dict[str, Any]] | None:
    """``(intent, entities)`` of a Rasa intent payload such as ``/inform{...}``, else None."""
    match = _INTENT_PAYLOAD.match(text.strip())
    if match is None:
        return None
    entities: dict[str, Any] = {}
    if match.group(2):
        try:
            decoded = json.loads(match.group(2))
        except ValueError:
            return None
        if not isinstance(decoded, dict):
            return None
        entities = decoded
    return match.group(1), entities


def _readable(text: str) -> str:
    """A customer message as an agent should read it (button payloads described, not raw)."""
    payload = _button_payload(text)
    if payload is None:
        return text
    intent, entities = payload
    values = [str(v) for v in entities.values() if isinstance(v, str | int | float)]
    return f"[button: {intent}{' ' + ', '.join(values) if values else ''}]"


def _ref_from_token(token: str) -> str | None:
    """An order ref from one token, only when it plausibly is one.

    ``parse_order_ref`` accepts any 4-12 digit number, which would turn years, amounts and
    phone numbers into "orders"; a token counts only when it names an order (``ORD…``, ``#…``),
    is a bare six-digit order number, or is a separated merchant ref with enough digits
    (``A-77812``).
    """
    cleaned = token.strip(_PUNCTUATION)
    digits = sum(ch.isdigit() for ch in cleaned)
    if digits < _MIN_REF_DIGITS:
        return None
    ref = parse_order_ref(cleaned)
    if ref is None:
        return None
    if ref.startswith("ORD-"):
        named = _ORDER_WORD.match(cleaned) is not None
        return ref if named or (cleaned.isdigit() and len(cleaned) == _DEMO_DIGITS) else None
    return ref if _SEPARATED_REF.match(cleaned) else None


def order_refs(texts: Iterable[str]) -> list[str]:
    """Order refs mentioned in ``texts``, first mention first, without duplicates.

    Handles "ORD-104233", "#104233", "104233", "order 104233" / "ord 104233" (two words) and
    button payloads carrying an ``order_number``.
    """
    found: dict[str, None] = {}
    for text in texts:
        payload = _button_payload(text)
        if payload is not None:
            for key, value in payload[1].items():
                if key == "order_number" and isinstance(value, str | int):
                    ref = parse_order_ref(str(value))
                    if ref is not None:
                        found.setdefault(ref, None)
            continue
        tokens = text.split()
        for index, token in enumerate(tokens):
            ref = _ref_from_token(token)
            bare = token.strip(_PUNCTUATION)
            if ref is None and index > 0 and bare.isdigit() and len(bare) >= _MIN_REF_DIGITS:
                previous = tokens[index - 1].strip(_PUNCTUATION).lower()
                if previous in {"ord", "order"}:
                    ref = parse_order_ref(f"{previous} {bare}")
            if ref is not None:
                found.setdefault(ref, None)
    return list(found)


def _why(reason: str | None, signals: Sequence[Mapping[str, Any]]) -> str:
    why = _REASONS.get(reason or "", "handoff requested")
    names = {str(s.get("name")) for s in signals}
    if "handoff_button" in names:
        return f'{why} ("Talk to a person" button)'
    for signal in signals:
        if signal.get("source") == "hub_guard" and isinstance(signal.get("evidence"), str):
            return f'{why} (said "{_clip(signal["evidence"], 40)}")'
        if signal.get("name") == "bot_failure" and isinstance(signal.get("evidence"), str):
            return f"{why}: {_clip(signal['evidence'], 30)}"
    return why


def build_summary(
    transcript: Sequence[TranscriptLine],
    *,
    reason: str | None,
    customer_ref: str | None,
    signals: Sequence[Mapping[str, Any]] = (),
    max_chars: int = MAX_SUMMARY_CHARS,
    language: str | None = None,
    page_language: str | None = None,
) -> str:
    """Summarise a conversation for the agent who will take it over.

    Args:
        transcript: The stored messages, oldest first (system messages are ignored).
        reason: The handoff reason (``explicit_request``, ``bot_failure``, ...).
        customer_ref: The verified customer, None when anonymous.
        signals: The handoff signals (say whether the button, the phrase guard or a bot
            failure triggered it).
        max_chars: Hard limit of the result.
        language: The conversation's language (``en``, ``es``); None leaves it out.
        page_language: The host page's language tag, said with the language when known.

    Returns:
        At most ``max_chars`` characters, e.g. ``Handoff: the customer asked for a person
        ("Talk to a person" button). Customer: verified, cus_alice. Orders mentioned:
        ORD-104233. Customer said: "my card was declined" Bot last said: "..."``; with a
        ``language``, ``Language: Spanish.`` follows the customer.
    """
    customer_texts = [
        line.text for line in transcript if line.sender_type == "customer" and line.text
    ]
    bot_texts = [line.text for line in transcript if line.sender_type == "bot" and line.text]
    parts = [f"Handoff: {_why(reason, signals)}."]
    parts.append(
        f"Customer: verified, {customer_ref}."
        if customer_ref
        else "Customer: anonymous (not verified)."
    )
    if language is not None:
        parts.append(language_note(language, page_language))
    refs = order_refs(customer_texts)
    if refs:
        more = f" (+{len(refs) - MAX_ORDERS} more)" if len(refs) > MAX_ORDERS else ""
        parts.append(f"Orders mentioned: {', '.join(refs[:MAX_ORDERS])}{more}.")
    if customer_texts:
        quotes = " / ".join(
            f'"{_clip(_readable(t), QUOTE_CHARS)}"' for t in customer_texts[-CUSTOMER_QUOTES:]
        )
        earlier = len(customer_texts) - CUSTOMER_QUOTES
        prefix = f"({earlier} earlier) " if earlier > 0 else ""
        parts.append(f"Customer said: {prefix}{quotes}")
    else:
        parts.append("The customer has not written anything yet.")
    if bot_texts:
        parts.append(f'Bot last said: "{_clip(bot_texts[-1], BOT_QUOTE_CHARS)}"')
    # Over the limit the tail is cut, so the parts are in order of importance.
    return _clip(" ".join(parts), max_chars)
