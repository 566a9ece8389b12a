"""The store on PostgreSQL (the scale-out target): schema, seed, import and scoped reads."""

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from migrations.runner import upgrade
from store.db import create_engine_from_url, make_session_factory
from store.importer import import_path
from store.repository import PaymentsRepository
from store.seed import seed_demo_data
from store.views import next_instalment, remaining_balance
from tests.store.helpers import must

pytestmark = pytest.mark.postgres

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TODAY = date(2026, 12, 1)


@pytest.fixture
def pg_factory(postgres_url):
    upgrade(postgres_url)
    upgrade(postgres_url)  # idempotent
    engine = create_engine_from_url(postgres_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_seed_and_scoped_reads_on_postgres(pg_factory):
    seed_demo_data(pg_factory, TODAY)
    seed_demo_data(pg_factory, TODAY)
    repo = PaymentsRepository(pg_factory)
    assert [c.customer_ref for c in repo.list_customers()] == [
        "cus_alice",
        "cus_bob",
        "cus_carmen",
        "cus_dan",
    ]
    order = must(repo.get_order("cus_alice", "ord 104233"))
    assert order.placed_at.tzinfo == timezone.utc
    nxt = must(next_instalment(order, TODAY))
    assert (nxt.due_date, nxt.amount) == (date(2026, 12, 6), Decimal("45.50"))
    assert remaining_balance(order) == Decimal("91.00")
    assert repo.get_order("cus_bob", "ORD-104233") is None
    assert repo.get_order_by_email("104233", "ALICE@EXAMPLE.COM") is not None
    assert repo.get_order_by_email("104233", "bob@example.com") is None
    dispute = repo.open_dispute(
        "cus_bob",
        "ORD-104410",
        "Wrong item",
        Decimal("62.25"),
        datetime(2026, 12, 1, 12, tzinfo=timezone.utc),
    )
    assert dispute.amount == Decimal("62.25")


def test_constraints_on_postgres(pg_factory):
    seed_demo_data(pg_factory, TODAY)
    with pg_factory() as session, pytest.raises(IntegrityError):
        session.execute(text("UPDATE instalments SET amount = -1"))


def test_import_on_postgres(pg_factory):
    report = import_path(FIXTURES / "good.json", pg_factory)
    assert report.ok, report.problems
    order = must(PaymentsRepository(pg_factory).get_order("acme_c_1001", "A-77812"))
    assert order.total == Decimal("480.00")
    assert order.placed_at == datetime(2026, 10, 1, 9, tzinfo=timezone.utc)
