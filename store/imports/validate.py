"""Checking raw records: field types first, then rules that span records.

Every problem is collected (nothing stops at the first error) so a company can fix its export in
one pass. Records with field errors are left out of the cross-record checks, but the refs they
declare still count, so one bad cell does not cascade into "unknown order" reports.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from itertools import pairwise

from store.constants import PLAN_KINDS
from store.imports.fields import SPECS
from store.imports.fields import order_ref as parse_order_ref
from store.imports.records import CHILD_KINDS, Dataset, Problem, RawRecord, Record

_REF_FIELD = {
    "customer": "customer_ref",
    "merchant": "merchant_ref",
    "order": "order_ref",
    "refund": "refund_ref",
    "dispute": "dispute_ref",
}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_record(raw: RawRecord, problems: list[Problem]) -> Record | None:
    """Type-check one record; None (with problems added) if any field is bad."""
    specs = SPECS[raw.kind]
    ok = True
    values = {}
    for name in raw.fields:
        if name not in specs:
            problems.append(Problem(raw.where, f"unknown field {name!r} in {raw.kind}"))
            ok = False
    for name, spec in specs.items():
        value = raw.fields.get(name)
        if _missing(value):
            if spec.required:
                problems.append(Problem(raw.where, f"missing required field {name!r}"))
                ok = False
            continue
        try:
            values[name] = spec.parse(value)
        except ValueError as exc:
            problems.append(Problem(raw.where, f"field {name!r}: {exc}"))
            ok = False
    parent = None
    if raw.kind in CHILD_KINDS:
        try:
            parent = parse_order_ref(raw.order_ref)
        except ValueError:
            if not _missing(raw.order_ref):
                problems.append(Problem(raw.where, "order_ref: not an order reference"))
            ok = False
    return Record(raw.kind, raw.where, values, parent) if ok else None


def _loose_order_ref(value: object) -> str:
    try:
        return parse_order_ref(value)
    except ValueError:
        return str(value)


def _declared_refs(raws: list[RawRecord]) -> dict[str, set[str]]:
    """Refs named by any record, valid or not (to avoid cascading "unknown ref" reports)."""
    declared: dict[str, set[str]] = defaultdict(set)
    for raw in raws:
        field = _REF_FIELD.get(raw.kind)
        value = raw.fields.get(field) if field else None
        if isinstance(value, str) and value.strip():
            try:
                declared[raw.kind].add(SPECS[raw.kind][field].parse(value))  # type: ignore[index]
            except ValueError:
                declared[raw.kind].add(value.strip())
    return declared


def _own_rules(rec: Record, problems: list[Problem]) -> None:
    """Consistency rules inside one record."""
    v = rec.values
    status = v.get("status")

    def needs(flag: bool, message: str) -> None:
        if flag:
            problems.append(Problem(rec.where, message))

    if rec.kind == "instalment":
        needs(status == "paid" and "paid_at" not in v, "a paid instalment needs paid_at")
        needs(status != "paid" and "paid_at" in v, "paid_at is only allowed when status is paid")
    if rec.kind in ("instalment", "payment"):
        needs(status == "failed" and "failure_code" not in v, "status failed needs a failure_code")
        needs(
            status != "failed" and "failure_code" in v, "failure_code is only allowed when failed"
        )
    if rec.kind == "refund":
        needs(
            status == "completed" and "completed_at" not in v,
            "a completed refund needs completed_at",
        )
        needs(status != "completed" and "completed_at" in v, "completed_at needs status completed")
    if rec.kind == "order" and "shipped_at" in v and "delivered_at" in v:
        needs(v["delivered_at"] < v["shipped_at"], "delivered_at is before shipped_at")


def _duplicates(data: Dataset, problems: list[Problem]) -> None:
    for kind, field in _REF_FIELD.items():
        first: dict[str, str] = {}
        for rec in data.of(kind):
            key = rec.values[field]
            if key in first:
                problems.append(
                    Problem(rec.where, f"duplicate {field} {key!r} (first at {first[key]})")
                )
            else:
                first[key] = rec.where


def _check_plans(data: Dataset, orders: dict[str, Record], problems: list[Problem]) -> None:
    plans: dict[str, Record] = {}
    for plan in data.of("plan"):
        assert plan.order_ref is not None
        if plan.order_ref in plans:
            problems.append(Problem(plan.where, f"order {plan.order_ref} has more than one plan"))
            continue
        plans[plan.order_ref] = plan
        order = orders.get(plan.order_ref)
        if order is not None and plan.values["currency"] != order.values["currency"]:
            problems.append(Problem(plan.where, "plan currency differs from the order's currency"))
    by_order: dict[str, list[Record]] = defaultdict(list)
    for inst in data.of("instalment"):
        assert inst.order_ref is not None
        if inst.order_ref not in plans:
            problems.append(
                Problem(inst.where, f"instalment for order {inst.order_ref} which has no plan")
            )
        else:
            by_order[inst.order_ref].append(inst)
    for ref, plan in plans.items():
        if ref not in data.incomplete_plans:
            _check_schedule(plan, by_order.get(ref, []), problems)


def _check_schedule(plan: Record, instalments: list[Record], problems: list[Problem]) -> None:
    kind, total = plan.values["kind"], plan.values["total"]
    expected = PLAN_KINDS[kind]
    if len(instalments) != expected:
        problems.append(
            Problem(
                plan.where, f"plan {kind} needs {expected} instalments, found {len(instalments)}"
            )
        )
    sequences = sorted(i.values["sequence"] for i in instalments)
    if sequences and sequences != list(range(1, len(sequences) + 1)):
        problems.append(
            Problem(plan.where, f"instalment sequences must be 1..n without gaps, got {sequences}")
        )
    paid_sum = sum((i.values["amount"] for i in instalments), Decimal("0.00"))
    if instalments and paid_sum != total:
        problems.append(
            Problem(plan.where, f"instalments add up to {paid_sum}, plan total is {total}")
        )
    ordered = sorted(instalments, key=lambda i: i.values["sequence"])
    for earlier, later in pairwise(ordered):
        if later.values["due_date"] < earlier.values["due_date"]:
            problems.append(Problem(later.where, "due_date is before the previous instalment's"))


def _check_money_children(
    data: Dataset, orders: dict[str, Record], problems: list[Problem]
) -> None:
    refunded: dict[str, Decimal] = defaultdict(Decimal)
    for kind in ("payment", "refund", "dispute"):
        for rec in data.of(kind):
            order = orders.get(rec.order_ref or "")
            if order is None:
                continue
            cur, total = order.values["currency"], order.values["total"]
            if "currency" in rec.values and rec.values["currency"] != cur:
                problems.append(
                    Problem(rec.where, f"{kind} currency differs from the order's ({cur})")
                )
            amount = rec.values.get("amount")
            if kind != "payment" and amount is not None and amount > total:
                problems.append(
                    Problem(rec.where, f"{kind} amount {amount} exceeds the order total {total}")
                )
            elif kind == "refund" and amount is not None and rec.values["status"] != "rejected":
                refunded[order.values["order_ref"]] += amount
                if refunded[order.values["order_ref"]] > total:
                    problems.append(
                        Problem(rec.where, "refunds add up to more than the order total")
                    )


def _check_payment_links(data: Dataset, problems: list[Problem]) -> None:
    sequences: dict[str, set[int]] = defaultdict(set)
    for inst in data.of("instalment"):
        sequences[inst.order_ref or ""].add(inst.values["sequence"])
    for pay in data.of("payment"):
        seq = pay.values.get("instalment_sequence")
        if seq is not None and seq not in sequences.get(pay.order_ref or "", set()):
            problems.append(
                Problem(pay.where, f"instalment_sequence {seq} is not in the order's plan")
            )


def validate(raws: list[RawRecord]) -> tuple[Dataset, list[Problem]]:
    """Type-check every record and apply the rules that need the whole file.

    References to customers/merchants are checked later against file + database (see
    ``store.imports.writer.check_against_database``); children must name an order in the file.
    """
    problems: list[Problem] = []
    data = Dataset()
    for raw in raws:
        rec = parse_record(raw, problems)
        if rec is not None:
            _own_rules(rec, problems)
            data.of(rec.kind).append(rec)
        elif raw.kind == "instalment":
            data.incomplete_plans.add(_loose_order_ref(raw.order_ref))
    declared = data.declared = _declared_refs(raws)
    for kind in CHILD_KINDS:
        for rec in data.of(kind):
            if rec.order_ref not in declared["order"]:
                problems.append(
                    Problem(rec.where, f"order_ref {rec.order_ref!r} is not an order in this file")
                )
    _duplicates(data, problems)
    orders = {o.values["order_ref"]: o for o in data.of("order")}
    _check_plans(data, orders, problems)
    _check_money_children(data, orders, problems)
    _check_payment_links(data, problems)
    return data, problems
