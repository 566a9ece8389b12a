# mypy: allow-subclassing-any
"""SQLAlchemy models of the payments data the assistant answers from.

Every money column is ``Money`` (``Numeric(12, 2)`` + an ISO 4217 ``currency`` on the row or its
parent), every timestamp ``UTCDateTime``, and every closed set of values is enforced by the
database (CHECK constraints), not only by Python, so imported or hand-edited data cannot hold a
status the assistant does not know how to explain.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

from store.columns import Money, UTCDateTime
from store.constants import (
    DISPUTE_STATUSES,
    FAILURE_CODES,
    INSTALMENT_STATUSES,
    ORDER_STATUSES,
    PAYMENT_STATUSES,
    PLAN_KINDS,
    REFUND_STATUSES,
    SHIPPING_STATUSES,
)

Base: Any = declarative_base()  # SQLAlchemy 1.4 ships no type hints


def _choice(name: str, values: tuple[str, ...]) -> Enum:
    """A VARCHAR with a CHECK constraint (portable; no native PostgreSQL enum to migrate)."""
    return Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(v) for v in values),
    )


def _currency_check(table: str, column: str = "currency") -> CheckConstraint:
    return CheckConstraint(
        f"length({column}) = 3 AND upper({column}) = {column}", name=f"ck_{table}_{column}_iso"
    )


def _non_negative(table: str, column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"ck_{table}_{column}_non_negative")


class Customer(Base):
    """A shopper; ``customer_ref`` is what the host site puts in the token's ``sub``."""

    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    customer_ref = Column(String(64), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    email = Column(String(254), nullable=False)
    phone = Column(String(32))
    created_at = Column(UTCDateTime, nullable=False)

    orders = relationship("Order", back_populates="customer", cascade="all, delete-orphan")


class Merchant(Base):
    """The shop the customer bought from; its support contacts go into return instructions."""

    __tablename__ = "merchants"

    id = Column(Integer, primary_key=True)
    merchant_ref = Column(String(64), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    support_url = Column(String(500))
    support_email = Column(String(254))

    orders = relationship("Order", back_populates="merchant")


class Order(Base):
    """A purchase, its shipping state and everything financed or refunded on it."""

    __tablename__ = "orders"
    __table_args__ = (_currency_check("orders"), _non_negative("orders", "total"))

    id = Column(Integer, primary_key=True)
    order_ref = Column(String(64), nullable=False, unique=True)
    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    merchant_id = Column(
        Integer, ForeignKey("merchants.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    status = Column(_choice("order_status", ORDER_STATUSES), nullable=False)
    shipping_status = Column(
        _choice("shipping_status", SHIPPING_STATUSES),
        nullable=False,
        server_default=text("'not_shipped'"),
        default="not_shipped",
    )
    carrier = Column(String(64))
    tracking_number = Column(String(64))
    shipped_at = Column(UTCDateTime)
    delivered_at = Column(UTCDateTime)
    currency = Column(String(3), nullable=False)
    total = Column(Money, nullable=False)
    placed_at = Column(UTCDateTime, nullable=False)

    customer = relationship("Customer", back_populates="orders")
    merchant = relationship("Merchant", back_populates="orders")
    items = relationship(
        "OrderItem", back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    plan = relationship(
        "InstalmentPlan", back_populates="order", cascade="all, delete-orphan", uselist=False
    )
    payments = relationship(
        "Payment", back_populates="order", cascade="all, delete-orphan", order_by="Payment.id"
    )
    refunds = relationship(
        "Refund", back_populates="order", cascade="all, delete-orphan", order_by="Refund.id"
    )
    disputes = relationship(
        "Dispute", back_populates="order", cascade="all, delete-orphan", order_by="Dispute.id"
    )


class OrderItem(Base):
    """A line of an order, priced in the order's currency."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_order_items_quantity_positive"),
        _non_negative("order_items", "unit_price"),
    )

    id = Column(Integer, primary_key=True)
    order_id = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sku = Column(String(64), nullable=False)
    description = Column(String(300), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price = Column(Money, nullable=False)

    order = relationship("Order", back_populates="items")


class InstalmentPlan(Base):
    """How an order is paid over time; at most one plan per order."""

    __tablename__ = "instalment_plans"
    __table_args__ = (
        _currency_check("instalment_plans"),
        _non_negative("instalment_plans", "total"),
    )

    id = Column(Integer, primary_key=True)
    order_id = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    kind = Column(_choice("plan_kind", tuple(PLAN_KINDS)), nullable=False)
    currency = Column(String(3), nullable=False)
    total = Column(Money, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)

    order = relationship("Order", back_populates="plan")
    instalments = relationship(
        "Instalment",
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="Instalment.sequence",
    )


class Instalment(Base):
    """One scheduled payment of a plan, in the plan's currency."""

    __tablename__ = "instalments"
    __table_args__ = (
        UniqueConstraint("plan_id", "sequence", name="uq_instalments_plan_sequence"),
        CheckConstraint("sequence >= 1", name="ck_instalments_sequence_positive"),
        _non_negative("instalments", "amount"),
        _non_negative("instalments", "late_fee"),
    )

    id = Column(Integer, primary_key=True)
    plan_id = Column(
        Integer, ForeignKey("instalment_plans.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sequence = Column(Integer, nullable=False)
    due_date = Column(Date, nullable=False)
    amount = Column(Money, nullable=False)
    status = Column(_choice("instalment_status", INSTALMENT_STATUSES), nullable=False)
    paid_at = Column(UTCDateTime)
    failure_code = Column(_choice("failure_code", FAILURE_CODES))
    late_fee = Column(Money, nullable=False, server_default=text("0"), default=Decimal("0.00"))

    plan = relationship("InstalmentPlan", back_populates="instalments")


class Payment(Base):
    """A card charge (or attempt) against an order, optionally for a specific instalment."""

    __tablename__ = "payments"
    __table_args__ = (_currency_check("payments"), _non_negative("payments", "amount"))

    id = Column(Integer, primary_key=True)
    order_id = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    instalment_id = Column(Integer, ForeignKey("instalments.id", ondelete="SET NULL"))
    amount = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    method = Column(String(64), nullable=False)
    status = Column(_choice("payment_status", PAYMENT_STATUSES), nullable=False)
    failure_code = Column(_choice("payment_failure_code", FAILURE_CODES))
    created_at = Column(UTCDateTime, nullable=False)

    order = relationship("Order", back_populates="payments")
    instalment = relationship("Instalment")


class Refund(Base):
    """Money going back to the customer; ``expected_by`` is what we promise them."""

    __tablename__ = "refunds"
    __table_args__ = (_currency_check("refunds"), _non_negative("refunds", "amount"))

    id = Column(Integer, primary_key=True)
    refund_ref = Column(String(64), nullable=False, unique=True)
    order_id = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    amount = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    status = Column(_choice("refund_status", REFUND_STATUSES), nullable=False)
    reason = Column(String(500))
    requested_at = Column(UTCDateTime, nullable=False)
    expected_by = Column(Date)
    completed_at = Column(UTCDateTime)

    order = relationship("Order", back_populates="refunds")


class Dispute(Base):
    """A customer's disagreement with a charge; always handled by a person."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_disputes_amount_non_negative"),
    )

    id = Column(Integer, primary_key=True)
    dispute_ref = Column(String(64), nullable=False, unique=True)
    order_id = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reason = Column(String(500), nullable=False)
    amount = Column(Money)
    status = Column(_choice("dispute_status", DISPUTE_STATUSES), nullable=False)
    opened_at = Column(UTCDateTime, nullable=False)

    order = relationship("Order", back_populates="disputes")
