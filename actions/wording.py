"""Which language an action answers in, and the replies written in it (issue 19).

The ``language`` slot (``en``/``es``, null = English) is the conversation's language, decided per
message by ``bot.language_tagger``; the ``locale`` slot says how to format money and dates
("es_MX"). A locale that does not belong to the language is ignored and the language's default
is used (es -> es_ES, en -> en_GB).

:class:`Replies` is what every action may say, whatever the language. English is the
long-standing wording of ``actions/replies.py`` and ``actions/account_replies.py`` (unchanged,
byte for byte); Spanish is hand-written in ``actions/texts_es.py`` and
``actions/account_texts_es.py``. Nothing is translated at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from rasa_sdk import Tracker

from actions import account_replies, replies
from actions.conversation_language import ENGLISH, Language, conversation_language
from actions.texts_es import SpanishReplies
from store.views import InstalmentView, OrderView


class Replies(Protocol):
    """Everything the actions write, in one language."""

    language: Language

    def talk_to_person_button(self) -> dict[str, str]:
        """The button that asks for a person."""
        ...

    def unexpected_error(self) -> str:
        """The apology for a failure on our side."""
        ...

    def need_order_and_email(self) -> str:
        """What an anonymous customer must give."""
        ...

    def no_orders_on_account(self) -> str:
        """A signed-in customer without orders."""
        ...

    def no_order_matches(self) -> str:
        """Something was named that no order has."""
        ...

    def several_orders_match(self) -> str:
        """Several orders fit what was said."""
        ...

    def nothing_relevant(self, topic: str) -> str | None:
        """No order fits the topic at all, when the topic has a reply for that."""
        ...

    def choose_order_text(self, topic: str | None) -> str:
        """The question before the order buttons."""
        ...

    def order_not_on_account(self, order_ref: str) -> str:
        """Unknown order for a signed-in customer."""
        ...

    def get_help(self) -> str:
        """Where to find the order number."""
        ...

    def stop_asking(self) -> str:
        """The second "I don't have the number" in one form run: stop asking, say what works."""
        ...

    def pick_order(self) -> str:
        """A signed-in customer without the number picks from buttons."""
        ...

    def no_payments_coming_up(self) -> str:
        """Nothing is due on any order."""
        ...

    def no_late_fees(self) -> str:
        """Nothing is overdue."""
        ...

    def order_status(self, order: OrderView) -> str:
        """The order status answer (English wording: ``actions.replies``)."""
        ...

    def next_payment_for_order(self, order: OrderView, today: date) -> str:
        """The next payment for order answer (English wording: ``actions.replies``)."""
        ...

    def next_payment_across(self, orders: Sequence[OrderView], today: date) -> str:
        """The next payment across answer (English wording: ``actions.replies``)."""
        ...

    def payment_schedule(self, order: OrderView) -> str:
        """The payment schedule answer (English wording: ``actions.replies``)."""
        ...

    def pay_early(self, order: OrderView) -> str:
        """The pay early answer (English wording: ``actions.replies``)."""
        ...

    def late_fees(self, orders: Sequence[OrderView]) -> str | None:
        """The late fees answer (English wording: ``actions.replies``)."""
        ...

    def refund_status(self, order: OrderView) -> str:
        """The refund status answer (English wording: ``actions.replies``)."""
        ...

    def return_item(self, order: OrderView) -> str:
        """The return item answer (English wording: ``actions.replies``)."""
        ...

    def declined_payments(self, order: OrderView, today: date) -> str:
        """The declined payments answer (English wording: ``actions.replies``)."""
        ...

    def dispute_opened(self, order: OrderView, dispute_ref: str, already_open: bool) -> str:
        """The dispute opened answer (English wording: ``actions.replies``)."""
        ...

    def card_on_file(self, orders: Sequence[OrderView]) -> str:
        """The card on file answer (English wording: ``actions.account_replies``)."""
        ...

    def card_on_file_for_order(self, order: OrderView) -> str:
        """The card on file for order answer (English wording: ``actions.account_replies``)."""
        ...

    def last_payment(self, orders: Sequence[OrderView]) -> str:
        """The last payment answer (English wording: ``actions.account_replies``)."""
        ...

    def owed_across(self, orders: Sequence[OrderView]) -> str:
        """The owed across answer (English wording: ``actions.account_replies``)."""
        ...

    def due_this_month(self, orders: Sequence[OrderView], today: date) -> str | None:
        """The due this month answer (English wording: ``actions.account_replies``)."""
        ...

    def following_payment(self, order: OrderView, instalment: InstalmentView | None) -> str:
        """The following payment answer (English wording: ``actions.account_replies``)."""
        ...


GET_HELP = (
    "Your order number (it looks like ORD-123456) is in the order confirmation email we sent "
    "you, and on your account page under Orders. If you have an account, sign in on this page "
    "and I can find your orders without the number. Or, if you'd rather, I can bring in a "
    "person from our team."
)
# Orders are never looked up by e-mail address alone in the chat: an address is not proof of
# identity (docs/data-protection.md).
STOP_ASKING = (
    "No problem, let's leave the order number for now. For your security I can't look up "
    "orders in this chat from an email address alone. When you find the number (it looks like "
    "ORD-123456, in your order confirmation email or under Orders on your account page), just "
    "send it here; or sign in on this page and I can find your orders without it. Is there "
    "anything else I can help with?"
)
PICK_ORDER = "No problem, you don't need the number: just pick the order."
NO_PAYMENTS_COMING_UP = "You don't have any payments coming up."


class EnglishReplies:
    """The English wording: the functions of ``replies`` and ``account_replies``."""

    language = ENGLISH

    def talk_to_person_button(self) -> dict[str, str]:
        """The button that asks for a person."""
        return dict(replies.TALK_TO_PERSON_BUTTON)

    def unexpected_error(self) -> str:
        """The apology for a failure on our side."""
        return replies.UNEXPECTED_ERROR

    def need_order_and_email(self) -> str:
        """What an anonymous customer must give."""
        return replies.NEED_ORDER_AND_EMAIL

    def no_orders_on_account(self) -> str:
        """A signed-in customer without orders."""
        return replies.NO_ORDERS_ON_ACCOUNT

    def no_order_matches(self) -> str:
        """Something was named that no order has."""
        return replies.NO_ORDER_MATCHES

    def several_orders_match(self) -> str:
        """Several orders fit what was said."""
        return replies.SEVERAL_ORDERS_MATCH

    def nothing_relevant(self, topic: str) -> str | None:
        """No order fits the topic at all, when the topic has a reply for that."""
        return replies.NOTHING_RELEVANT.get(topic)

    def choose_order_text(self, topic: str | None) -> str:
        """The question before the order buttons."""
        return replies.choose_order_text(topic)

    def order_not_on_account(self, order_ref: str) -> str:
        """Unknown order for a signed-in customer."""
        return replies.order_not_on_account(order_ref)

    def get_help(self) -> str:
        """Where to find the order number."""
        return GET_HELP

    def stop_asking(self) -> str:
        """The second "I don't have the number" in one form run: stop asking, say what works."""
        return STOP_ASKING

    def pick_order(self) -> str:
        """A signed-in customer without the number picks from buttons."""
        return PICK_ORDER

    def no_payments_coming_up(self) -> str:
        """Nothing is due on any order."""
        return NO_PAYMENTS_COMING_UP

    def no_late_fees(self) -> str:
        """Nothing is overdue."""
        return replies.NO_LATE_FEES

    def order_status(self, order: OrderView) -> str:
        """See :func:`actions.replies.order_status`."""
        return replies.order_status(order)

    def next_payment_for_order(self, order: OrderView, today: date) -> str:
        """See :func:`actions.replies.next_payment_for_order`."""
        return replies.next_payment_for_order(order, today)

    def next_payment_across(self, orders: Sequence[OrderView], today: date) -> str:
        """See :func:`actions.replies.next_payment_across`."""
        return replies.next_payment_across(orders, today)

    def payment_schedule(self, order: OrderView) -> str:
        """See :func:`actions.replies.payment_schedule`."""
        return replies.payment_schedule(order)

    def pay_early(self, order: OrderView) -> str:
        """See :func:`actions.replies.pay_early`."""
        return replies.pay_early(order)

    def late_fees(self, orders: Sequence[OrderView]) -> str | None:
        """See :func:`actions.replies.late_fees`."""
        return replies.late_fees(orders)

    def refund_status(self, order: OrderView) -> str:
        """See :func:`actions.replies.refund_status`."""
        return replies.refund_status(order)

    def return_item(self, order: OrderView) -> str:
        """See :func:`actions.replies.return_item`."""
        return replies.return_item(order)

    def declined_payments(self, order: OrderView, today: date) -> str:
        """See :func:`actions.replies.declined_payments`."""
        return replies.declined_payments(order, today)

    def dispute_opened(self, order: OrderView, dispute_ref: str, already_open: bool) -> str:
        """See :func:`actions.replies.dispute_opened`."""
        return replies.dispute_opened(order, dispute_ref, already_open)

    def card_on_file(self, orders: Sequence[OrderView]) -> str:
        """See :func:`actions.account_replies.card_on_file`."""
        return account_replies.card_on_file(orders)

    def card_on_file_for_order(self, order: OrderView) -> str:
        """See :func:`actions.account_replies.card_on_file_for_order`."""
        return account_replies.card_on_file_for_order(order)

    def last_payment(self, orders: Sequence[OrderView]) -> str:
        """See :func:`actions.account_replies.last_payment`."""
        return account_replies.last_payment(orders)

    def owed_across(self, orders: Sequence[OrderView]) -> str:
        """See :func:`actions.account_replies.owed_across`."""
        return account_replies.owed_across(orders)

    def due_this_month(self, orders: Sequence[OrderView], today: date) -> str | None:
        """See :func:`actions.account_replies.due_this_month`."""
        return account_replies.due_this_month(orders, today)

    def following_payment(self, order: OrderView, instalment: InstalmentView | None) -> str:
        """See :func:`actions.account_replies.following_payment`."""
        return account_replies.following_payment(order, instalment)


def replies_in(language: Language) -> Replies:
    """The replies for ``language`` (English for anything but Spanish)."""
    if language.code == "es":
        return SpanishReplies(language)
    return EnglishReplies()


def replies_for(tracker: Tracker) -> Replies:
    """The replies in the conversation's language and locale."""
    return replies_in(conversation_language(tracker))
