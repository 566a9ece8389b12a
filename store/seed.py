"""Deterministic demo data: four customers with orders in every state the assistant explains.

Dates are relative to a reference day (default: today in UTC) so "your next payment is on ..."
is always in the future and "overdue" always in the past, whenever the demo is run. Re-running
replaces the demo rows (matched by their fixed refs) and leaves every other row alone.

Usage: ``python -m store.seed [--database-url URL] [--today YYYY-MM-DD]``; migrates the database
to the code's schema revision first (``migrations/``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from migrations.runner import upgrade
from store import models
from store.db import create_engine_from_url, database_url_from_env, make_session_factory

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


class _Due(NamedTuple):
    """One instalment of a demo plan: due day (offset from the reference day) and state."""

    offset: int
    status: str
    failure_code: str | None = None
    late_fee: str = "0.00"


_PAID, _SCHEDULED = "paid", "scheduled"

# Tables in the shape of the rows they become, keyed by order ref. Day offsets count from the
# reference day. Orders are listed per customer in the order they are printed for the demo.
#   Alice: pay-in-4 with the next instalment in 5 days; a fully paid order; one in transit.
#   Bob: an overdue instalment with a late fee; a refund processing; a cancelled order refunded.
#   Carmen (Spanish speaker): a failed instalment; an order under an open dispute.
#   Dan: monthly plan in USD; a placed (not yet shipped) pay-in-4; a cancelled order.

# order ref: customer, merchant, placed, currency, total, status
ORDERS: dict[str, tuple[str, str, int, str, str, str]] = {
    "ORD-104233": ("cus_alice", "mer_northwind", -23, "EUR", "182.00", "delivered"),
    "ORD-104301": ("cus_alice", "mer_lumen", -95, "GBP", "1200.00", "delivered"),
    "ORD-104377": ("cus_alice", "mer_northwind", -3, "USD", "89.99", "shipped"),
    "ORD-104410": ("cus_bob", "mer_lumen", -20, "GBP", "249.00", "delivered"),
    "ORD-104455": ("cus_bob", "mer_northwind", -30, "GBP", "89.99", "returned"),
    "ORD-104460": ("cus_bob", "mer_lumen", -12, "GBP", "120.00", "cancelled"),
    "ORD-104512": ("cus_carmen", "mer_casaverde", -32, "EUR", "300.00", "delivered"),
    "ORD-104530": ("cus_carmen", "mer_casaverde", -15, "EUR", "64.90", "shipped"),
    "ORD-104601": ("cus_dan", "mer_lumen", -62, "USD", "599.94", "delivered"),
    "ORD-104640": ("cus_dan", "mer_northwind", -1, "USD", "39.96", "placed"),
    "ORD-104622": ("cus_dan", "mer_casaverde", -8, "USD", "45.00", "cancelled"),
}
# order ref, sku, description, quantity, unit price
ITEMS: tuple[tuple[str, str, str, int, str], ...] = (
    ("ORD-104233", "NW-TENT-2P", "Trailhead 2-person tent", 1, "149.00"),
    ("ORD-104233", "NW-STAKE-10", "Aluminium tent stakes (10)", 1, "33.00"),
    ("ORD-104301", "LU-LAPTOP-14", "Lumen Air 14 laptop", 1, "1200.00"),
    ("ORD-104377", "NW-JACKET-M", "Ridge rain jacket, size M", 1, "89.99"),
    ("ORD-104410", "LU-HEADPH-NC", "Noise-cancelling headphones", 1, "249.00"),
    ("ORD-104455", "NW-BOOTS-43", "Summit hiking boots, EU 43", 1, "89.99"),
    ("ORD-104460", "LU-SPK-MINI", "Mini smart speaker", 2, "60.00"),
    ("ORD-104512", "CV-SOFA-CUSH", "Cojines de sofá (juego de 4)", 1, "120.00"),
    ("ORD-104512", "CV-LAMP-ARC", "Lámpara de arco", 1, "180.00"),
    ("ORD-104530", "CV-RUG-S", "Alfombra de yute, pequeña", 1, "64.90"),
    ("ORD-104601", "LU-TV-43", 'Lumen 43" 4K TV', 1, "599.94"),
    ("ORD-104640", "NW-SOCKS-3", "Merino hiking socks (3 pairs)", 1, "39.96"),
    ("ORD-104622", "CV-MUG-SET", "Stoneware mug set", 1, "45.00"),
)
# order ref: shipping status, carrier, tracking number, shipped, delivered (others: not shipped)
SHIPMENTS: dict[str, tuple[str, str, str, int, int | None]] = {
    "ORD-104233": ("delivered", "DHL", "JD014600006281234567", -21, -18),
    "ORD-104301": ("delivered", "Royal Mail", "RM123456785GB", -94, -92),
    "ORD-104377": ("in_transit", "UPS", "1Z999AA10123456784", -2, None),
    "ORD-104410": ("delivered", "Royal Mail", "RM987654321GB", -19, -17),
    "ORD-104455": ("returned", "DPD", "15501234567890", -29, -27),
    "ORD-104512": ("delivered", "SEUR", "SEUR5566778899", -31, -28),
    "ORD-104530": ("in_transit", "Correos", "PQ4F6P0703154500128001A", -13, None),
    "ORD-104601": ("delivered", "FedEx", "771234567890", -60, -57),
}
# order ref: plan kind, paying card, instalment amount, instalments. The plan is created when
# the order is placed; every paid or failed instalment has its payment row.
PLANS: dict[str, tuple[str, str, str, tuple[_Due, ...]]] = {
    "ORD-104233": (
        "pay_in_4",
        "Visa ending 4242",
        "45.50",
        (_Due(-23, _PAID), _Due(-9, _PAID), _Due(5, _SCHEDULED), _Due(19, _SCHEDULED)),
    ),
    "ORD-104301": (
        "pay_in_3",
        "Visa ending 4242",
        "400.00",
        (_Due(-95, _PAID), _Due(-65, _PAID), _Due(-35, _PAID)),
    ),
    "ORD-104410": (
        "pay_in_4",
        "Mastercard ending 1881",
        "62.25",
        (
            _Due(-20, _PAID),
            _Due(-6, "overdue", late_fee="6.00"),
            _Due(8, _SCHEDULED),
            _Due(22, _SCHEDULED),
        ),
    ),
    "ORD-104512": (
        "pay_in_3",
        "Mastercard ending 5100",
        "100.00",
        (_Due(-32, _PAID), _Due(-2, "failed", "insufficient_funds"), _Due(28, _SCHEDULED)),
    ),
    "ORD-104601": (
        "monthly_6",
        "Visa ending 0005",
        "99.99",
        (
            _Due(-62, _PAID),
            _Due(-31, _PAID),
            _Due(12, _SCHEDULED),
            _Due(43, _SCHEDULED),
            _Due(73, _SCHEDULED),
            _Due(104, _SCHEDULED),
        ),
    ),
    "ORD-104640": (
        "pay_in_4",
        "Visa ending 0005",
        "9.99",
        (_Due(-1, _PAID), _Due(13, _SCHEDULED), _Due(27, _SCHEDULED), _Due(41, _SCHEDULED)),
    ),
}
# order ref: card, payment status of an order paid in full when it was placed
UPFRONT_PAYMENTS = {
    "ORD-104377": ("Visa ending 4242", "succeeded"),
    "ORD-104455": ("Mastercard ending 1881", "succeeded"),
    "ORD-104460": ("Mastercard ending 1881", "refunded"),
    "ORD-104530": ("Mastercard ending 5100", "succeeded"),
}
# order ref: refund ref, amount, status, reason, requested (day, hour), expected by, completed
# (day, hour); in the order's currency
REFUNDS: dict[str, tuple[str, str, str, str, tuple[int, int], int, tuple[int, int] | None]] = {
    "ORD-104455": ("RF-20455", "89.99", "processing", "Returned: wrong size", (-4, 11), 5, None),
    "ORD-104460": (
        "RF-20460",
        "120.00",
        "completed",
        "Order cancelled before shipping",
        (-11, 9),
        -4,
        (-6, 15),
    ),
}


def _order(
    ref: str,
    customers: Mapping[str, models.Customer],
    merchants: Mapping[str, models.Merchant],
    clock: _Clock,
) -> models.Order:
    """The order ``ref`` with its items and shipping, from :data:`ORDERS` and friends."""
    customer, merchant, placed, currency, total, status = ORDERS[ref]
    ship_status, carrier, tracking, shipped, delivered = SHIPMENTS.get(
        ref, ("not_shipped", None, None, None, None)
    )
    order = models.Order(
        order_ref=ref,
        customer=customers[customer],
        merchant=merchants[merchant],
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
    for item_order, sku, description, quantity, price in ITEMS:
        if item_order == ref:
            order.items.append(
                models.OrderItem(
                    sku=sku, description=description, quantity=quantity, unit_price=D(price)
                )
            )
    return order


def _plan(order: models.Order, clock: _Clock, placed: int) -> None:
    """Attach the order's instalment plan and one payment per paid or failed instalment."""
    kind, card, amount, dues = PLANS[order.order_ref]
    plan = models.InstalmentPlan(
        kind=kind, currency=order.currency, total=order.total, created_at=clock.at(placed, 8, 31)
    )
    order.plan = plan
    for seq, due in enumerate(dues, start=1):
        inst = models.Instalment(
            sequence=seq,
            due_date=clock.day(due.offset),
            amount=D(amount),
            status=due.status,
            paid_at=clock.at(due.offset, 9, 5) if due.status == _PAID else None,
            failure_code=due.failure_code,
            late_fee=D(due.late_fee),
        )
        plan.instalments.append(inst)
        if due.status in (_PAID, "failed"):
            order.payments.append(
                models.Payment(
                    instalment=inst,
                    amount=inst.amount,
                    currency=order.currency,
                    method=card,
                    status="succeeded" if due.status == _PAID else "failed",
                    failure_code=inst.failure_code,
                    created_at=clock.at(due.offset, 9, 5),
                )
            )


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
    orders: dict[str, models.Order] = {}
    for ref, (_, _, placed, *_) in ORDERS.items():
        order = orders[ref] = _order(ref, cus, mer, clock)
        if ref in PLANS:
            _plan(order, clock, placed)
        if ref in UPFRONT_PAYMENTS:
            card, status = UPFRONT_PAYMENTS[ref]
            order.payments.append(
                models.Payment(
                    amount=order.total,
                    currency=order.currency,
                    method=card,
                    status=status,
                    created_at=clock.at(placed, 8, 31),
                )
            )
        if ref in REFUNDS:
            refund_ref, amount, status, reason, requested, expected, completed = REFUNDS[ref]
            order.refunds.append(
                models.Refund(
                    refund_ref=refund_ref,
                    amount=D(amount),
                    currency=order.currency,
                    status=status,
                    reason=reason,
                    requested_at=clock.at(*requested),
                    expected_by=clock.day(expected),
                    completed_at=clock.at(*completed) if completed is not None else None,
                )
            )
    orders["ORD-104530"].disputes.append(
        models.Dispute(
            dispute_ref="DSP-30530",
            reason="Item not received",
            amount=D("64.90"),
            status="open",
            opened_at=clock.at(-1, 18),
        )
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
    url = args.database_url or database_url_from_env()
    upgrade(url)
    engine = create_engine_from_url(url)
    try:
        customers = seed_demo_data(make_session_factory(engine), today)
    finally:
        engine.dispose()
    _print_summary(customers, today)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main())
