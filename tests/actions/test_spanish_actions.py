"""Every payments action answers a Spanish conversation in Spanish (issue 19).

The trackers carry the ``language`` and ``locale`` slots as the language tagger sets them.
Expected amounts and dates are computed from the seeded store with Babel in the tracker's
locale, so the tests check the actions' wording and their choice of facts, not copies of
strings; the contract's own example ("45,50 €", "6 de diciembre de 2026") is checked once
literally.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from babel.dates import format_date as babel_date
from babel.numbers import format_currency
from rasa_sdk import Tracker

from actions.account import ActionCardOnFile, ActionFollowingPayment, ActionLastPayment
from actions.declines import ActionPaymentDeclined
from actions.disputes import ActionOpenDispute
from actions.forms import ActionAskOrderNumber, ActionOrderNumberHelp, ValidateOrderForm
from actions.instalments import (
    ActionLateFees,
    ActionNextPayment,
    ActionPayEarly,
    ActionPaymentSchedule,
)
from actions.orders import ActionOrderStatus
from actions.refunds import ActionRefundStatus, ActionReturnItem
from store.repository import PaymentsRepository
from store.views import OrderView, failed_instalments, next_instalment, remaining_balance
from tests.actions.conftest import make_tracker, run_action, texts
from tests.actions.test_forms import form_tracker, rejected_turn

LOCALES = ["es_ES", "es_MX"]
# Words an English answer is made of; none may appear in a Spanish answer (store names aside).
ENGLISH_WORDS = re.compile(
    r"\b(your|you|the|payment|payments|order|orders|due|paid|refund|please|can't|isn't)\b",
    re.IGNORECASE,
)


def money(amount: Decimal, currency: str, locale: str) -> str:
    return str(format_currency(amount, currency, locale=locale))


def day(value: date, locale: str) -> str:
    return str(babel_date(value, "long", locale=locale))


def spanish(
    token_for: Callable[[str], str] | None,
    customer: str | None,
    locale: str = "es_ES",
    **slots: Any,
) -> Tracker:
    metadata = {"customer_token": token_for(customer)} if token_for and customer else {}
    return make_tracker(metadata=metadata, slots={"language": "es", "locale": locale, **slots})


def assert_spanish(text: str, orders: list[OrderView]) -> None:
    """No English sentence words once the store's own names are taken out."""
    for order in orders:
        for name in [order.merchant_name, *(i.description for i in order.items)]:
            text = text.replace(name, "")
    assert not ENGLISH_WORDS.search(text), text


def order_of(repository: PaymentsRepository, customer: str, ref: str) -> OrderView:
    order = repository.get_order(customer, ref)
    assert order is not None
    return order


async def test_the_contract_example_in_es_es(services, token_for):
    tracker = spanish(token_for, "cus_alice", order_number="ORD-104233")
    messages, _ = await run_action(ActionNextPayment(services), tracker)
    assert texts(messages) == [
        "Tu próximo pago es de 45,50\xa0€ el 6 de diciembre de 2026 para tu pedido ORD-104233 "
        "de Northwind Outdoor."
    ]


@pytest.mark.parametrize("locale", LOCALES)
async def test_next_payment_for_one_order(services, token_for, payments_repository, locale):
    order = order_of(payments_repository, "cus_alice", "ORD-104233")
    upcoming = next_instalment(order, services.today())
    assert upcoming is not None
    tracker = spanish(token_for, "cus_alice", locale, order_number="ORD-104233")
    messages, events = await run_action(ActionNextPayment(services), tracker)
    assert texts(messages) == [
        f"Tu próximo pago es de {money(upcoming.amount, upcoming.currency, locale)} el "
        f"{day(upcoming.due_date, locale)} para tu pedido ORD-104233 de {order.merchant_name}."
    ]
    assert events[0]["value"] == f"ORD-104233#{upcoming.sequence}"


async def test_es_mx_follows_its_own_cldr_rules(services, token_for):
    tracker = spanish(token_for, "cus_alice", "es_MX", order_number="ORD-104233")
    (text,) = texts((await run_action(ActionNextPayment(services), tracker))[0])
    assert "EUR45.50" in text  # es_MX: ISO code in front, a point for decimals
    assert "6 de diciembre de 2026" in text


