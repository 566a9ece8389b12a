"""The hub's own handoff summary: deterministic, bounded, built only from the transcript."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hub.domain.summary import MAX_SUMMARY_CHARS, build_summary, order_refs


@dataclass(frozen=True)
class Line:
    sender_type: str
    text: str | None


def lines(*pairs: tuple[str, str | None]) -> list[Line]:
    return [Line(sender, text) for sender, text in pairs]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("where is ORD-104233?", ["ORD-104233"], id="canonical"),
        pytest.param("order 104233 please", ["ORD-104233"], id="order-word"),
        pytest.param("ord 104233", ["ORD-104233"], id="ord-word"),
        pytest.param("it's #104233.", ["ORD-104233"], id="hash"),
        pytest.param("104233", ["ORD-104233"], id="bare-six-digits"),
        pytest.param("ref A-77812 from the shop", ["A-77812"], id="merchant-ref"),
        pytest.param('/inform{"order_number":"ORD-104288"}', ["ORD-104288"], id="button"),
        pytest.param("ORD-104233 and ord-104233 again", ["ORD-104233"], id="deduplicated"),
        pytest.param("paid 2024, call 07700900123, 25.00 EUR", [], id="numbers-are-not-orders"),
        pytest.param("covid-19 delayed it, 3rd time", [], id="short-refs-ignored"),
        pytest.param("no order here", [], id="none"),
    ],
)
def test_order_refs(text, expected):
    assert order_refs([text]) == expected


def test_summary_of_a_button_handoff_for_a_verified_customer():
    transcript = lines(
        ("customer", "when is my next payment?"),
        ("bot", "Your next instalment is EUR 25.00 on 3 March for ORD-104233."),
        ("system", "I'm connecting you with a person."),
        ("customer", "my card was declined on order 104288"),
    )
    summary = build_summary(
        transcript,
        reason="explicit_request",
        customer_ref="cus_alice",
        signals=[{"name": "handoff_button", "score": 1.0, "evidence": "button"}],
    )
    assert summary == (
        'Handoff: the customer asked for a person ("Talk to a person" button). '
        "Customer: verified, cus_alice. Orders mentioned: ORD-104288. "
        'Customer said: "when is my next payment?" / "my card was declined on order 104288" '
        'Bot last said: "Your next instalment is EUR 25.00 on 3 March for ORD-104233."'
    )


@pytest.mark.parametrize(
    ("reason", "signals", "expected"),
    [
        pytest.param(
            "explicit_request",
            [{"name": "explicit_request", "source": "hub_guard", "evidence": "talk to a human"}],
            'the customer asked for a person (said "talk to a human")',
            id="phrase-guard",
        ),
        pytest.param(
            "bot_failure",
            [{"name": "bot_failure", "evidence": "timeout"}],
            "the bot could not answer (technical failure): timeout",
            id="fail-open",
        ),
        pytest.param("frustration", [], "the customer seemed frustrated", id="frustration"),
        pytest.param("other", [], "handoff requested", id="unknown"),
    ],
)
def test_summary_says_why(reason, signals, expected):
    summary = build_summary([], reason=reason, customer_ref=None, signals=signals)
    assert summary.startswith(f"Handoff: {expected}. Customer: anonymous (not verified).")
    assert summary.endswith("The customer has not written anything yet.")


def test_only_the_last_three_customer_messages_are_quoted_and_buttons_are_readable():
    transcript = lines(
        *[("customer", f"message {n}") for n in range(1, 5)],
        ("customer", '/inform{"order_number":"ORD-104233"}'),
    )
    summary = build_summary(transcript, reason="explicit_request", customer_ref=None)
    assert 'Customer said: (2 earlier) "message 3" / "message 4" / ' in summary
    assert '"[button: inform ORD-104233]"' in summary
    assert "message 1" not in summary
    assert "{" not in summary


def test_summary_is_bounded_and_keeps_the_important_parts_first():
    long = "word " * 400
    transcript = lines(("customer", f"ORD-104233 {long}"), ("bot", long), ("customer", long))
    summary = build_summary(transcript, reason="frustration", customer_ref="cus_bob")
    assert len(summary) <= MAX_SUMMARY_CHARS
    assert summary.count("…") == 3  # each long quote is clipped
    short = build_summary(transcript, reason="frustration", customer_ref="cus_bob", max_chars=150)
    assert len(short) <= 150
    assert short.endswith("…")
    assert "Customer: verified, cus_bob. Orders mentioned: ORD-104233." in short


def test_summary_is_deterministic():
    transcript = lines(("customer", "help with #104233"), ("bot", "Sure."))
    first = build_summary(transcript, reason="topic", customer_ref=None)
    assert first == build_summary(list(transcript), reason="topic", customer_ref=None)
