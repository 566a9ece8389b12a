"""The task-success evaluation's fact checks (tests/task_eval/facts.py) can fail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.task_eval.facts import BotTurn, amounts_in, check_turn, mentions_date, render_user_text

TODAY = date(2026, 12, 3)


def turn(*texts: str, buttons=(), handed_off=False) -> BotTurn:
    return BotTurn(tuple(texts), tuple(buttons), handed_off)


def test_amounts_are_numbers():
    assert amounts_in("€1,200.00 and £45.5, card 4242") >= {
        Decimal("1200"),
        Decimal("45.5"),
        Decimal("4242"),
    }
    assert Decimal("182") not in amounts_in("ORD-104233")  # digits inside words are not amounts


def test_dates_in_common_formats():
    day = date(2026, 12, 8)
    for text in ("on 8 December 2026", "December 8th", "2026-12-08", "08/12/2026", "8 Dec"):
        assert mentions_date(text, day), text
    assert not mentions_date("18 December 2026", day)


def test_a_right_answer_passes():
    answer = turn("Your next payment is €45.50 on 8 December 2026 for ORD-104233.")
    verdict = check_turn(
        answer,
        {"order": "ORD-104233", "amounts": [45.50], "dates": [5]},
        today=TODAY,
        customer_orders=["ORD-104233", "ORD-104377"],
    )
    assert verdict.passed, verdict.problems


def test_the_wrong_order_fails_even_with_the_right_facts():
    answer = turn("ORD-104377: €45.50 on 8 December 2026 (and ORD-104233)")
    verdict = check_turn(
        answer,
        {"order": "ORD-104233", "amounts": [45.50]},
        today=TODAY,
        customer_orders=["ORD-104233", "ORD-104377"],
    )
    assert verdict.problems == ["other orders named: ORD-104377"]


def test_missing_facts_buttons_and_handoffs_fail():
    verdict = check_turn(
        turn("Which order?", handed_off=True),
        {"amounts": [91], "dates": [-9], "says": ["4242"], "buttons": ["ORD-104233"]},
        today=TODAY,
    )
    assert len(verdict.problems) == 5


def test_dates_this_month_only_checks_this_month():
    verdict = check_turn(turn("12 December 2026"), {"dates_this_month": [9, 40]}, today=TODAY)
    assert verdict.passed  # +40 is in January: not required


def test_placeholders():
    assert render_user_text("the order from {day:-3}", TODAY) == "the order from 30 November"
    assert render_user_text("my {month:-62} order", TODAY) == "my October order"
