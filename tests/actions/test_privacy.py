"""Customer A can never see customer B's data, whatever A types or sends.

Every order-scoped action (and the form) is run as one customer against every order of every
other customer, and with every way we know of to claim someone else's identity: slots, typed
text, the hub's ``customer_ref`` metadata without a token, forged, expired and unsigned tokens.
The only acceptable answers are the fixed "not found" / "need your details" replies.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import jwt
import pytest
from rasa_sdk.events import SlotSet

from actions import replies
from actions.base import OrderAction
from actions.context import ActionServices, ActionSettings
from actions.declines import ActionPaymentDeclined
from actions.disputes import ActionOpenDispute
from actions.forms import ActionAskOrderNumber, ValidateOrderForm
from actions.instalments import (
    ActionLateFees,
    ActionNextPayment,
    ActionPayEarly,
    ActionPaymentSchedule,
)
from actions.orders import ActionOrderStatus
from actions.refunds import ActionRefundStatus, ActionReturnItem
from common.formatting import format_date, format_money
from common.identity import mint_customer_token
from migrations.runner import upgrade
from store.db import create_engine_from_url, make_session_factory
from store.repository import PaymentsRepository
from store.seed import seed_demo_data
from store.views import OrderView
from tests.actions.conftest import SECRET, make_tracker, run_action, user_event

SEED_DAY = date(2026, 12, 1)
NOW = datetime.combine(SEED_DAY, time(12, 0), tzinfo=timezone.utc)
CUSTOMERS = ("cus_alice", "cus_bob", "cus_carmen", "cus_dan")
EMAILS = {
    "cus_alice": "alice@example.com",
    "cus_bob": "bob@example.com",
    "cus_carmen": "carmen@example.es",
    "cus_dan": "dan@example.com",
}
ACTIONS: list[type[OrderAction]] = [
    ActionOrderStatus,
    ActionNextPayment,
    ActionPaymentSchedule,
    ActionPayEarly,
    ActionLateFees,
    ActionRefundStatus,
    ActionReturnItem,
    ActionPaymentDeclined,
    ActionOpenDispute,
]


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> PaymentsRepository:
    """One seeded store for the whole module: these tests only read (a dispute is never
    written for someone else's order, which the tests check)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('privacy') / 'payassist.db'}"
    upgrade(url)
    engine = create_engine_from_url(url)
    factory = make_session_factory(engine)
    seed_demo_data(factory, SEED_DAY)
    return PaymentsRepository(factory)


@pytest.fixture(scope="module")
def orders(repository) -> dict[str, list[OrderView]]:
    return {ref: repository.list_orders(ref) for ref in CUSTOMERS}


@pytest.fixture
def services(repository) -> ActionServices:
    return ActionServices(
        ActionSettings(customer_token_secret=SECRET, database_url="sqlite://"),
        repository=repository,
        clock=lambda: NOW,
    )


def token(customer_ref: str, *, secret: str = SECRET, now: datetime = NOW) -> str:
    return mint_customer_token(customer_ref, secret, ttl=timedelta(hours=1), now=now)


def fingerprints(order: OrderView) -> set[str]:
    """Things only the owner of ``order`` may see (its ref is excluded: the caller typed it)."""
    found = {order.tracking_number or "", order.customer_ref, EMAILS[order.customer_ref]}
    found |= {item.description for item in order.items}
    found |= {refund.refund_ref for refund in order.refunds}
    found |= {dispute.dispute_ref for dispute in order.disputes}
    if order.plan is not None:
        for instalment in order.plan.instalments:
            found.add(format_date(instalment.due_date))
            found.add(format_money(instalment.amount, instalment.currency))
    found.add(format_money(order.total, order.currency))
    return {f for f in found if f}


def _cross_pairs() -> list[tuple[str, str]]:
    """(caller, other customer) for every ordered pair of demo customers."""
    return [(a, b) for a in CUSTOMERS for b in CUSTOMERS if a != b]


def assert_nothing_leaked(messages: list[dict[str, Any]], order: OrderView) -> None:
    blob = repr(messages)
    leaked = {f for f in fingerprints(order) if f in blob}
    assert not leaked, f"leaked {leaked} of {order.order_ref}"


@pytest.mark.parametrize("action_cls", ACTIONS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("caller", "owner"), _cross_pairs())
async def test_signed_in_customer_cannot_read_other_customers_orders(
    services, orders, repository, action_cls, caller, owner
):
    for order in orders[owner]:
        tracker = make_tracker(
            metadata={"customer_token": token(caller), "customer_ref": owner},
            slots={"order_number": order.order_ref, "email": EMAILS[owner]},
            text=f"I am {owner}, show me {order.order_ref}",
        )
        messages, events = await run_action(action_cls(services), tracker)
        assert messages == [
            {
                "text": replies.order_not_on_account(order.order_ref),
                "buttons": [],
                "elements": [],
                "custom": {},
                "template": None,
                "response": None,
                "image": None,
                "attachment": None,
            }
        ]
        assert events == [SlotSet("order_number", None)]
        assert_nothing_leaked(messages, order)
    # No dispute was opened on anyone else's order.
    for order in orders[owner]:
        current = repository.get_order(owner, order.order_ref)
        assert current is not None
        assert [d.dispute_ref for d in current.disputes] == [d.dispute_ref for d in order.disputes]


def _claims() -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """Ways to claim cus_bob's identity without a valid token of his: (id, metadata, earlier)."""
    expired = token("cus_bob", now=NOW - timedelta(hours=3))
    forged = token("cus_bob", secret="not-the-real-secret-0123456789abcdef")
    unsigned = jwt.encode(
        {"sub": "cus_bob", "exp": int((NOW + timedelta(hours=1)).timestamp())},
        key="",
        algorithm="none",
    )
    return [
        ("customer_ref_metadata", {"customer_ref": "cus_bob"}, []),
        ("expired_token", {"customer_token": expired}, []),
        ("forged_token", {"customer_token": forged}, []),
        ("unsigned_token", {"customer_token": unsigned}, []),
        ("token_in_wrong_key", {"token": token("cus_alice"), "customer": "cus_bob"}, []),
        # A valid token earlier does not rescue a forged one now: the latest token decides.
        ("forged_after_valid", {"customer_token": forged},
         [user_event("hi", {"customer_token": token("cus_alice")})]),
        # A valid token of Bob's long ago has expired by now.
        ("expired_earlier", {}, [user_event("hi", {"customer_token": expired})]),
        # A valid token of Bob's in an earlier message (another tab sharing the session bound
        # it) does not speak for this message, which carries none: identity is per turn.
        ("valid_earlier_none_now", {},
         [user_event("hi", {"customer_token": token("cus_bob")})]),
        ("valid_earlier_ref_now", {"customer_ref": "cus_bob"},
         [user_event("hi", {"customer_token": token("cus_bob")})]),
    ]  # fmt: skip


@pytest.mark.parametrize("action_cls", ACTIONS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("claim", "metadata", "earlier"), _claims(), ids=lambda v: v if isinstance(v, str) else ""
)
async def test_claimed_identity_without_valid_token_is_anonymous(
    services, orders, action_cls, claim, metadata, earlier
):
    for order in orders["cus_bob"]:
        tracker = make_tracker(
            metadata=metadata,
            earlier_events=earlier,
            slots={"order_number": order.order_ref, "customer_ref": "cus_bob"},
            text="my customer_ref is cus_bob",
        )
        messages, _ = await run_action(action_cls(services), tracker)
        # Anonymous and no email: asked for details, shown nothing.
        assert [m["text"] for m in messages] == [replies.NEED_ORDER_AND_EMAIL]
        assert_nothing_leaked(messages, order)


@pytest.mark.parametrize("action_cls", ACTIONS, ids=lambda c: c.__name__)
async def test_anonymous_needs_the_email_of_that_order(services, orders, action_cls):
    for order in orders["cus_bob"]:
        for wrong in ("alice@example.com", "bob@example.co", "cus_bob", "bob@example.com.x.test"):
            tracker = make_tracker(slots={"order_number": order.order_ref, "email": wrong})
            messages, events = await run_action(action_cls(services), tracker)
            assert [m["response"] for m in messages] == ["utter_order_not_found"]
            assert events == [SlotSet("order_number", None), SlotSet("email", None)]


@pytest.mark.parametrize(("caller", "owner"), _cross_pairs())
async def test_form_rejects_other_customers_orders(services, orders, domain, caller, owner):
    for order in orders[owner]:
        tracker = make_tracker(
            metadata={"customer_token": token(caller)},
            slots={"requested_topic": "order_status", "requested_slot": "order_number",
                   "order_number": order.order_ref},
            trailing_events=[{"event": "slot", "name": "order_number", "value": order.order_ref}],
            active_loop={"name": "order_form"},
        )  # fmt: skip
        messages, events = await run_action(ValidateOrderForm(services), tracker, domain)
        assert [m["text"] for m in messages] == [replies.order_not_on_account(order.order_ref)]
        assert SlotSet("order_number", None) in events
        assert_nothing_leaked(messages, order)


@pytest.mark.parametrize("caller", CUSTOMERS)
async def test_order_buttons_only_show_own_orders(services, orders, caller):
    tracker = make_tracker(
        metadata={"customer_token": token(caller)}, slots={"requested_topic": "dispute_charge"}
    )
    messages, _ = await run_action(ActionAskOrderNumber(services), tracker)
    offered = [b["payload"] for m in messages for b in m["buttons"]]
    own = {o.order_ref for o in orders[caller]}
    assert offered
    assert all(any(ref in payload for ref in own) for payload in offered)
    others = {o.order_ref for c in CUSTOMERS if c != caller for o in orders[c]}
    assert not any(ref in repr(messages) for ref in others)
