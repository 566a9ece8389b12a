"""Declined payments: which instalment failed, why in plain words, and what happens next."""

from __future__ import annotations

from datetime import date

from actions import topics
from actions.base import OrderReplyAction
from actions.wording import Replies
from store.views import OrderView


class ActionPaymentDeclined(OrderReplyAction):
    """The failed instalments of an order, the bank's reason and the customer's options."""

    action_name = "action_payment_declined"
    topic = topics.PAYMENT_DECLINED

    def reply(self, order: OrderView, today: date, words: Replies) -> str:
        """Explain the declined payments."""
        return words.declined_payments(order, today)
