"""Checking validated import data against the database, then writing it in one transaction.

Semantics (also in docs/data-schema.md):

* Without ``replace``: every customer, merchant, order, refund and dispute ref in the file must
  be new. Orders may name customers and merchants that already exist in the database.
* With ``replace``: existing customers and merchants are updated with the file's values, and an
  existing order is deleted with everything under it (items, plan, payments, refunds, disputes)
  and re-created from the file. Orders not in the file are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import models
from store.imports.records import Dataset, Problem, Record


@dataclass(frozen=True)
class _Existing:
    customers: dict[str, models.Customer]
    merchants: dict[str, models.Merchant]
    orders: dict[str, models.Order]
    refunds: dict[str, str]  # refund_ref -> order_ref
    disputes: dict[str, str]  # dispute_ref -> order_ref


def _refs(data: Dataset, kind: str, field: str) -> set[str]:
    return {r.values[field] for r in data.of(kind)}


def _by_ref(session: Session, column: Any, refs: set[str]) -> dict[str, Any]:
    """Rows of ``column``'s model whose ref is in ``refs``, keyed by ref."""
    model = column.class_
    rows = session.execute(select(model).where(column.in_(refs))).scalars()
    return {getattr(row, column.key): row for row in rows}


def _owners(session: Session, column: Any, refs: set[str]) -> dict[str, str]:
    """For refund/dispute refs: ref -> the order_ref it belongs to."""
    query = select(column, models.Order.order_ref).join(column.class_.order).where(column.in_(refs))
    return {ref: order_ref for ref, order_ref in session.execute(query).all()}


def _load_existing(session: Session, data: Dataset) -> _Existing:
    customer_refs = _refs(data, "customer", "customer_ref") | _refs(data, "order", "customer_ref")
    merchant_refs = _refs(data, "merchant", "merchant_ref") | _refs(data, "order", "merchant_ref")
    return _Existing(
        customers=_by_ref(session, models.Customer.customer_ref, customer_refs),
        merchants=_by_ref(session, models.Merchant.merchant_ref, merchant_refs),
        orders=_by_ref(session, models.Order.order_ref, _refs(data, "order", "order_ref")),
        refunds=_owners(session, models.Refund.refund_ref, _refs(data, "refund", "refund_ref")),
        disputes=_owners(
            session, models.Dispute.dispute_ref, _refs(data, "dispute", "dispute_ref")
        ),
    )


def check_against_database(
    session: Session, data: Dataset, *, replace: bool
) -> tuple[list[Problem], _Existing]:
    """Problems that only the database can reveal: clashing refs and unknown customers."""
    existing = _load_existing(session, data)
    problems: list[Problem] = []
    hint = "already exists in the database (use --replace to overwrite it)"
    if not replace:
        for kind, field, known in (
            ("customer", "customer_ref", existing.customers),
            ("merchant", "merchant_ref", existing.merchants),
            ("order", "order_ref", existing.orders),
        ):
            for rec in data.of(kind):
                if rec.values[field] in known:
                    problems.append(Problem(rec.where, f"{field} {rec.values[field]!r} {hint}"))
    replaced_orders = _refs(data, "order", "order_ref") if replace else set()
    for kind, field, owners in (
        ("refund", "refund_ref", existing.refunds),
        ("dispute", "dispute_ref", existing.disputes),
    ):
        for rec in data.of(kind):
            owner = owners.get(rec.values[field])
            if owner is not None and owner not in replaced_orders:
                problems.append(
                    Problem(
                        rec.where, f"{field} {rec.values[field]!r} already exists on order {owner}"
                    )
                )
    file_customers = data.declared.get("customer", set())
    file_merchants = data.declared.get("merchant", set())
    for order in data.of("order"):
        ref = order.values["customer_ref"]
        if ref not in file_customers and ref not in existing.customers:
            problems.append(
                Problem(order.where, f"customer_ref {ref!r} is not in the file or the database")
            )
        ref = order.values["merchant_ref"]
        if ref not in file_merchants and ref not in existing.merchants:
            problems.append(
                Problem(order.where, f"merchant_ref {ref!r} is not in the file or the database")
            )
    return problems, existing


def _upsert(session: Session, model: Any, known: dict[str, Any], rec: Record, field: str) -> Any:
    row = known.get(rec.values[field])
    if row is None:
        row = model(**rec.values)
        session.add(row)
        known[rec.values[field]] = row
    else:
        for name, value in rec.values.items():
            setattr(row, name, value)
    return row


def write(session: Session, data: Dataset, existing: _Existing, now: datetime) -> None:
    """Add everything to ``session`` (the caller commits or rolls back)."""
    customers, merchants = dict(existing.customers), dict(existing.merchants)
    for rec in data.of("customer"):
        rec.values.setdefault("created_at", now)
        _upsert(session, models.Customer, customers, rec, "customer_ref")
    for rec in data.of("merchant"):
        _upsert(session, models.Merchant, merchants, rec, "merchant_ref")
    for old in existing.orders.values():
        session.delete(old)  # only reached with replace=True (otherwise a clash was reported)
    session.flush()

    orders: dict[str, models.Order] = {}
    for rec in data.of("order"):
        values = dict(rec.values)
        customer = customers[values.pop("customer_ref")]
        merchant = merchants[values.pop("merchant_ref")]
        order = models.Order(customer=customer, merchant=merchant, **values)
        orders[order.order_ref] = order
        session.add(order)
    for rec in data.of("item"):
        orders[rec.order_ref or ""].items.append(models.OrderItem(**rec.values))
    for rec in data.of("plan"):
        order = orders[rec.order_ref or ""]
        order.plan = models.InstalmentPlan(**{"created_at": order.placed_at, **rec.values})
    instalments: dict[tuple[str, int], models.Instalment] = {}
    for rec in data.of("instalment"):
        inst = models.Instalment(**rec.values)
        orders[rec.order_ref or ""].plan.instalments.append(inst)
        instalments[(rec.order_ref or "", inst.sequence)] = inst
    for rec in data.of("payment"):
        values = dict(rec.values)
        seq = values.pop("instalment_sequence", None)
        paid = instalments.get((rec.order_ref or "", seq)) if seq is not None else None
        orders[rec.order_ref or ""].payments.append(models.Payment(instalment=paid, **values))
    for rec in data.of("refund"):
        orders[rec.order_ref or ""].refunds.append(models.Refund(**rec.values))
    for rec in data.of("dispute"):
        orders[rec.order_ref or ""].disputes.append(models.Dispute(**rec.values))
    session.flush()
