"""ORM rows -> frozen views. Kept apart from ``views`` so views stay free of SQLAlchemy."""

from __future__ import annotations

from store import models
from store.views import (
    CustomerView,
    DisputeView,
    InstalmentView,
    ItemView,
    OrderView,
    PaymentView,
    PlanView,
    RefundView,
)


def customer_view(row: models.Customer) -> CustomerView:
    """Build a ``CustomerView`` from a loaded row."""
    return CustomerView(
        customer_ref=row.customer_ref,
        name=row.name,
        email=row.email,
        phone=row.phone,
        created_at=row.created_at,
    )


def dispute_view(row: models.Dispute, order: models.Order) -> DisputeView:
    """Build a ``DisputeView``; the currency is the order's."""
    return DisputeView(
        dispute_ref=row.dispute_ref,
        order_ref=order.order_ref,
        reason=row.reason,
        amount=row.amount,
        currency=order.currency,
        status=row.status,
        opened_at=row.opened_at,
    )


def _plan_view(plan: models.InstalmentPlan) -> PlanView:
    return PlanView(
        kind=plan.kind,
        currency=plan.currency,
        total=plan.total,
        created_at=plan.created_at,
        instalments=tuple(
            InstalmentView(
                sequence=i.sequence,
                due_date=i.due_date,
                amount=i.amount,
                currency=plan.currency,
                status=i.status,
                paid_at=i.paid_at,
                failure_code=i.failure_code,
                late_fee=i.late_fee,
            )
            for i in sorted(plan.instalments, key=lambda i: i.sequence)
        ),
    )


def order_view(row: models.Order) -> OrderView:
    """Build an ``OrderView`` from an order whose relationships were eager-loaded."""
    return OrderView(
        order_ref=row.order_ref,
        customer_ref=row.customer.customer_ref,
        merchant_ref=row.merchant.merchant_ref,
        merchant_name=row.merchant.name,
        merchant_support_url=row.merchant.support_url,
        merchant_support_email=row.merchant.support_email,
        status=row.status,
        shipping_status=row.shipping_status,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        shipped_at=row.shipped_at,
        delivered_at=row.delivered_at,
        currency=row.currency,
        total=row.total,
        placed_at=row.placed_at,
        items=tuple(
            ItemView(
                sku=i.sku, description=i.description, quantity=i.quantity, unit_price=i.unit_price
            )
            for i in row.items
        ),
        plan=_plan_view(row.plan) if row.plan is not None else None,
        payments=tuple(
            PaymentView(
                amount=p.amount,
                currency=p.currency,
                method=p.method,
                status=p.status,
                failure_code=p.failure_code,
                created_at=p.created_at,
                instalment_sequence=p.instalment.sequence if p.instalment is not None else None,
            )
            for p in row.payments
        ),
        refunds=tuple(
            RefundView(
                refund_ref=r.refund_ref,
                amount=r.amount,
                currency=r.currency,
                status=r.status,
                reason=r.reason,
                requested_at=r.requested_at,
                expected_by=r.expected_by,
                completed_at=r.completed_at,
            )
            for r in row.refunds
        ),
        disputes=tuple(dispute_view(d, row) for d in row.disputes),
    )
