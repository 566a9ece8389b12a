from __future__ import annotations

import pytest

from hub.domain.errors import InvalidTransition
from hub.domain.state import EVENTS, STATES, TRANSITIONS, bot_may_speak, goes_to_rasa, next_state

VALID = sorted(TRANSITIONS.items())
INVALID = sorted((s, e) for s in STATES for e in EVENTS if (s, e) not in TRANSITIONS)


@pytest.mark.parametrize(("pair", "target"), VALID)
def test_valid_transitions(pair, target):
    assert next_state(*pair) == target


@pytest.mark.parametrize(("state", "event"), INVALID)
def test_invalid_transitions_raise(state, event):
    with pytest.raises(InvalidTransition) as info:
        next_state(state, event)
    assert (info.value.state, info.value.event) == (state, event)


@pytest.mark.parametrize(("state", "event"), [("nope", "claim"), ("queued", "nope"), ("", "")])
def test_unknown_names_raise(state, event):
    with pytest.raises(InvalidTransition):
        next_state(state, event)


def test_the_documented_path_exists():
    state = "bot"
    for event in ("handoff", "claim", "hand_back", "handoff", "claim", "close", "reopen"):
        state = next_state(state, event)
    assert state == "bot"


@pytest.mark.parametrize(
    ("state", "speaks", "rasa"),
    [
        ("bot", True, True),
        ("queued", True, False),
        ("agent", False, False),
        ("closed", True, False),
    ],
)
def test_who_may_speak(state, speaks, rasa):
    assert bot_may_speak(state) is speaks
    assert goes_to_rasa(state) is rasa
