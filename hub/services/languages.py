"""The conversation's language, decided on each customer message and kept with it (issue 19).

The decision is the one shared with the bot (``common.language.choose_language``): the host
page's language and the conversation's previous language are its priors, so "ok", "gracias"
or an order number alone do not flip it. It runs inside the transaction that stores the
customer's message, under the conversation's row lock, so concurrent messages of one
conversation decide in order.
"""

from __future__ import annotations

from typing import Any

from common.language import choose_language
from hub.domain.language import served_language
from hub.domain.views import PendingTurn
from hub.persistence.mapping import message_view


def language_after(
    target: Any, text: str, page_language: str | None
) -> tuple[str, str | None, bool]:
    """The conversation's language after this customer message, and whether it changed.

    Args:
        target: The conversation's row as ``MessageRepository.message_target`` read it
            (under the row lock of the transaction that stores the message).
        text: The (masked) message.
        page_language: The page's tag sent with this message; None keeps the one stored.

    Returns:
        ``(language, page_language, changed)``; the caller stores a change with the message
        (``MessageRepository.insert_message``).
    """
    page = page_language or target.page_language
    choice = choose_language(text, page_language=page, previous_language=target.language)
    language = served_language(choice.code)
    return language, page, (language, page) != (target.language, target.page_language)


def pending_turn(row: Any) -> PendingTurn:
    """A row of ``MessageRepository.open_turns`` as a pending turn, with its language."""
    return PendingTurn(
        message_view(row),
        str(row.session_id),
        row.turn_state,
        row.turn_handoff,
        row.language,
        row.page_language,
    )


def with_language(
    metadata: dict[str, Any], language: str | None, page_language: str | None
) -> dict[str, Any]:
    """The bot's metadata with the hub's decision: ``language`` and ``page_language``.

    The bot's language tagger trusts ``metadata.language`` (docs/protocol.md, "Language");
    ``page_language`` is left out when no client reported one.
    """
    extra: dict[str, Any] = {"language": served_language(language)}
    if page_language:
        extra["page_language"] = page_language
    return {**metadata, **extra}
