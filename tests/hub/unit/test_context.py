from __future__ import annotations

import pytest

from hub.persistence.store import HubStore
from hub.services.wiring import HubServices, build_services
from store.errors import StoreUnavailable
from tests.hub.unit.conftest import cheap_hasher


@pytest.fixture
def shared_service(payments_repository, tmp_path, clock, config):
    """Hub tables in the same SQLite file as the seeded payments store, as in production."""
    store = HubStore.from_url(f"sqlite:///{tmp_path / 'payassist.db'}")
    yield build_services(store, payments_repository, config, clock, password_hasher=cheap_hasher())
    store.dispose()


def _claimed(service: HubServices, customer_ref: str | None):
    agent = service.agents.create("ctx", "Ctx", "agent", ["payments"], "long enough pw")
    service.presence.set_presence(agent.agent_id, "online")
    conv = service.sessions.open_session(None, customer_ref).conversation_id
    service.messages.record_message(
        conv, "customer", "my order ORD-104410 is late", None, None, None
    )
    service.messages.record_message(conv, "bot", "Let me get a person", None, "bot", None)
    service.handoffs.request_handoff(conv, "frustration", "payments", [], "late order", 0.8)
    return service.work.claim(agent.agent_id, conv)


def test_verified_customer_gets_only_their_orders(shared_service):
    packet = _claimed(shared_service, "cus_alice")
    assert packet.customer.customer_ref == "cus_alice"
    assert packet.orders
    assert {o.customer_ref for o in packet.orders} == {"cus_alice"}
    assert "ORD-104410" not in {o.order_ref for o in packet.orders}  # Bob's, though mentioned
    assert [(m.sender_type, m.text) for m in packet.transcript] == [
        ("customer", "my order ORD-104410 is late"),
        ("bot", "Let me get a person"),
    ]
    assert (packet.conversation.reason, packet.conversation.summary) == (
        "frustration",
        "late order",
    )


def test_anonymous_conversation_carries_no_customer_data(shared_service):
    packet = _claimed(shared_service, None)
    assert packet.customer is None
    assert packet.orders == ()
    assert packet.customer_data_error is None


def test_unknown_customer_ref_carries_no_data(shared_service):
    packet = _claimed(shared_service, "cus_nobody")
    assert packet.customer is None
    assert packet.orders == ()


class _DownPayments:
    def get_customer(self, customer_ref):
        raise StoreUnavailable("get_customer", "sqlite", "OperationalError")

    def list_orders(self, customer_ref):
        raise AssertionError("not reached")


def test_claim_survives_payments_store_outage(make_service, caplog):
    service = make_service(payments=_DownPayments())
    packet = _claimed(service, "cus_alice")
    assert packet.conversation.state == "agent"
    assert packet.customer is None
    assert packet.customer_data_error
    assert "payments store unavailable" in caplog.text
