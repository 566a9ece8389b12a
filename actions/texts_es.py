"""Spanish wording, part 2: fixed texts and the answers about one order.

The same facts as ``actions/replies.py`` (which instalment, amount, date, status, what to do
next), written in hand-made, neutral "tú" Spanish. The order, item and merchant names come from
the store as they are. Fixed texts a designer edits live in ``domain.yml`` as Spanish response
variations; these are the ones an action writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from actions.account_texts_es import NOTHING_LEFT_TO_PAY, SpanishWords, cap
from actions.replies import (
    LATE_FEE_GRACE_DAYS,
    RETRY_AFTER_DAYS,
    missed_instalments,
)
from actions.topics import unpaid_with_fees
from store.views import (
    InstalmentView,
    OrderView,
    RefundView,
    failed_instalments,
    next_instalment,
    remaining_balance,
)

HOW_TO_PAY = "en la app o en la página de tu cuenta (Pedidos > {ref} > Pagar ahora)"

_FAILURE_REASONS: dict[str, tuple[str, str]] = {
    "insufficient_funds": (
        "tu banco lo rechazó por fondos insuficientes",
        "Asegúrate de tener saldo suficiente en la cuenta antes de que lo volvamos a intentar.",
    ),
    "card_expired": (
        "la tarjeta registrada ha expirado",
        "Añade una tarjeta nueva en la app o en la página de tu cuenta, en Métodos de pago.",
    ),
    "do_not_honor": (
        "tu banco lo rechazó sin indicarnos el motivo",
        "Tu banco puede decirte por qué, así que vale la pena llamarles.",
    ),
    "authentication_failed": (
        "el pago no se aprobó en la verificación de seguridad de tu banco",
        "Si pagas en la app, puedes aprobar el pago con tu banco al momento.",
    ),
    "card_declined": (
        "tu tarjeta fue rechazada",
        "Consulta con tu banco o añade otra tarjeta en Métodos de pago.",
    ),
    "processing_error": (
        "hubo un problema técnico por nuestra parte, no con tu tarjeta",
        "No tienes que hacer nada con tu tarjeta.",
    ),
}
_UNKNOWN_FAILURE = (
    "no sabemos el motivo exacto",
    "Revisa los datos de tu tarjeta o añade otra en Métodos de pago.",
)

_STATUS_WORDS = {
    "scheduled": "pendiente",
    "paid": "pagado",
    "overdue": "vencido",
    "failed": "rechazado, aún sin pagar",
}

_PLAN_NAMES = {
    "pay_in_3": "3 pagos",
    "pay_in_4": "4 pagos",
    "monthly_3": "3 pagos mensuales",
    "monthly_6": "6 pagos mensuales",
    "monthly_12": "12 pagos mensuales",
    "monthly_24": "24 pagos mensuales",
}

_CHOOSE_TEXTS = {
    "refund_status": "¿De qué pedido es el reembolso?",
    "return_item": "¿De qué pedido quieres devolver algo?",
    "payment_declined": "¿De qué pedido es el pago rechazado?",
    "dispute_charge": "¿Sobre qué pedido quieres abrir una disputa?",
    "pay_early": "¿Qué pedido quieres liquidar por adelantado?",
    "payment_schedule": "¿De qué pedido quieres ver el calendario de pagos?",
}

_NOTHING_RELEVANT = {
    "payment_schedule": (
        "Ninguno de tus pedidos tiene un plan de pagos: todos se pagaron enteros al hacer la "
        "compra."
    ),
    "pay_early": NOTHING_LEFT_TO_PAY,
    "refund_status": "Ahora mismo no veo ningún reembolso en tus pedidos.",
    "payment_declined": "No veo ningún pago rechazado en tus pedidos.",
}

GET_HELP = (
    "Tu número de pedido (tiene este formato: ORD-123456) está en el correo de confirmación que "
    "te enviamos y en la página de tu cuenta, en Pedidos. Si tienes cuenta, inicia sesión en "
    "esta página y podré encontrar tus pedidos sin el número. O, si lo prefieres, te paso con "
    "una persona de nuestro equipo."
)

STOP_ASKING = (
    "No pasa nada, dejemos el número de pedido por ahora. Por tu seguridad no puedo buscar "
    "pedidos en este chat solo con una dirección de correo. Cuando encuentres el número (tiene "
    "este formato: ORD-123456, y está en el correo de confirmación del pedido o en Pedidos, en "
    "la página de tu cuenta), envíamelo aquí; o inicia sesión en esta página y podré encontrar "
    "tus pedidos sin él. ¿Te ayudo con algo más?"
)


class SpanishReplies(SpanishWords):
    """Everything the actions write, in Spanish (see :class:`actions.wording.Replies`)."""

    # --- fixed texts -------------------------------------------------------------------------

    def talk_to_person_button(self) -> dict[str, str]:
        """The button that asks for a person (same payload as in English)."""
        return {"title": "Hablar con una persona", "payload": "/request_human"}

    def unexpected_error(self) -> str:
        """The apology for a failure on our side."""
        return (
            "Lo siento, algo falló por mi parte al buscar esa información. Vuelve a intentarlo "
            "en un momento o, si prefieres, te paso con una persona de nuestro equipo."
        )

    def need_order_and_email(self) -> str:
        """What an anonymous customer must give."""
        return (
            "Para buscarlo necesito tu número de pedido y el correo electrónico que usaste al "
            "hacer la compra. ¿Cuál es tu número de pedido?"
        )

    def no_orders_on_account(self) -> str:
        """A signed-in customer without orders."""
        return (
            "No veo ningún pedido en tu cuenta. Si compraste con otra cuenta, inicia sesión con "
            "ella y vuelve a preguntarme."
        )

    def no_order_matches(self) -> str:
        """Something was named that no order has."""
        return (
            "No encuentro eso entre los pedidos de tu cuenta, así que prefiero no adivinar. "
            "Estos son tus pedidos:"
        )

    def several_orders_match(self) -> str:
        """Several orders fit what was said."""
        return "Hay más de un pedido que encaja. ¿A cuál te refieres?"

    def nothing_relevant(self, topic: str) -> str | None:
        """No order fits the topic at all, when the topic has a reply for that."""
        return _NOTHING_RELEVANT.get(topic)

    def choose_order_text(self, topic: str | None) -> str:
        """The question before the order buttons."""
        return _CHOOSE_TEXTS.get(topic or "", "¿A qué pedido te refieres?")

    def order_not_on_account(self, order_ref: str) -> str:
        """Unknown order for a signed-in customer (same text whether it exists or not)."""
        return (
            f"No encuentro el pedido {order_ref} en tu cuenta. ¿Puedes revisar el número? "
            "Lo tienes en el correo de confirmación del pedido."
        )

    def get_help(self) -> str:
        """Where to find the order number."""
        return GET_HELP

    def stop_asking(self) -> str:
        """The second "I don't have the number" in one form run: stop asking, say what works."""
        return STOP_ASKING

    def pick_order(self) -> str:
        """A signed-in customer without the number picks from buttons."""
        return "Sin problema, no necesitas el número: elige el pedido."

    def no_payments_coming_up(self) -> str:
        """Nothing is due on any order."""
        return "No tienes ningún pago próximo."

    def no_late_fees(self) -> str:
        """Nothing is overdue."""
        return (
            "Buenas noticias: no tienes ningún pago vencido, así que no debes ningún recargo "
            "por demora."
        )

    # --- order status ------------------------------------------------------------------------

    def describe_items(self, order: OrderView) -> str:
        """The items in one phrase: "Trailhead 2-person tent y Mini smart speaker (2)"."""
        names = [
            item.description if item.quantity == 1 else f"{item.description} ({item.quantity})"
            for item in order.items
        ]
        return self.join(names) if names else ""

    def order_status(self, order: OrderView) -> str:
        """Status, items, shipping state and tracking of one order."""
        items = self.describe_items(order)
        subject = cap(self.order_label(order)) + (f" ({items})" if items else "")
        carrier = order.carrier or "la empresa de transporte"
        tracking = (
            f" El número de seguimiento de {carrier} es {order.tracking_number}."
            if order.tracking_number
            else ""
        )
        if order.status == "cancelled":
            return f"{subject} se canceló, así que no se enviará."
        if order.status == "returned" or order.shipping_status == "returned":
            return f"{subject} se devolvió a {order.merchant_name}."
        if order.shipping_status == "delivered" or order.status == "delivered":
            when = (
                f" el {self.day(order.delivered_at.date())}"
                if order.delivered_at is not None
                else ""
            )
            return f"{subject} se entregó{when}." + tracking
        if order.shipping_status == "out_for_delivery":
            return f"{subject} llega hoy: ya está en reparto con {carrier}." + tracking
        if order.shipping_status == "in_transit":
            since = f" desde el {self.day(order.shipped_at.date())}" if order.shipped_at else ""
            return f"{subject} está en camino con {carrier}{since}." + tracking
        if order.shipping_status == "label_created":
            return (
                f"{subject} ya está empaquetado y tiene la etiqueta de envío; {carrier} todavía "
                "no lo ha recogido." + tracking
            )
        return (
            f"{subject} se hizo el {self.day(order.placed_at.date())} y todavía no se ha "
            f"enviado. {order.merchant_name} lo enviará pronto."
        )

    # --- instalments -------------------------------------------------------------------------

    def _amount(self, instalment: InstalmentView) -> str:
        return self.money(instalment.amount, instalment.currency)

    def _late_fee_clause(self, instalment: InstalmentView) -> str:
        if instalment.late_fee <= 0:
            return ""
        total = self.money(instalment.amount + instalment.late_fee, instalment.currency)
        fee = self.money(instalment.late_fee, instalment.currency)
        return f", más un recargo por demora de {fee} ({total} en total para ponerte al día)"

    def missed_payment(self, order: OrderView, instalment: InstalmentView) -> str:
        """One overdue or declined instalment, said before anything upcoming."""
        state = (
            "está vencido" if instalment.status == "overdue" else "fue rechazado y sigue sin pagar"
        )
        return (
            f"Tu pago de {self._amount(instalment)} que vencía el {self.day(instalment.due_date)}"
            f" para {self.order_label(order)} {state}{self._late_fee_clause(instalment)}. "
            f"Puedes pagarlo ahora {HOW_TO_PAY.format(ref=order.order_ref)}."
        )

    def upcoming_payment(self, order: OrderView, instalment: InstalmentView) -> str:
        """The contract sentence: "Tu próximo pago es de 45,50 € el 5 de diciembre de 2026..."."""
        return (
            f"Tu próximo pago es de {self._amount(instalment)} el "
            f"{self.day(instalment.due_date)} para {self.order_label(order)}."
        )

    def next_payment_for_order(self, order: OrderView, today: date) -> str:
        """Next payment of one order, missed ones first."""
        lines = [self.missed_payment(order, i) for i in missed_instalments(order)]
        upcoming = next_instalment(order, today)
        if upcoming is not None:
            lines.append(self.upcoming_payment(order, upcoming))
        elif not lines:
            lines.append(self.nothing_due(order))
        return "\n".join(lines)

    def nothing_due(self, order: OrderView) -> str:
        """No payments left on an order: paid at checkout, or the plan is paid off."""
        label = cap(self.order_label(order))
        if order.plan is None:
            return f"{label} se pagó entero al hacer la compra, así que no tiene pagos pendientes."
        paid = [i for i in order.plan.instalments if i.paid_at is not None]
        last = max(paid, key=lambda i: i.paid_at or i.due_date, default=None)
        when = ""
        if last is not None and last.paid_at is not None:
            when = (
                f" El último pago, de {self._amount(last)}, se hizo el "
                f"{self.day(last.paid_at.date())}."
            )
        return (
            f"{label} está totalmente pagado ({self.money(order.plan.total, order.plan.currency)})."
            f" No quedan más pagos.{when}"
        )

    def next_payment_across(self, orders: Sequence[OrderView], today: date) -> str:
        """Next payment over all of a customer's orders: missed ones first, then the soonest."""
        lines = [self.missed_payment(o, i) for o in orders for i in missed_instalments(o)]
        upcoming = [(i, o) for o in orders if (i := next_instalment(o, today)) is not None]
        upcoming.sort(key=lambda pair: (pair[0].due_date, pair[0].sequence, pair[1].order_ref))
        if upcoming:
            instalment, order = upcoming[0]
            lines.append(self.upcoming_payment(order, instalment))
            others = len(upcoming) - 1
            if others:
                orders_word = "pedido más" if others == 1 else "pedidos más"
                lines.append(
                    f"También tienes pagos próximos en {others} {orders_word}. Pídeme el "
                    "calendario de pagos de un pedido para ver todas las fechas."
                )
        elif not lines:
            lines.append("No tienes ningún pago próximo. Está todo pagado.")
        return "\n".join(lines)

    def payment_schedule(self, order: OrderView) -> str:
        """Every instalment of an order's plan with its status."""
        plan = order.plan
        if plan is None:
            return self.nothing_due(order)
        kind = _PLAN_NAMES.get(plan.kind, plan.kind.replace("_", " "))
        lines = [
            f"Este es el plan de pagos de {self.order_label(order)} "
            f"({kind}, {self.money(plan.total, plan.currency)} en total):"
        ]
        for instalment in plan.instalments:
            status = _STATUS_WORDS.get(instalment.status, instalment.status)
            fee = (
                f", recargo por demora de {self.money(instalment.late_fee, instalment.currency)}"
                if instalment.late_fee > 0 and instalment.status != "paid"
                else ""
            )
            lines.append(
                f"{instalment.sequence}. {self._amount(instalment)} el "
                f"{self.day(instalment.due_date)}: {status}{fee}"
            )
        return "\n".join(lines)

    def pay_early(self, order: OrderView) -> str:
        """Remaining balance and how to pay it off early."""
        balance = remaining_balance(order)
        if order.plan is None or balance <= 0:
            return self.nothing_due(order)
        unpaid = [i for i in order.plan.instalments if i.status != "paid"]
        fees = sum((i.late_fee for i in unpaid), Decimal("0.00"))
        count = len(unpaid)
        detail = f"{count} {'pago' if count == 1 else 'pagos'}"
        if fees > 0:
            detail += f", incluidos {self.money(fees, order.plan.currency)} de recargos por demora"
        return (
            f"{cap(self.order_label(order))} aún no está pagado del todo: te quedan "
            f"{self.money(balance, order.plan.currency)} por pagar ({detail}). Puedes liquidarlo "
            "todo por adelantado, o solo el próximo pago, cuando quieras "
            f"{HOW_TO_PAY.format(ref=order.order_ref)}. Pagar por adelantado no tiene ningún coste."
        )

    def late_fees(self, orders: Sequence[OrderView]) -> str | None:
        """Overdue instalments with their fees, or None when nothing is overdue."""
        lines = [self.missed_payment(o, i) for o in orders for i in unpaid_with_fees(o)]
        if not lines:
            return None
        totals: dict[str, Decimal] = {}
        for order in orders:
            for instalment in unpaid_with_fees(order):
                owed = instalment.amount + instalment.late_fee
                totals[instalment.currency] = totals.get(instalment.currency, Decimal("0")) + owed
        lines.append(f"Para ponerte al día, paga ahora {self.totals(totals)}.")
        lines.append(
            "Al pagar un pago atrasado dejan de sumarse recargos sobre él. Si te está costando "
            "pagar, dímelo y te pongo en contacto con nuestro equipo."
        )
        return "\n".join(lines)

    # --- refunds and returns -----------------------------------------------------------------

    def refund(self, order: OrderView, item: RefundView) -> str:
        """One refund: amount, state in plain words, and when to expect it."""
        what = (
            f"Tu reembolso de {self.money(item.amount, item.currency)} de "
            f"{self.order_label(order)} (ref. {item.refund_ref})"
        )
        if item.status == "completed":
            when = f" el {self.day(item.completed_at.date())}" if item.completed_at else ""
            return (
                f"{what} ya está hecho: te lo devolvimos{when}. El banco puede tardar unos días "
                "hábiles en mostrarlo en tu extracto."
            )
        expected = (
            f" Deberías tenerlo como muy tarde el {self.day(item.expected_by)}."
            if item.expected_by is not None
            else ""
        )
        merchant = order.merchant_name
        if item.status == "processing":
            return f"{what} se está procesando.{expected}"
        if item.status == "requested":
            return f"{what} está solicitado y pendiente de que {merchant} lo confirme.{expected}"
        if item.status == "rejected":
            return (
                f"{what} no fue aprobado por {merchant}. Si crees que es un error, puedo abrir "
                "una disputa o pasarte con una persona de nuestro equipo."
            )
        return f"{what} tiene el estado {item.status}.{expected}"

    def refund_status(self, order: OrderView) -> str:
        """All refunds on an order, or a pointer to returns when there are none."""
        if not order.refunds:
            return (
                f"No veo ningún reembolso en {self.order_label(order)}. Si ya devolviste algo, "
                f"el reembolso empieza cuando {order.merchant_name} lo recibe. Pregúntame cómo "
                "devolver un artículo si aún no has iniciado la devolución."
            )
        return "\n".join(self.refund(order, item) for item in order.refunds)

    def return_item(self, order: OrderView) -> str:
        """How to return something from this order's merchant, and refunds already under way."""
        merchant = order.merchant_name
        label = self.order_label(order)
        contacts = [c for c in (order.merchant_support_url, order.merchant_support_email) if c]
        how = (
            f"inicia la devolución con {merchant} en " + " o ".join(contacts)
            if contacts
            else f"contacta con {merchant} para iniciar la devolución"
        )
        if order.status == "cancelled":
            lines = [f"{cap(label)} se canceló, así que no hay nada que devolver."]
        elif order.status == "returned":
            lines = [f"{cap(label)} ya figura como devuelto."]
        elif order.status != "delivered":
            lines = [f"{cap(label)} todavía no se ha entregado. Cuando llegue, {how}."]
        else:
            lines = [
                f"Para devolver algo de {label}, {how}. Cuando {merchant} lo reciba, te hacemos "
                "el reembolso y ajustamos tus pagos pendientes."
            ]
        lines.extend(self.refund(order, item) for item in order.refunds)
        return "\n".join(lines)

    # --- declined payments and disputes ------------------------------------------------------

    def declined_payment(self, order: OrderView, instalment: InstalmentView, today: date) -> str:
        """A failed instalment: why, what to do, when we retry and when a fee could apply."""
        reason, advice = _FAILURE_REASONS.get(instalment.failure_code or "", _UNKNOWN_FAILURE)
        retry_on = instalment.due_date + timedelta(days=RETRY_AFTER_DAYS)
        fee_from = instalment.due_date + timedelta(days=LATE_FEE_GRACE_DAYS)
        pay_now = f"También puedes pagarlo tú ahora mismo {HOW_TO_PAY.format(ref=order.order_ref)}."
        if retry_on > today:
            retry = f"Volveremos a intentar el cobro automáticamente el {self.day(retry_on)}."
        else:
            retry = "El reintento automático ya se hizo, así que tendrás que pagarlo tú."
        if instalment.late_fee > 0:
            fee = (
                " Se ha añadido un recargo por demora de "
                f"{self.money(instalment.late_fee, instalment.currency)}."
            )
        elif fee_from > today:
            fee = f" Si sigue sin pagarse el {self.day(fee_from)}, se podría añadir un recargo."
        else:
            fee = ""
        return (
            f"Tu pago de {self._amount(instalment)} con vencimiento el "
            f"{self.day(instalment.due_date)} para {self.order_label(order)} no se completó: "
            f"{reason}. {advice} {retry} {pay_now}{fee}"
        )

    def declined_payments(self, order: OrderView, today: date) -> str:
        """Every declined instalment of an order, or a reassurance when there is none."""
        failed = failed_instalments(order)
        if not failed:
            return f"No veo ningún pago rechazado en {self.order_label(order)}."
        return "\n".join(self.declined_payment(order, i, today) for i in failed)

    def dispute_opened(self, order: OrderView, dispute_ref: str, already_open: bool) -> str:
        """Confirmation of a (new or existing) dispute before the disputes team takes over."""
        label = self.order_label(order)
        if already_open:
            return (
                f"Ya hay una disputa abierta sobre {label} (ref. {dispute_ref}). Te paso con "
                "nuestro equipo de disputas para que te pongan al día."
            )
        return (
            "Siento que hayas tenido problemas con esta compra. He abierto una disputa sobre "
            f"{label} (ref. {dispute_ref}) y se la paso a nuestro equipo de disputas, que lo "
            f"revisará con {order.merchant_name}."
        )
