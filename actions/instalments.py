"""Instalment questions: next payment, full schedule, paying early and late fees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies, topics
from actions.account import INSTALMENT_SLOT, instalment_ref
from actions.base import OrderAction, OrderReplyAction
from actions.wording import Replies, replies_for
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
        words = replies_for(tracker)
        if not orders:
            dispatcher.utter_message(text=words.no_orders_on_account())
            return []
        today = self.services.today()
        text = words.next_payment_across(orders, today)
        this_month = words.due_this_month(orders, today)
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
        dispatcher.utter_message(text=self.reply(order, today, replies_for(tracker)))
        upcoming = next_instalment(order, today)
        if upcoming is None:
            return []
        return [SlotSet(INSTALMENT_SLOT, instalment_ref(order, upcoming.sequence))]

    def reply(self, order: OrderView, today: date, words: Replies) -> str:
        """Answer for one order."""
        return words.next_payment_for_order(order, today)


class ActionPaymentSchedule(OrderReplyAction):
    """Every instalment of an order's plan, with its date, amount and status."""

    action_name = "action_payment_schedule"
    topic = topics.PAYMENT_SCHEDULE

    def reply(self, order: OrderView, today: date, words: Replies) -> str:
        """List the schedule."""
        return words.payment_schedule(order)


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
        words = replies_for(tracker)
        if not orders:
            dispatcher.utter_message(text=words.no_orders_on_account())
            return []
        dispatcher.utter_message(text=words.owed_across(orders))
        return []

    def reply(self, order: OrderView, today: date, words: Replies) -> str:
        """State the balance and the way to pay."""
        return words.pay_early(order)


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
        return self._say(dispatcher, orders, replies_for(tracker))

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Answer for one order."""
        return self._say(dispatcher, [order], replies_for(tracker))

    @staticmethod
    def _say(
        dispatcher: CollectingDispatcher, orders: Sequence[OrderView], words: Replies
    ) -> list[EventType]:
        text = words.late_fees(orders)
        if text is not None:
            dispatcher.utter_message(text=text)
            return []
        dispatcher.utter_message(text=words.no_late_fees())
        dispatcher.utter_message(response=replies.RESPONSE_LATE_FEES_POLICY)
        return []
