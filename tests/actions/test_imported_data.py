"""The bot answers from a company's imported data, not only from the demo seed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from actions.context import ActionServices, ActionSettings
from actions.declines import ActionPaymentDeclined
from actions.instalments import ActionNextPayment
from common.identity import mint_customer_token
from store.importer import import_path
from store.repository import PaymentsRepository
from tests.actions.conftest import SECRET, make_tracker, run_action, texts

GOOD_JSON = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "good.json"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def _services(store_session_factory) -> ActionServices:
    report = import_path(GOOD_JSON, store_session_factory, now=NOW)
    assert report.written, report
    return ActionServices(
        ActionSettings(customer_token_secret=SECRET, database_url="sqlite://"),
        repository=PaymentsRepository(store_session_factory),
        clock=lambda: NOW,
    )


def _signed_in(customer_ref: str, **slots: object):
    token = mint_customer_token(customer_ref, SECRET, ttl=timedelta(hours=1), now=NOW)
    return make_tracker(metadata={"customer_token": token}, slots=dict(slots))


async def test_next_payment_comes_from_the_imported_order(store_session_factory):
    services = _services(store_session_factory)
    messages, _ = await run_action(
        ActionNextPayment(services), _signed_in("acme_c_1001", order_number="A-77812")
    )
    reply = " ".join(texts(messages))
    # A-77812 (imported): instalment 3 failed (card expired), instalment 4 due 12 November 2030.
    assert "A-77812" in reply
    assert "£120.00" in reply
    assert "12 November 2030" in reply


async def test_declined_payment_reason_comes_from_the_imported_instalment(store_session_factory):
    services = _services(store_session_factory)
    messages, _ = await run_action(
        ActionPaymentDeclined(services), _signed_in("acme_c_1001", order_number="A-77812")
    )
    reply = " ".join(texts(messages)).lower()
    assert "expired" in reply
    assert "29 october 2026" in reply


async def test_other_imported_customer_cannot_read_it(store_session_factory):
    services = _services(store_session_factory)
    messages, _ = await run_action(
        ActionNextPayment(services), _signed_in("acme_c_1002", order_number="A-77812")
    )
    assert "£120.00" not in " ".join(texts(messages))
