"""Spanish wording, part 1: the shared helpers and the answers across a customer's orders.

Hand-written, neutral "tú" Spanish that reads naturally in Spain and in Latin America. Money
and dates go through ``common.formatting`` in the conversation's locale ("45,50 €",
"5 de diciembre de 2026" in es_ES). Which facts each answer gives is the same as in English
(``actions/account_replies.py``); only the words differ. :class:`SpanishWords` is completed by
:class:`actions.texts_es.SpanishReplies`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from actions.account_replies import (
    card_parts,
    due_in_month,
    instalment_totals,
    latest_payment,
    succeeded_payments,
)
from actions.conversation_language import Language
from common.formatting import format_date, format_list, format_money, format_month
from store.views import InstalmentView, OrderView, remaining_balance

CHANGE_CARD = (
    "Para usar otra tarjeta en tus planes, ve a Cuenta > Métodos de pago en la app o en la "
    'web, añádela y elige "Usar para mis planes". Se aplica desde tu próximo pago.'
)
NOTHING_LEFT_TO_PAY = "Buenas noticias: no te queda nada por pagar en ninguno de tus pedidos."


def cap(text: str) -> str:
    """The text with its first letter in upper case."""
    return text[:1].upper() + text[1:]


class SpanishWords:
    """Formatting in the conversation's locale, and the Spanish answers across orders."""

    def __init__(self, language: Language) -> None:
        """Write in Spanish, formatting money and dates in ``language.locale``."""
        self.language = language

    # --- formatting --------------------------------------------------------------------------

    def money(self, amount: Decimal, currency: str) -> str:
        """Money in the locale ("45,50 €")."""
        return format_money(amount, currency, self.language.locale)

    def day(self, value: date) -> str:
        """A day in the locale ("5 de diciembre de 2026")."""
        return format_date(value, self.language.locale)

    def join(self, items: list[str]) -> str:
        """Items joined the Spanish way: "a, b y c"."""
        return format_list(items, self.language.locale)

    def totals(self, totals: dict[str, Decimal]) -> str:
        """Amounts per currency, joined: "120,00 € y 99,99 US$"."""
        return self.join([self.money(t, c) for c, t in sorted(totals.items())])

    @staticmethod
    def order_label(order: OrderView) -> str:
        """How replies name an order: "tu pedido ORD-104233 de Northwind Outdoor"."""
        return f"tu pedido {order.order_ref} de {order.merchant_name}"

    @staticmethod
    def masked_card(method: str) -> str:
        """A payment method as brand and last four only ("la Visa terminada en 4242")."""
        parts = card_parts(method)
        if parts is None:
            return "tu tarjeta"
        brand, last4 = parts
        return f"la {brand or 'tarjeta'} terminada en {last4}"

    # --- across orders -----------------------------------------------------------------------

    def card_on_file(self, orders: Sequence[OrderView]) -> str:
        """The card each plan (or order) is charged to, from its latest payment attempt."""
        by_card: dict[str, list[OrderView]] = {}
        for order in orders:
            payment = latest_payment(order)
            if payment is not None:
                by_card.setdefault(self.masked_card(payment.method), []).append(order)
        if not by_card:
            return "Todavía no veo ninguna tarjeta en tus pedidos."
        lines = []
        for card, on in by_card.items():
            planned = [o for o in on if o.plan is not None]
            refs = self.join([o.order_ref for o in (planned or on)])
            if planned:
                lines.append(f"Los pagos de {refs} se cargan a {card}.")
            else:
                lines.append(f"El pago de {refs} se cobró a {card}.")
        lines.append(CHANGE_CARD)
        return "\n".join(lines)

    def card_on_file_for_order(self, order: OrderView) -> str:
        """The card one order is charged to."""
        payment = latest_payment(order)
        label = self.order_label(order)
        if payment is None:
            return (
                f"Todavía no ha habido ningún pago en {label}, así que no tiene tarjeta asociada."
            )
        card = self.masked_card(payment.method)
        what = "sus pagos se cargan a" if order.plan is not None else "se cobró a"
        return (
            f"{cap(label)}: {what} {card}. Para cambiar la tarjeta de tus planes, ve a Cuenta > "
            'Métodos de pago y elige "Usar para mis planes".'
        )

    def last_payment(self, orders: Sequence[OrderView]) -> str:
        """The last instalment collected, the last payment of any kind, and any later failure."""
        succeeded = succeeded_payments(orders)
        if not succeeded:
            return "Todavía no veo ningún pago completado en tus pedidos."
        lines = []
        instalments = [(p, o) for p, o in succeeded if p.instalment_sequence is not None]
        if instalments:
            payment, order = instalments[0]
            count = len(order.plan.instalments) if order.plan is not None else 0
            lines.append(
                f"Sí, tu último plazo se cobró: {self.money(payment.amount, payment.currency)} "
                f"el {self.day(payment.created_at.date())} para {self.order_label(order)} "
                f"(pago {payment.instalment_sequence} de {count})."
            )
        payment, order = succeeded[0]
        if not instalments or payment.instalment_sequence is None:
            lines.append(
                f"Tu último pago completado fue de {self.money(payment.amount, payment.currency)}"
                f" el {self.day(payment.created_at.date())} para {self.order_label(order)}"
                + (
                    ", pagado entero al hacer la compra."
                    if payment.instalment_sequence is None
                    else "."
                )
            )
        newest = max(
            ((p, o) for o in orders for p in o.payments), key=lambda pair: pair[0].created_at
        )
        if newest[0].status == "failed":
            failed, on = newest
            lines.append(
                f"Tu intento de pago más reciente, de {self.money(failed.amount, failed.currency)}"
                f" el {self.day(failed.created_at.date())} para {self.order_label(on)}, no se "
                'completó. Pregúntame "¿por qué me rechazaron el pago?" y te digo qué hacer.'
            )
        return "\n".join(lines)

    def owed_across(self, orders: Sequence[OrderView]) -> str:
        """The total still owed over every order with a balance, per currency."""
        owing = [(o, remaining_balance(o)) for o in orders if remaining_balance(o) > 0]
        if not owing:
            return NOTHING_LEFT_TO_PAY
        totals: dict[str, Decimal] = {}
        for order, balance in owing:
            totals[order.currency] = totals.get(order.currency, Decimal("0")) + balance
        lines = [f"Debes {self.totals(totals)} en total entre tus pedidos:"]
        lines.extend(
            f"- {self.money(balance, order.currency)} de {self.order_label(order)}"
            for order, balance in owing
        )
        lines.append(
            "Puedes liquidar cualquiera de ellos por adelantado cuando quieras, en la app o en la "
            "página de tu cuenta, sin ningún coste."
        )
        return "\n".join(lines)

    def due_this_month(self, orders: Sequence[OrderView], today: date) -> str | None:
        """Every payment still due this calendar month; None when there are fewer than two."""
        due = due_in_month(orders, today)
        if len(due) < 2:
            return None
        items = "; ".join(
            f"{self.money(i.amount, i.currency)} el {self.day(i.due_date)} ({o.order_ref})"
            for i, o in due
        )
        month = format_month(today, self.language.locale)
        return (
            f"Pagos de {month}: {items}. En total, {self.totals(instalment_totals(due))} este mes."
        )

    def following_payment(self, order: OrderView, instalment: InstalmentView | None) -> str:
        """The payment after the one just told, or that there is none."""
        label = self.order_label(order)
        if instalment is None:
            return f"Ese era el último pago de {label}. Con él, el plan queda pagado."
        count = len(order.plan.instalments) if order.plan is not None else instalment.sequence
        return (
            f"El pago siguiente es de {self.money(instalment.amount, instalment.currency)} el "
            f"{self.day(instalment.due_date)} para {label} (pago {instalment.sequence} de {count})."
        )
