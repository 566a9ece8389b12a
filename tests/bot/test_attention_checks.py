"""Attention checks ("hello?", "are you even reading") as a frustration signal."""

from __future__ import annotations

import pytest

from bot.attention_checks import is_attention_check
from bot.conversation_signals import (
    REASON_FRUSTRATION,
    SIGNAL_ATTENTION,
    SignalSettings,
    UserTurn,
    attention_checks,
    decide,
)

SETTINGS = SignalSettings()
ANSWER = ("Your next payment is on 3 March.",)


@pytest.mark.parametrize(
    "text",
    [
        "hello?",
        "hellooo??",
        "??? hola??",
        "???",
        "¿hola? ¿hay alguien?",
        "anyone there?",
        "are you even reading what I write",
        "r u even listening",
        "¿me estás leyendo?",
        "is anybody actually there",
    ],
)
def test_attention_checks(text: str) -> None:
    assert is_attention_check(text)


@pytest.mark.parametrize(
    "text",
    [
        "hi",
        "hola",
        "hello, how do refunds work?",
        "hello? sorry, phone died",
        "are you a bot?",
        "are you there on weekends?",
        "is there a fee?",
        "ok?",
        "what?",
        "do you read reviews?",
    ],
)
def test_other_messages_are_not(text: str) -> None:
    assert not is_attention_check(text)


def test_two_checks_after_answers_hand_off_one_does_not() -> None:
    turns = [
        UserTurn(1, "hi", "greet", bot_texts=("Hi!",)),
        UserTurn(2, "what's my balance", "nlu_fallback", 0.3, bot_texts=ANSWER),
        UserTurn(3, "hello??", "greet", bot_texts=("Hi!",)),
    ]
    signal = attention_checks(turns, SETTINGS)
    assert signal is not None
    assert signal.name == SIGNAL_ATTENTION
    assert signal.score == 1.0
    assert decide(turns, SETTINGS) is None
    turns.append(UserTurn(4, "are you even reading this", "nlu_fallback", 0.2))
    decision = decide(turns, SETTINGS)
    assert decision is not None
    assert decision.reason == REASON_FRUSTRATION


def test_a_hello_that_opens_the_conversation_is_a_greeting() -> None:
    turns = [
        UserTurn(1, "hello?", "greet", bot_texts=("Hi!",)),
        UserTurn(2, "how do refunds work", "refund_status", 0.9, bot_texts=ANSWER),
        UserTurn(3, "ok thanks", "thank", 0.9),
    ]
    assert attention_checks(turns, SETTINGS) is None
    assert decide(turns, SETTINGS) is None