@pytest.mark.parametrize("locale", LOCALES)
async def test_next_payment_across_orders_with_this_month(
    services, token_for, payments_repository, locale
):
    orders = payments_repository.list_orders("cus_dan")
    today = services.today()
    upcoming = sorted(
        (i.due_date, i.amount, i.currency, o.order_ref)
        for o in orders
        if (i := next_instalment(o, today)) is not None
    )
    (text,) = texts(
        (await run_action(ActionNextPayment(services), spanish(token_for, "cus_dan", locale)))[0]
    )
    first, others, this_month = text.split("\n")
    due, amount, currency, ref = upcoming[0]
    assert first.startswith(
        f"Tu próximo pago es de {money(amount, currency, locale)} el {day(due, locale)} para "
        f"tu pedido {ref} de "
    )
    assert others.startswith(f"También tienes pagos próximos en {len(upcoming) - 1} pedido más.")
    month_dues = [
        (i.due_date, o.order_ref, i.amount)
        for o in orders
        if o.plan
        for i in o.plan.instalments
        if i.status == "scheduled" and i.due_date >= today and i.due_date.month == today.month
    ]
    total = sum((a for _, _, a in month_dues), Decimal("0"))
    assert this_month.startswith("Pagos de diciembre: ")
    assert this_month.endswith(f"En total, {money(total, 'USD', locale)} este mes.")
    for due_date, ref, amount in month_dues:
        assert f"{money(amount, 'USD', locale)} el {day(due_date, locale)} ({ref})" in this_month
    assert_spanish(text, orders)


async def test_next_payment_says_the_declined_one_first(services, token_for, payments_repository):
    order = order_of(payments_repository, "cus_carmen", "ORD-104512")
    (failed,) = failed_instalments(order)
    (text,) = texts(
        (await run_action(ActionNextPayment(services), spanish(token_for, "cus_carmen")))[0]
    )
    assert text.startswith(
        f"Tu pago de {money(failed.amount, failed.currency, 'es_ES')} que vencía el "
        f"{day(failed.due_date, 'es_ES')} para tu pedido ORD-104512 de Casa Verde Hogar fue "
        "rechazado y sigue sin pagar"
    )
    assert "Pedidos > ORD-104512 > Pagar ahora" in text


async def test_overdue_payment_with_late_fee(services, token_for, payments_repository):
    order = order_of(payments_repository, "cus_bob", "ORD-104410")
    assert order.plan is not None
    overdue = next(i for i in order.plan.instalments if i.status == "overdue")
    tracker = spanish(token_for, "cus_bob", order_number="ORD-104410")
    (text,) = texts((await run_action(ActionLateFees(services), tracker))[0])
    fee = money(overdue.late_fee, overdue.currency, "es_ES")
    both = money(overdue.amount + overdue.late_fee, overdue.currency, "es_ES")
    assert f"está vencido, más un recargo por demora de {fee} ({both} en total" in text
    assert f"Para ponerte al día, paga ahora {both}." in text
    assert_spanish(text, [order])


async def test_no_late_fees_then_the_spanish_policy_response(services, token_for):
    tracker = spanish(token_for, "cus_alice", order_number="ORD-104233")
    messages, _ = await run_action(ActionLateFees(services), tracker)
    assert texts(messages) == [
        "Buenas noticias: no tienes ningún pago vencido, así que no debes ningún recargo por "
        "demora.",
        "utter_late_fees_policy",  # domain.yml picks the Spanish variation on the language slot
    ]


@pytest.mark.parametrize("locale", LOCALES)
async def test_payment_schedule(services, token_for, payments_repository, locale):
    order = order_of(payments_repository, "cus_bob", "ORD-104410")
    plan = order.plan
    assert plan is not None
    tracker = spanish(token_for, "cus_bob", locale, order_number="ORD-104410")
    (text,) = texts((await run_action(ActionPaymentSchedule(services), tracker))[0])
    head, *lines = text.split("\n")
    assert head == (
        f"Este es el plan de pagos de tu pedido ORD-104410 de {order.merchant_name} "
        f"(4 pagos, {money(plan.total, plan.currency, locale)} en total):"
    )
    words = {"paid": "pagado", "scheduled": "pendiente", "overdue": "vencido"}
    assert len(lines) == len(plan.instalments)
    for line, instalment in zip(lines, plan.instalments, strict=True):
        assert line.startswith(
            f"{instalment.sequence}. {money(instalment.amount, instalment.currency, locale)} el "
            f"{day(instalment.due_date, locale)}: {words[instalment.status]}"
        )


async def test_pay_early_for_one_order(services, token_for, payments_repository):
    order = order_of(payments_repository, "cus_bob", "ORD-104410")
    tracker = spanish(token_for, "cus_bob", order_number="ORD-104410")
    (text,) = texts((await run_action(ActionPayEarly(services), tracker))[0])
    balance = money(remaining_balance(order), order.currency, "es_ES")
    assert text.startswith(
        f"Tu pedido ORD-104410 de {order.merchant_name} aún no está pagado del todo: te quedan "
        f"{balance} por pagar"
    )
    assert text.endswith("Pagar por adelantado no tiene ningún coste.")


