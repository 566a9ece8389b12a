"""Deterministic demo data: four customers with orders in every state the assistant explains.

Dates are relative to a reference day (default: today in UTC) so "your next payment is on ..."
is always in the future and "overdue" always in the past, whenever the demo is run. Re-running
replaces the demo rows (matched by their fixed refs) and leaves every other row alone.

Usage: ``python -m store.seed [--database-url URL] [--today YYYY-MM-DD]``
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from store import models
from store.db import (
    create_engine_from_url,
    create_schema,
    database_url_from_env,
    make_session_factory,
)

log = logging.getLogger(__name__)

D = Decimal


@dataclass(frozen=True)
class DemoCustomer:
    """A seeded customer, as printed for people trying the demo."""

    customer_ref: str
    name: str
    email: str
    order_refs: tuple[str, ...]


class _Clock:
    """Turns "days from the reference day" into dates and UTC datetimes at fixed times."""

    def __init__(self, today: date) -> None:
        self.today = today

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def at(self, offset: int, hour: int = 10, minute: int = 0) -> datetime:
        return datetime.combine(self.day(offset), time(hour, minute), tzinfo=timezone.utc)


MERCHANTS = (
    (
        "mer_northwind",
        "Northwind Outdoor",
        "https://northwind.example/help",
        "help@northwind.example",
    ),
    ("mer_lumen", "Lumen Electronics", "https://lumen.example/support", "support@lumen.example"),
    (
        "mer_casaverde",
        "Casa Verde Hogar",
        "https://casaverde.example/ayuda",
        "ayuda@casaverde.example",
    ),
)
CUSTOMERS = (
    ("cus_alice", "Alice Martin", "alice@example.com", "+44 7700 900101", -400),
    ("cus_bob", "Bob Okafor", "bob@example.com", "+44 7700 900202", -300),
    ("cus_carmen", "Carmen García", "carmen@example.es", "+34 600 000 303", -200),
    ("cus_dan", "Dan Whitaker", "dan@example.com", None, -100),
)


def _instalments(
    plan: models.InstalmentPlan,
    clock: _Clock,
    schedule: Sequence[tuple[int, str, str, str | None, str]],
) -> None:
    """Add instalments: (due offset, amount, status, failure code, late fee)."""
    for seq, (due, amount, status, failure, fee) in enumerate(schedule, start=1):
        plan.instalments.append(
            models.Instalment(
                sequence=seq,
                due_date=clock.day(due),
                amount=D(amount),
                status=status,
                paid_at=clock.at(due, 9, 5) if status == "paid" else None,
                failure_code=failure,
                late_fee=D(fee),
            )
        )


def _charge_history(order: models.Order, clock: _Clock, card: str) -> None:
    """One payment row per paid or failed instalment, so the history matches the schedule."""
    assert order.plan is not None
    for inst in order.plan.instalments:
        if inst.status not in ("paid", "failed"):
            continue
        offset = (inst.due_date - clock.today).days
        order.payments.append(
            models.Payment(
                instalment=inst,
                amount=inst.amount,
                currency=order.currency,
                method=card,
                status="succeeded" if inst.status == "paid" else "failed",
                failure_code=inst.failure_code,
                created_at=clock.at(offset, 9, 5),
            )
        )


def _order(
    ref: str,
    customer: models.Customer,
    merchant: models.Merchant,
    clock: _Clock,
    *,
    placed: int,
    currency: str,
    total: str,
    status: str,
    items: Sequence[tuple[str, str, int, str]],
    shipping: tuple[str, str | None, str | None, int | None, int | None] = (
        "not_shipped",
        None,
        None,
        None,
        None,
    ),
) -> models.Order:
    ship_status, carrier, tracking, shipped, delivered = shipping
    order = models.Order(
        order_ref=ref,
        customer=customer,
        merchant=merchant,
        status=status,
        shipping_status=ship_status,
        carrier=carrier,
        tracking_number=tracking,
        shipped_at=clock.at(shipped, 16) if shipped is not None else None,
        delivered_at=clock.at(delivered, 13) if delivered is not None else None,
        currency=currency,
        total=D(total),
        placed_at=clock.at(placed, 8, 30),
    )
    for sku, description, quantity, price in items:
        order.items.append(
            models.OrderItem(
                sku=sku, description=description, quantity=quantity, unit_price=D(price)
            )
        )
    return order


def _plan(order: models.Order, kind: str, clock: _Clock, offset: int) -> models.InstalmentPlan:
    plan = models.InstalmentPlan(
        kind=kind, currency=order.currency, total=order.total, created_at=clock.at(offset, 8, 31)
    )
    order.plan = plan
    return plan


def build_demo_rows(today: date) -> list[models.Customer]:
    """Build (unsaved) demo customers with their orders; merchants hang off the orders."""
    clock = _Clock(today)
    mer = {
        ref: models.Merchant(merchant_ref=ref, name=name, support_url=url, support_email=mail)
        for ref, name, url, mail in MERCHANTS
    }
    cus = {
        ref: models.Customer(
            customer_ref=ref, name=name, email=email, phone=phone, created_at=clock.at(offset)
        )
        for ref, name, email, phone, offset in CUSTOMERS
    }

    # Alice: pay-in-4 with the next instalment in 5 days; a fully paid order; one in transit.
    o = _order(
        "ORD-104233",
        cus["cus_alice"],
        mer["mer_northwind"],
        clock,
        placed=-23,
        currency="EUR",
        total="182.00",
        status="delivered",
        items=[
            ("NW-TENT-2P", "Trailhead 2-person tent", 1, "149.00"),
            ("NW-STAKE-10", "Aluminium tent stakes (10)", 1, "33.00"),
        ],
        shipping=("delivered", "DHL", "JD014600006281234567", -21, -18),
    )
    _instalments(
        _plan(o, "pay_in_4", clock, -23),
        clock,
        [
            (-23, "45.50", "paid", None, "0.00"),
            (-9, "45.50", "paid", None, "0.00"),
            (5, "45.50", "scheduled", None, "0.00"),
            (19, "45.50", "scheduled", None, "0.00"),
        ],
    )
    _charge_history(o, clock, "card ending 4242")
    o = _order(
        "ORD-104301",
        cus["cus_alice"],
        mer["mer_lumen"],
        clock,
        placed=-95,
        currency="GBP",
        total="1200.00",
        status="delivered",
        items=[("LU-LAPTOP-14", "Lumen Air 14 laptop", 1, "1200.00")],
        shipping=("delivered", "Royal Mail", "RM123456785GB", -94, -92),
    )
    _instalments(
        _plan(o, "pay_in_3", clock, -95),
        clock,
        [
            (-95, "400.00", "paid", None, "0.00"),
            (-65, "400.00", "paid", None, "0.00"),
            (-35, "400.00", "paid", None, "0.00"),
        ],
    )
    _charge_history(o, clock, "card ending 4242")
    o = _order(
        "ORD-104377",
        cus["cus_alice"],
        mer["mer_northwind"],
        clock,
        placed=-3,
        currency="USD",
        total="89.99",
        status="shipped",
        items=[("NW-JACKET-M", "Ridge rain jacket, size M", 1, "89.99")],
        shipping=("in_transit", "UPS", "1Z999AA10123456784", -2, None),
    )
    o.payments.append(
        models.Payment(
            amount=D("89.99"),
            currency="USD",
            method="card ending 4242",
            status="succeeded",
            created_at=clock.at(-3, 8, 31),
        )
    )

    # Bob: an overdue instalment with a late fee; a refund processing; a cancelled order refunded.
    o = _order(
        "ORD-104410",
        cus["cus_bob"],
        mer["mer_lumen"],
        clock,
        placed=-20,
        currency="GBP",
        total="249.00",
        status="delivered",
        items=[("LU-HEADPH-NC", "Noise-cancelling headphones", 1, "249.00")],
        shipping=("delivered", "Royal Mail", "RM987654321GB", -19, -17),
    )
    _instalments(
        _plan(o, "pay_in_4", clock, -20),
        clock,
        [
            (-20, "62.25", "paid", None, "0.00"),
            (-6, "62.25", "overdue", None, "6.00"),
            (8, "62.25", "scheduled", None, "0.00"),
            (22, "62.25", "scheduled", None, "0.00"),
        ],
    )
    _charge_history(o, clock, "card ending 1881")
    o = _order(
        "ORD-104455",
        cus["cus_bob"],
        mer["mer_northwind"],
        clock,
        placed=-30,
        currency="GBP",
        total="89.99",
        status="returned",
        items=[("NW-BOOTS-43", "Summit hiking boots, EU 43", 1, "89.99")],
        shipping=("returned", "DPD", "15501234567890", -29, -27),
    )
    o.payments.append(
        models.Payment(
            amount=D("89.99"),
            currency="GBP",
            method="card ending 1881",
            status="succeeded",
            created_at=clock.at(-30, 8, 31),
        )
    )
    o.refunds.append(
        models.Refund(
            refund_ref="RF-20455",
            amount=D("89.99"),
            currency="GBP",
            status="processing",
            reason="Returned: wrong size",
            requested_at=clock.at(-4, 11),
            expected_by=clock.day(5),
        )
    )
    o = _order(
        "ORD-104460",
        cus["cus_bob"],
        mer["mer_lumen"],
        clock,
        placed=-12,
        currency="GBP",
        total="120.00",
        status="cancelled",
        items=[("LU-SPK-MINI", "Mini smart speaker", 2, "60.00")],
    )
    o.payments.append(
        models.Payment(
            amount=D("120.00"),
            currency="GBP",
            method="card ending 1881",
            status="refunded",
            created_at=clock.at(-12, 8, 31),
        )
    )
    o.refunds.append(
        models.Refund(
            refund_ref="RF-20460",
            amount=D("120.00"),
            currency="GBP",
            status="completed",
            reason="Order cancelled before shipping",
            requested_at=clock.at(-11, 9),
            expected_by=clock.day(-4),
            completed_at=clock.at(-6, 15),
        )
    )

    # Carmen (Spanish speaker): a failed instalment; an order under an open dispute.
    o = _order(
        "ORD-104512",
        cus["cus_carmen"],
        mer["mer_casaverde"],
        clock,
        placed=-32,
        currency="EUR",
        total="300.00",
        status="delivered",
        items=[
            ("CV-SOFA-CUSH", "Cojines de sofá (juego de 4)", 1, "120.00"),
            ("CV-LAMP-ARC", "Lámpara de arco", 1, "180.00"),
        ],
        shipping=("delivered", "SEUR", "SEUR5566778899", -31, -28),
    )
    _instalments(
        _plan(o, "pay_in_3", clock, -32),
        clock,
        [
            (-32, "100.00", "paid", None, "0.00"),
            (-2, "100.00", "failed", "insufficient_funds", "0.00"),
            (28, "100.00", "scheduled", None, "0.00"),
        ],
    )
    _charge_history(o, clock, "card ending 5100")
    o = _order(
        "ORD-104530",
        cus["cus_carmen"],
        mer["mer_casaverde"],
        clock,
        placed=-15,
        currency="EUR",
        total="64.90",
        status="shipped",
        items=[("CV-RUG-S", "Alfombra de yute, pequeña", 1, "64.90")],
        shipping=("in_transit", "Correos", "PQ4F6P0703154500128001A", -13, None),
    )
    o.payments.append(
        models.Payment(
            amount=D("64.90"),
            currency="EUR",
            method="card ending 5100",
            status="succeeded",
            created_at=clock.at(-15, 8, 31),
        )
    )
    o.disputes.append(
        models.Dispute(
            dispute_ref="DSP-30530",
            reason="Item not received",
            amount=D("64.90"),
            status="open",
            opened_at=clock.at(-1, 18),
        )
    )

    # Dan: monthly plan in USD; a placed (not yet shipped) pay-in-4; a cancelled order.
    o = _order(
        "ORD-104601",
        cus["cus_dan"],
        mer["mer_lumen"],
        clock,
        placed=-62,
        currency="USD",
        total="599.94",
        status="delivered",
        items=[("LU-TV-43", 'Lumen 43" 4K TV', 1, "599.94")],
        shipping=("delivered", "FedEx", "771234567890", -60, -57),
    )
    _instalments(
        _plan(o, "monthly_6", clock, -62),
        clock,
        [
            (-62, "99.99", "paid", None, "0.00"),
            (-31, "99.99", "paid", None, "0.00"),
            (12, "99.99", "scheduled", None, "0.00"),
            (43, "99.99", "scheduled", None, "0.00"),
            (73, "99.99", "scheduled", None, "0.00"),
            (104, "99.99", "scheduled", None, "0.00"),
        ],
    )
    _charge_history(o, clock, "card ending 0005")
    o = _order(
        "ORD-104640",
        cus["cus_dan"],
        mer["mer_northwind"],
        clock,
        placed=-1,
        currency="USD",
        total="39.96",
        status="placed",
        items=[("NW-SOCKS-3", "Merino hiking socks (3 pairs)", 1, "39.96")],
    )
    _instalments(
        _plan(o, "pay_in_4", clock, -1),
        clock,
        [
            (-1, "9.99", "paid", None, "0.00"),
            (13, "9.99", "scheduled", None, "0.00"),
            (27, "9.99", "scheduled", None, "0.00"),
            (41, "9.99", "scheduled", None, "0.00"),
        ],
    )
    _charge_history(o, clock, "card ending 0005")
    _order(
        "ORD-104622",
        cus["cus_dan"],
        mer["mer_casaverde"],
        clock,
        placed=-8,
        currency="USD",
        total="45.00",
        status="cancelled",
        items=[("CV-MUG-SET", "Stoneware mug set", 1, "45.00")],
    )

    return list(cus.values())


def _delete_demo_rows(session: Session) -> None:
    """Remove previous demo rows; other (imported) data is untouched."""
    customer_refs = [c[0] for c in CUSTOMERS]
    customers = session.execute(
        select(models.Customer).where(models.Customer.customer_ref.in_(customer_refs))
    ).scalars()
    for customer in customers:
        session.delete(customer)  # ORM cascade removes orders and everything under them
    session.flush()
    merchant_refs = [m[0] for m in MERCHANTS]
    session.execute(delete(models.Merchant).where(models.Merchant.merchant_ref.in_(merchant_refs)))


def seed_demo_data(session_factory: sessionmaker, today: date) -> list[DemoCustomer]:
    """Replace the demo rows in one transaction and describe what was written."""
    customers = build_demo_rows(today)
    with session_factory() as session, session.begin():
        _delete_demo_rows(session)
        session.add_all(customers)
    return [
        DemoCustomer(c.customer_ref, c.name, c.email, tuple(o.order_ref for o in c.orders))
        for c in customers
    ]


def _print_summary(customers: Sequence[DemoCustomer], today: date) -> None:
    print(f"Demo data seeded (reference day {today.isoformat()}):")
    print(f"  {'customer':<12} {'email':<20} orders")
    for c in customers:
        print(f"  {c.customer_ref:<12} {c.email:<20} {', '.join(c.order_refs)}")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: DATABASE_URL or var/payassist.db)"
    )
    parser.add_argument(
        "--today", type=date.fromisoformat, help="reference day, YYYY-MM-DD (default: today UTC)"
    )
    args = parser.parse_args(argv)
    today = args.today or datetime.now(timezone.utc).date()
    engine = create_engine_from_url(args.database_url or database_url_from_env())
    try:
        create_schema(engine)
        customers = seed_demo_data(make_session_factory(engine), today)
    finally:
        engine.dispose()
    _print_summary(customers, today)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main())
