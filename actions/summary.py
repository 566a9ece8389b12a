"""A short, deterministic summary of the conversation for the agent who takes over.

Built only from tracker events (no language model, nothing downloaded): what the customer
wanted (intents in plain words, their latest messages quoted briefly), what the bot looked up
and answered, the order in question, whether the customer is verified, and how frustration
developed. The agent reads it in a few seconds instead of scrolling the transcript, so it is
capped at :data:`MAX_SUMMARY_CHARS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.conversation_signals import UserTurn, turns_from_event_dicts

MAX_SUMMARY_CHARS = 600

# The conversation's language, said first when it is not English (agents reply in it).
LANGUAGE_NAMES: dict[str, str] = {"es": "Spanish"}

INTENT_WORDS: dict[str, str] = {
    "order_status": "order status",
    "next_payment": "next payment",
    "payment_schedule": "payment schedule",
    "pay_early": "paying early",
    "refund_status": "a refund",
    "return_item": "returning an item",
    "payment_declined": "a declined payment",
    "change_payment_method": "changing payment method",
    "late_fees": "late fees",
    "dispute_charge": "disputing a charge",
    "request_human": "talking to a person",
    "complain": "a complaint",
    "report_fraud": "suspected fraud",
    "cannot_afford": "difficulty paying",
    "bereavement": "a bereavement",
    "out_of_scope": "something out of scope",
    "bot_challenge": "whether this is a bot",
}

ACTION_WORDS: dict[str, str] = {
    "action_order_status": "order status",
    "action_next_payment": "next payment",
    "action_payment_schedule": "payment schedule",
    "action_pay_early": "early payoff",
    "action_late_fees": "late fees",
    "action_refund_status": "refunds",
    "action_return_item": "returns",
    "action_payment_declined": "declined payment",
    "action_open_dispute": "opened a dispute",
}

# Actions that are plumbing, not something the bot did for the customer.
_SILENT_ACTIONS = frozenset(
    {
        "action_listen",
        "action_session_start",
        "action_extract_slots",
        "action_handoff",
        "action_handback",
        "validate_order_form",
        "order_form",
        "action_default_fallback",
        "action_deactivate_loop",
    }
)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wanted(turns: Sequence[UserTurn]) -> str:
    counts: dict[str, int] = {}
    for turn in turns:
        words = INTENT_WORDS.get(turn.intent or "")
        if words is not None and not turn.external:
            counts[words] = counts.get(words, 0) + 1
    if not counts:
        return "unclear"
    return ", ".join(f"{words} (x{n})" if n > 1 else words for words, n in counts.items())


def _looked_up(turns: Sequence[UserTurn]) -> list[str]:
    seen: list[str] = []
    for turn in turns:
        for action in turn.actions:
            if action in _SILENT_ACTIONS or action.startswith("utter_"):
                continue
            words = ACTION_WORDS.get(action, action.removeprefix("action_").replace("_", " "))
            if words not in seen:
                seen.append(words)
    return seen


def _trajectory(turns: Sequence[UserTurn]) -> str:
    scores = [turn.frustration for turn in turns if not turn.external]
    if not scores or max(scores) < 0.15:
        return "calm"
    trail = " > ".join(f"{score:.1f}" for score in scores[-5:])
    if len(scores) >= 2 and scores[-1] > scores[0]:
        return f"rising ({trail})"
    return f"{trail}"


def build_summary(
    events: Sequence[Mapping[str, Any]],
    *,
    order_number: str | None,
    authenticated: bool | None,
    language: str | None = None,
) -> str:
    """Summarise the conversation since the session start (or the last hand-back).

    Args:
        events: The tracker's events as dicts (rasa-sdk ``tracker.events``).
        order_number: The order in question (``order_number`` slot), if any.
        authenticated: ``True`` for a verified customer token, ``False`` for anonymous,
            ``None`` when identity could not be checked.
        language: The conversation's language code (``language`` slot); any language other
            than English is named first ("Language: Spanish."). The summary itself stays in
            English: it is written for the agent console.

    Returns:
        At most :data:`MAX_SUMMARY_CHARS` characters, one clause per fact.
    """
    turns = [turn for turn in turns_from_event_dicts(events) if not turn.external]
    identity = {True: "verified customer", False: "anonymous (not verified)", None: "unknown"}[
        authenticated
    ]
    parts = [f"Wants: {_wanted(turns)}."]
    if language in LANGUAGE_NAMES:
        parts.insert(0, f"Language: {LANGUAGE_NAMES[language]}.")
    quotes = [f'"{_clip(turn.text, 70)}"' for turn in turns[-2:] if turn.text]
    if quotes:
        parts.append(f"Last said: {' / '.join(quotes)}.")
    looked_up = _looked_up(turns)
    parts.append(f"Bot checked: {', '.join(looked_up)}." if looked_up else "Bot looked nothing up.")
    answers = [text for turn in turns for text in turn.bot_texts]
    if answers:
        parts.append(f'Last bot reply: "{_clip(answers[-1], 90)}".')
    parts.append(f"Order: {order_number or 'none given'}. Identity: {identity}.")
    parts.append(f"Mood: {_trajectory(turns)}.")
    summary = " ".join(parts)
    return _clip(summary, MAX_SUMMARY_CHARS)
