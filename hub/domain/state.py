"""The conversation state machine, as pure data and one function.

``bot -> queued -> agent -> (bot | closed)``; a waiting customer may cancel (``queued -> bot``), a
supervisor may close a waiting conversation (``queued -> closed``), an agent may transfer or lose
the conversation back to the queue (``agent -> queued``), and a customer who writes after a close
reopens the conversation with the bot (``closed -> bot``). Keeping the table pure lets tests
enumerate every pair, and lets the store apply a transition only with a conditional update on
the state it read (so two processes can never both apply one).
"""

from __future__ import annotations

from typing import Final, Literal, cast, get_args

from hub.domain.errors import InvalidTransition

State = Literal["bot", "queued", "agent", "closed"]
Event = Literal["handoff", "cancel", "claim", "hand_back", "close", "transfer", "requeue", "reopen"]

STATES: Final[tuple[State, ...]] = get_args(State)
EVENTS: Final[tuple[Event, ...]] = get_args(Event)

TRANSITIONS: Final[dict[tuple[State, Event], State]] = {
    ("bot", "handoff"): "queued",
    ("queued", "cancel"): "bot",
    ("queued", "claim"): "agent",
    ("queued", "close"): "closed",
    ("agent", "hand_back"): "bot",
    ("agent", "close"): "closed",
    ("agent", "transfer"): "queued",
    ("agent", "requeue"): "queued",
    ("closed", "reopen"): "bot",
}


def next_state(state: str, event: str) -> State:
    """Return the state that ``event`` leads to from ``state``.

    Args:
        state: Current state as stored.
        event: What happened.

    Returns:
        The new state.

    Raises:
        InvalidTransition: The pair is not in the table (including unknown names).
    """
    target = cast("dict[tuple[str, str], State]", TRANSITIONS).get((state, event))
    if target is None:
        raise InvalidTransition(state, event)
    return target


def bot_may_speak(state: str) -> bool:
    """Whether bot output may reach the customer: never while a person owns the conversation."""
    return state != "agent"


def goes_to_rasa(state: str) -> bool:
    """Whether a customer message should be sent to Rasa for a prediction.

    Only in ``bot``: while queued the customer is waiting for a person (the bot is paused by
    ``action_handoff``), and while an agent owns the conversation nothing reaches Rasa.
    """
    return state == "bot"
