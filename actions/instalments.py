"""Instalment questions: next payment, full schedule, paying early and late fees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import account_replies, replies, topics
from actions.account import INSTALMENT_SLOT, instalment_ref
from actions.base import OrderAction, OrderReplyAction
from common.identity import VerifiedCustomer
from store.views import OrderView, next_instalment


class ActionNextPayment(OrderReplyAction):
    """The next payment (date, amount, order); missed payments are mentioned first.

    A signed-in customer who names no order gets the soonest payment across all their orders,
    because "when is my next payment?" is about their account, not one purchase.
    """

    action_name = "action_next_payment"
    topic = topics.NEXT_PAYMENT

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
        today = self.services.today()
        text = replies.next_payment_across(orders, today)
        this_month = account_replies.due_this_month(orders, today)
        dispatcher.utter_message(text=text + (f"\n{this_month}" if this_month else ""))
        upcoming = [(i, o) for o in orders if (i := next_instalment(o, today)) is not None]
        if not upcoming:
            return []
        instalment, order = min(upcoming, key=lambda pair: (pair[0].due_date, pair[1].order_ref))
        return [SlotSet(INSTALMENT_SLOT, instalment_ref(order, instalment.sequence))]

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Answer for one order and remember which instalment was told (for "and after?")."""
        today = self.services.today()
        dispatcher.utter_message(text=self.reply(order, today))
        upcoming = next_instalment(order, today)
        if upcoming is None:
            return []
        return [SlotSet(INSTALMENT_SLOT, instalment_ref(order, upcoming.sequence))]

    def reply(self, order: OrderView, today: date) -> str:
        """Answer for one order."""
        return replies.next_payment_for_order(order, today)


class ActionPaymentSchedule(OrderReplyAction):
    """Every instalment of an order's plan, with its date, amount and status."""

    action_name = "action_payment_schedule"
    topic = topics.PAYMENT_SCHEDULE

    def reply(self, order: OrderView, today: date) -> str:
        """List the schedule."""
        return replies.payment_schedule(order)


class ActionPayEarly(OrderReplyAction):
    """The remaining balance of an order and how to pay it off early."""

    action_name = "action_pay_early"
    topic = topics.PAY_EARLY

    async def answer_account(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer,
        orders: Sequence[OrderView],
    ) -> list[EventType]:
        """One order with a balance: about it; several: the total owed and the breakdown."""
        owing = topics.relevant_orders(self.topic, list(orders), self.services.today())
        if len(owing) == 1:
            return await self.answer_order(dispatcher, tracker, customer, owing[0])
        if not orders:
            dispatcher.utter_message(text=replies.NO_ORDERS_ON_ACCOUNT)
            return []
        dispatcher.utter_message(text=account_replies.owed_across(orders))
        return []

    def reply(self, order: OrderView, today: date) -> str:
        """State the balance and the way to pay."""
        return replies.pay_early(order)


class ActionLateFees(OrderAction):
    """Overdue payments and their late fees, or the late-fee policy when nothing is overdue.

    Account-wide for a signed-in customer without a chosen order, like the next payment. Not
    an :class:`OrderReplyAction`: with nothing overdue it sends two messages.
    """

    action_name = "action_late_fees"
    topic = topics.LATE_FEES

    async def answer_account(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer,
        orders: Sequence[OrderView],
    ) -> list[EventType]:
        """Answer across every order of the customer."""
        return self._say(dispatcher, orders)

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Answer for one order."""
        return self._say(dispatcher, [order])

    @staticmethod
    def _say(dispatcher: CollectingDispatcher, orders: Sequence[OrderView]) -> list[EventType]:
        text = replies.late_fees(orders)
        if text is not None:
            dispatcher.utter_message(text=text)
            return []
        dispatcher.utter_message(text=replies.NO_LATE_FEES)
        dispatcher.utter_message(response=replies.RESPONSE_LATE_FEES_POLICY)
        return []
