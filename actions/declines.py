"""Declined payments: which instalment failed, why in plain words, and what happens next."""

from __future__ import annotations

from datetime import date

from actions import replies, topics
from actions.base import OrderReplyAction
from store.views import OrderView


class ActionPaymentDeclined(OrderReplyAction):
    """The failed instalments of an order, the bank's reason and the customer's options."""

    action_name = "action_payment_declined"
    topic = topics.PAYMENT_DECLINED

    def reply(self, order: OrderView, today: date) -> str:
        """Explain the declined payments."""
        return replies.declined_payments(order, today)
