"""Instalment questions: next payment, full schedule, paying early and late fees."""

from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import replies, topics
from actions.base import OrderAction
from common.identity import VerifiedCustomer
from store.views import OrderView


class ActionNextPayment(OrderAction):
    """The next payment (date, amount, order); missed payments are mentioned first.

    A signed-in customer who names no order gets the soonest payment across all their orders,
    because "when is my next payment?" is about their account, not one purchase.
    """

    topic = topics.NEXT_PAYMENT

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_next_payment"

    async def answer_account(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer,
        orders: Sequence[OrderView],
    ) -> list[EventType]:
        """Answer across every order of the customer."""
        if not orders:
            dispatcher.utter_message(text=replies.NO_ORDERS_ON_ACCOUNT)
            return []
        dispatcher.utter_message(text=replies.next_payment_across(orders, self.services.today()))
        return []

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Answer for one order."""
        dispatcher.utter_message(text=replies.next_payment_for_order(order, self.services.today()))
        return []


class ActionPaymentSchedule(OrderAction):
    """Every instalment of an order's plan, with its date, amount and status."""

    topic = topics.PAYMENT_SCHEDULE

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_payment_schedule"

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """List the schedule."""
        dispatcher.utter_message(text=replies.payment_schedule(order))
        return []


class ActionPayEarly(OrderAction):
    """The remaining balance of an order and how to pay it off early."""

    topic = topics.PAY_EARLY

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_pay_early"

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """State the balance and the way to pay."""
        dispatcher.utter_message(text=replies.pay_early(order))
        return []


class ActionLateFees(OrderAction):
    """Overdue payments and their late fees, or the late-fee policy when nothing is overdue.

    Account-wide for a signed-in customer without a chosen order, like the next payment.
    """

    topic = topics.LATE_FEES

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_late_fees"

    async def answer_account(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer,
        orders: Sequence[OrderView],
    ) -> list[EventType]:
        """Answer across every order of the customer."""
        self._say(dispatcher, orders)
        return []

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Answer for one order."""
        self._say(dispatcher, [order])
        return []

    @staticmethod
    def _say(dispatcher: CollectingDispatcher, orders: Sequence[OrderView]) -> None:
        text = replies.late_fees(orders)
        if text is not None:
            dispatcher.utter_message(text=text)
            return
        dispatcher.utter_message(text=replies.NO_LATE_FEES)
        dispatcher.utter_message(response=replies.RESPONSE_LATE_FEES_POLICY)
