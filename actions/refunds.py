"""Refunds and returns: where a refund is, and how to send something back."""

from __future__ import annotations

from datetime import date

from actions import topics
from actions.base import OrderReplyAction
from actions.wording import Replies
from store.views import OrderView


class ActionRefundStatus(OrderReplyAction):
    """Each refund on an order: amount, state in plain words, expected or completed date."""

    action_name = "action_refund_status"
    topic = topics.REFUND_STATUS

    def reply(self, order: OrderView, today: date, words: Replies) -> str:
        """Describe the refunds."""
        return words.refund_status(order)


class ActionReturnItem(OrderReplyAction):
    """How to return something to this order's merchant, plus refunds already under way."""

    action_name = "action_return_item"
    topic = topics.RETURN_ITEM

    def reply(self, order: OrderView, today: date, words: Replies) -> str:
        """Explain the return."""
        return words.return_item(order)