async def test_total_owed_across_orders(services, token_for, payments_repository):
    orders = payments_repository.list_orders("cus_dan")
    owing = [o for o in orders if remaining_balance(o) > 0]
    assert len(owing) > 1
    (text,) = texts((await run_action(ActionPayEarly(services), spanish(token_for, "cus_dan")))[0])
    total = sum((remaining_balance(o) for o in owing), Decimal("0"))
    assert text.startswith(f"Debes {money(total, 'USD', 'es_ES')} en total entre tus pedidos:")
    for order in owing:
        balance = money(remaining_balance(order), order.currency, "es_ES")
        assert f"- {balance} de tu pedido {order.order_ref} de {order.merchant_name}" in text
    assert_spanish(text, orders)


async def test_order_status_in_transit(services, token_for, payments_repository):
    order = order_of(payments_repository, "cus_carmen", "ORD-104530")
    assert order.shipped_at is not None
    tracker = spanish(token_for, "cus_carmen", "es_MX", order_number="ORD-104530")
    (text,) = texts((await run_action(ActionOrderStatus(services), tracker))[0])
    assert text == (
        f"Tu pedido ORD-104530 de Casa Verde Hogar ({order.items[0].description}) está en camino "
        f"con {order.carrier} desde el {day(order.shipped_at.date(), 'es_MX')}. El número de "
        f"seguimiento de {order.carrier} es {order.tracking_number}."
    )


async def test_order_status_delivered_lists_items_the_spanish_way(services, token_for):
    tracker = spanish(token_for, "cus_alice", order_number="ORD-104233")
    (text,) = texts((await run_action(ActionOrderStatus(services), tracker))[0])
    assert text.startswith("Tu pedido ORD-104233 de Northwind Outdoor (Trailhead 2-person tent y ")
    assert " se entregó el " in text


async def test_refund_status(services, token_for, payments_repository):
    order = order_of(payments_repository, "cus_bob", "ORD-104455")
    (refund,) = order.refunds
    tracker = spanish(token_for, "cus_bob", order_number="ORD-104455")
    (text,) = texts((await run_action(ActionRefundStatus(services), tracker))[0])
    assert text.startswith(
        f"Tu reembolso de {money(refund.amount, refund.currency, 'es_ES')} de tu pedido "
        f"ORD-104455 de {order.merchant_name} (ref. {refund.refund_ref}) se está procesando."
    )
    if refund.expected_by is not None:
        assert f"como muy tarde el {day(refund.expected_by, 'es_ES')}" in text


async def test_return_item(services, token_for, payments_repository):
    order = order_of(payments_repository, "cus_alice", "ORD-104233")
    tracker = spanish(token_for, "cus_alice", order_number="ORD-104233")
    (text,) = texts((await run_action(ActionReturnItem(services), tracker))[0])
    assert text.startswith(
        f"Para devolver algo de tu pedido ORD-104233 de {order.merchant_name}, inicia la "
        f"devolución con {order.merchant_name} en "
    )
    assert_spanish(text.replace(order.merchant_support_url or "", ""), [order])


async def test_payment_declined(services, token_for, payments_repository):
    order = order_of(payments_repository, "cus_carmen", "ORD-104512")
    (failed,) = failed_instalments(order)
    tracker = spanish(token_for, "cus_carmen", order_number="ORD-104512")
    (text,) = texts((await run_action(ActionPaymentDeclined(services), tracker))[0])
    assert text.startswith(
        f"Tu pago de {money(failed.amount, failed.currency, 'es_ES')} con vencimiento el "
        f"{day(failed.due_date, 'es_ES')} para tu pedido ORD-104512 de Casa Verde Hogar no se "
        "completó: tu banco lo rechazó por fondos insuficientes."
    )
    assert_spanish(text, [order])


async def test_open_dispute_already_open(services, token_for):
    tracker = spanish(token_for, "cus_carmen", order_number="ORD-104530")
    messages, events = await run_action(ActionOpenDispute(services), tracker)
    assert texts(messages) == [
        "Ya hay una disputa abierta sobre tu pedido ORD-104530 de Casa Verde Hogar (ref. "
        "DSP-30530). Te paso con nuestro equipo de disputas para que te pongan al día."
    ]
    assert {"event": "slot", "timestamp": None, "name": "handoff_queue", "value": "disputes"} in (
        events
    )


async def test_card_on_file(services, token_for, payments_repository):
    (text,) = texts(
        (await run_action(ActionCardOnFile(services), spanish(token_for, "cus_carmen")))[0]
    )
    assert "la Mastercard terminada en 5100" in text
    assert text.endswith('elige "Usar para mis planes". Se aplica desde tu próximo pago.')
    assert_spanish(text, payments_repository.list_orders("cus_carmen"))


