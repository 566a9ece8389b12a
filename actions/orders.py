"""Order status: where an order is, what is in it, and how it is being shipped."""

from __future__ import annotations

from datetime import date

from actions import topics
from actions.base import OrderReplyAction
from actions.wording import Replies
from store.views import OrderView


class ActionOrderStatus(OrderReplyAction):
    """Status, items, shipping state, carrier and tracking number of one order."""

    action_name = "action_order_status"
    topic = topics.ORDER_STATUS

    def reply(self, order: OrderView, today: date, words: Replies) -> str:
        """Describe the order."""
        return words.order_status(order)
