"""Pure wording helpers: every stored value has words, and the domain has every response."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from actions import replies
from store.constants import FAILURE_CODES, INSTALMENT_STATUSES, PLAN_KINDS


@pytest.mark.parametrize("code", FAILURE_CODES)
def test_every_failure_code_has_plain_words_and_advice(code):
    reason, advice = replies.failure_reason(code)
    assert (reason, advice) != replies._UNKNOWN_FAILURE
    assert code not in reason  # plain words, not the code


def test_failure_wording_for_insufficient_funds():
    assert replies.failure_reason("insufficient_funds")[0] == (
        "your bank declined it for insufficient funds"
    )


@pytest.mark.parametrize("status", INSTALMENT_STATUSES)
def test_every_instalment_status_has_words(status):
    assert status in replies._STATUS_WORDS


@pytest.mark.parametrize("kind", PLAN_KINDS)
def test_every_plan_kind_has_a_name(kind):
    assert kind in replies._PLAN_NAMES


@pytest.mark.parametrize(
    "response",
    [
        replies.RESPONSE_RECORDS_UNAVAILABLE,
        replies.RESPONSE_ORDER_NUMBER_INVALID,
        replies.RESPONSE_EMAIL_INVALID,
        replies.RESPONSE_ORDER_NOT_FOUND,
        replies.RESPONSE_ASK_ORDER_NUMBER,
        replies.RESPONSE_LATE_FEES_POLICY,
    ],
)
def test_responses_used_by_actions_exist_in_the_domain(domain, response):
    assert response in domain["responses"]


def test_button_payload_is_an_inform_with_the_order(payments_repository):
    (order, *_) = payments_repository.list_orders("cus_alice")
    button = replies.order_button(order)
    assert button == {
        "title": f"{order.order_ref} · {order.merchant_name} · {order.items[0].description}",
        "payload": f'/inform{{"order_number":"{order.order_ref}"}}',
    }


def test_declined_payment_after_the_retry_and_with_a_fee(payments_repository):
    order = payments_repository.get_order("cus_carmen", "ORD-104512")
    assert order is not None
    assert order.plan is not None
    failed = next(i for i in order.plan.instalments if i.status == "failed")
    later = date(2026, 12, 20)
    text = replies.declined_payment(order, replace(failed, late_fee=failed.late_fee + 5), later)
    assert "Our automatic retry has already happened, so please pay it yourself." in text
    assert text.endswith("A late fee of €5.00 has been added.")