async def test_last_payment(services, token_for, payments_repository):
    orders = payments_repository.list_orders("cus_alice")
    (text,) = texts(
        (await run_action(ActionLastPayment(services), spanish(token_for, "cus_alice")))[0]
    )
    payment, order = max(
        ((p, o) for o in orders for p in o.payments if p.status == "succeeded"
         and p.instalment_sequence is not None),
        key=lambda pair: pair[0].created_at,
    )  # fmt: skip
    assert text.startswith(
        f"Sí, tu último plazo se cobró: {money(payment.amount, payment.currency, 'es_ES')} el "
        f"{day(payment.created_at.date(), 'es_ES')} para tu pedido {order.order_ref} de "
    )


async def test_following_payment(services, token_for, payments_repository):
    order = order_of(payments_repository, "cus_alice", "ORD-104233")
    assert order.plan is not None
    tracker = spanish(token_for, "cus_alice", instalment_ref="ORD-104233#3")
    (text,) = texts((await run_action(ActionFollowingPayment(services), tracker))[0])
    fourth = order.plan.instalments[3]
    assert text == (
        f"El pago siguiente es de {money(fourth.amount, fourth.currency, 'es_ES')} el "
        f"{day(fourth.due_date, 'es_ES')} para tu pedido ORD-104233 de Northwind Outdoor "
        f"(pago 4 de {len(order.plan.instalments)})."
    )


async def test_anonymous_needs_order_and_email(services):
    tracker = spanish(None, None, order_number="ORD-104233")
    messages, _ = await run_action(ActionNextPayment(services), tracker)
    assert texts(messages) == [
        "Para buscarlo necesito tu número de pedido y el correo electrónico que usaste al hacer "
        "la compra. ¿Cuál es tu número de pedido?"
    ]


async def test_unknown_order_on_the_account(services, token_for):
    tracker = spanish(token_for, "cus_alice", order_number="ORD-104512")
    messages, _ = await run_action(ActionOrderStatus(services), tracker)
    assert texts(messages) == [
        "No encuentro el pedido ORD-104512 en tu cuenta. ¿Puedes revisar el número? Lo tienes "
        "en el correo de confirmación del pedido."
    ]


async def test_several_orders_are_offered_with_a_spanish_question(services, token_for):
    tracker = spanish(token_for, "cus_bob")
    messages, _ = await run_action(ActionRefundStatus(services), tracker)
    assert texts(messages) == ["¿De qué pedido es el reembolso?"]
    # Button payloads are the same in every language; titles are the store's names.
    assert all(b["payload"].startswith('/inform{"order_number":') for b in messages[0]["buttons"])


async def test_ask_order_number_and_help(services, token_for):
    tracker = spanish(token_for, "cus_alice", requested_topic="payment_schedule")
    messages, _ = await run_action(ActionAskOrderNumber(services), tracker)
    assert texts(messages) == ["¿De qué pedido quieres ver el calendario de pagos?"]
    messages, _ = await run_action(ActionOrderNumberHelp(services), tracker)
    assert texts(messages) == ["Sin problema, no necesitas el número: elige el pedido."]
    messages, _ = await run_action(ActionOrderNumberHelp(services), spanish(None, None))
    assert texts(messages)[0].startswith("Tu número de pedido (tiene este formato: ORD-123456)")
    assert messages[0]["buttons"] == [
        {"title": "Hablar con una persona", "payload": "/request_human"}
    ]


async def test_form_rejections_explain_in_spanish(services, domain):
    tracker = form_tracker(
        slots={"language": "es", "locale": "es_ES"},
        earlier=rejected_turn("no sé"),
        candidates={"order_number": "ni idea"},
    )
    messages, _ = await run_action(ValidateOrderForm(services), tracker, domain)
    assert texts(messages)[0] == "utter_order_number_invalid"  # Spanish variation in domain.yml
    assert texts(messages)[1].startswith("Tu número de pedido (tiene este formato: ORD-123456)")
    assert messages[1]["buttons"] == [
        {"title": "Hablar con una persona", "payload": "/request_human"}
    ]


async def test_english_slots_keep_the_english_answer(services, token_for):
    """language=en with an English or a mismatched locale: the long-standing English text."""
    english = "Your next payment is €45.50 on 6 December 2026 for your Northwind Outdoor order"
    for slots in ({"language": "en", "locale": "en_US"}, {"language": None, "locale": "es_MX"}):
        tracker = make_tracker(
            metadata={"customer_token": token_for("cus_alice")},
            slots={"order_number": "ORD-104233", **slots},
        )
        (text,) = texts((await run_action(ActionNextPayment(services), tracker))[0])
        assert text.startswith(english)
