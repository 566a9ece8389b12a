"""The lexical money-taken-wrongly reading (bot/money_reading.py) and its use by the policy."""

from __future__ import annotations

import pytest

from bot.conversation_signals import REASON_TOPIC, SignalSettings, UserTurn, decide
from bot.money_reading import charge_at, settlement_only, taken_after_settlement

SETTINGS = SignalSettings()


@pytest.mark.parametrize(
    "text",
    [
        "I posted the shoes back and the refund landed, but you've taken another instalment since",
        "you charged me the last payment even though the refund had already cleared it",
        "the order got cancelled and yet 20 pounds was taken from my card this morning",
        "I paid the plan off in May and you still billed me in June",
        "devolví el abrigo y me reembolsaron, pero luego me cobraron otra cuota",
        "anularon el pedido y aun así me descontaron el pago",
    ],
)
def test_a_charge_after_the_money_was_settled_reads_as_money_taken_wrongly(text: str) -> None:
    assert taken_after_settlement(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "when will the refund show on my card?",
        "why was I charged a late fee?",
        "my bank said the charge is still pending, when will it show as paid?",
        "I was charged for the lamp, now I've returned it, when is my refund?",
        "I cancelled my order, will I still be charged?",
        "I cancelled and haven't been charged, right?",
        "I returned it, has the payment been charged back?",
        "me cancelaron el pedido, ¿cuándo me devuelven el dinero?",
        "no me han cobrado nada después de cancelar, ¿verdad?",
    ],
)
def test_routine_questions_about_a_charge_do_not(text: str) -> None:
    assert taken_after_settlement(text) is None


def test_the_settling_event_may_come_in_an_earlier_message() -> None:
    earlier = ["hi", "my blender order was cancelled last week"]
    assert taken_after_settlement("so why have you taken 30 dollars for it today", earlier)
    assert taken_after_settlement("so why have you taken 30 dollars for it today", ["hi"]) is None
    # a late-fee question after a return is left to the NLU
    assert taken_after_settlement("why was I charged a late fee?", ["I sent it back"]) is None


def test_a_settling_event_without_money_words_is_not_money_taken_wrongly() -> None:
    assert settlement_only("me cancelaron el pedido de la silla")
    assert settlement_only("my order got cancelled didn't it")
    assert not settlement_only("I cancelled the order and you still took the payment")
    assert not settlement_only("the refund came in and then you debited 30 pounds")
    assert charge_at("you haven't taken it yet") == -1


def test_the_policy_hands_off_a_charge_after_an_earlier_cancellation() -> None:
    turns = [
        UserTurn(1, "hello", "greet"),
        UserTurn(2, "my kettle order got cancelled", "nlu_fallback", 0.3, bot_texts=("Sorry?",)),
        UserTurn(3, "then why has 25 dollars just been taken from my card", "card_on_file", 0.7),
    ]
    decision = decide(turns, SETTINGS)
    assert decision is not None
    assert decision.reason == REASON_TOPIC
    assert decision.queue == "disputes"
    assert decide(turns[:2], SETTINGS) is None


def test_the_policy_ignores_the_nlu_money_reading_of_a_bare_cancellation() -> None:
    turns = [UserTurn(1, "me cancelaron el pedido de la silla", "money_taken_wrongly", 0.9)]
    assert decide(turns, SETTINGS) is None


def test_a_settling_event_on_top_of_an_earlier_charge() -> None:
    earlier = ["you took the instalment twice"]
    assert taken_after_settlement("and on top of that the order was cancelled", earlier)
    assert taken_after_settlement("and on top of that the order was cancelled", ["hi"]) is None
    routine = ["I was charged for the lamp"]
    assert taken_after_settlement("I returned it, when is my refund?", routine) is None
