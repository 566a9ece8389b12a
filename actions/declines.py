"""Declined payments: which instalment failed, why in plain words, and what happens next."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import replies, topics
from actions.base import OrderAction
from common.identity import VerifiedCustomer
from store.views import OrderView


class ActionPaymentDeclined(OrderAction):
    """The failed instalments of an order, the bank's reason and the customer's options."""

    topic = topics.PAYMENT_DECLINED

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_payment_declined"

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Explain the declined payments."""
        dispatcher.utter_message(text=replies.declined_payments(order, self.services.today()))
        return []
