"""Reading CSV imports: one flat orders-and-instalments file, or a directory of entity files.

Both layouts are documented in docs/data-schema.md. Cells are text; an empty cell means
"not given". Every record remembers its file and line for error reports.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path

from store.imports.fields import SPECS
from store.imports.records import Problem, RawRecord

# Flat file: column -> (kind, field). Order columns repeat on every instalment row.
FLAT_COLUMNS: dict[str, tuple[str, str]] = {
    "customer_ref": ("customer", "customer_ref"),
    "customer_name": ("customer", "name"),
    "customer_email": ("customer", "email"),
    "customer_phone": ("customer", "phone"),
    "merchant_ref": ("merchant", "merchant_ref"),
    "merchant_name": ("merchant", "name"),
    "order_ref": ("order", "order_ref"),
    "order_status": ("order", "status"),
    "currency": ("order", "currency"),
    "order_total": ("order", "total"),
    "placed_at": ("order", "placed_at"),
    "shipping_status": ("order", "shipping_status"),
    "carrier": ("order", "carrier"),
    "tracking_number": ("order", "tracking_number"),
    "shipped_at": ("order", "shipped_at"),
    "delivered_at": ("order", "delivered_at"),
    "plan_kind": ("plan", "kind"),
    "plan_total": ("plan", "total"),
    "plan_created_at": ("plan", "created_at"),
    **{f"instalment_{name}": ("instalment", name) for name in SPECS["instalment"]},
}
FLAT_REQUIRED = (
    "customer_ref", "customer_name", "customer_email", "merchant_ref", "merchant_name",
    "order_ref", "order_status", "currency", "order_total", "placed_at",
)  # fmt: skip
_PLAN_COLUMNS = {"plan_kind": "kind", "plan_total": "total", "plan_created_at": "created_at"}

# Directory layout: file name -> kind. Child files carry an ``order_ref`` column.
ENTITY_FILES = {
    "customers.csv": "customer",
    "merchants.csv": "merchant",
    "orders.csv": "order",
    "order_items.csv": "item",
    "instalments.csv": "instalment",
    "payments.csv": "payment",
    "refunds.csv": "refund",
    "disputes.csv": "dispute",
}


def _rows(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) pairs with cells stripped and empty cells dropped; header problems reported."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        problems.append(Problem(path.name, f"cannot read file: {exc.strerror}"))
        return
    with handle:
        reader = csv.DictReader(handle, restkey="\0extra")
        try:
            for row in reader:
                line = reader.line_num
                if row.get("\0extra"):
                    problems.append(
                        Problem(f"{path.name} line {line}", "more cells than header columns")
                    )
                cells = {k: (v or "").strip() for k, v in row.items() if k != "\0extra" and k}
                yield line, {k: v for k, v in cells.items() if v}
        except (csv.Error, UnicodeDecodeError) as exc:
            problems.append(
                Problem(f"{path.name} line {reader.line_num}", f"unreadable CSV: {exc}")
            )


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [name.strip() for name in next(csv.reader(handle), [])]


def _check_header(path: Path, allowed: set[str], required: tuple[str, ...]) -> list[Problem]:
    try:
        header = _header(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [Problem(path.name, f"cannot read header: {exc}")]
    where = f"{path.name} line 1"
    problems = [Problem(where, f"unknown column {c!r}") for c in header if c not in allowed]
    problems += [Problem(where, f"missing column {c!r}") for c in required if c not in header]
    return problems


class _FlatMerger:
    """Collapses the repeated customer/merchant/order/plan cells of a flat file.

    One record is kept per ref; rows whose repeated cells disagree with the first row that named
    the ref are reported.
    """

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.first: dict[tuple[str, str], tuple[int, Mapping[str, str]]] = {}
        self.records: list[RawRecord] = []
        self.problems: list[Problem] = []

    def add(
        self, kind: str, key: str, line: int, fields: dict[str, str], parent: str | None
    ) -> None:
        where = f"{self.file_name} line {line}"
        seen = self.first.get((kind, key))
        if seen is None:
            self.first[(kind, key)] = (line, fields)
            self.records.append(RawRecord(kind, where, fields, parent))
            return
        first_line, first_fields = seen
        for name in sorted(set(fields) | set(first_fields)):
            if fields.get(name) != first_fields.get(name):
                self.problems.append(
                    Problem(where, f"{kind} {key!r}: {name} differs from line {first_line}")
                )


def read_flat_csv(path: Path) -> tuple[list[RawRecord], list[Problem]]:
    """Read the single-file layout: one row per instalment (or per order without a plan)."""
    problems = _check_header(path, set(FLAT_COLUMNS), FLAT_REQUIRED)
    if problems:
        return [], problems
    merger = _FlatMerger(path.name)
    for line, row in _rows(path, problems):
        by_kind: dict[str, dict[str, str]] = {}
        for column, value in row.items():
            kind, name = FLAT_COLUMNS[column]
            by_kind.setdefault(kind, {})[name] = value
        order = by_kind.setdefault("order", {})
        order_ref = order.get("order_ref", "")
        order["customer_ref"] = row.get("customer_ref", "")
        order["merchant_ref"] = row.get("merchant_ref", "")
        merger.add(
            "customer",
            row.get("customer_ref", f"line {line}"),
            line,
            by_kind.get("customer", {}),
            None,
        )
        merger.add(
            "merchant",
            row.get("merchant_ref", f"line {line}"),
            line,
            by_kind.get("merchant", {}),
            None,
        )
        merger.add("order", order_ref or f"line {line}", line, order, None)
        if "plan" in by_kind:
            plan = {**by_kind["plan"], "currency": row.get("currency", "")}
            merger.add("plan", order_ref or f"line {line}", line, plan, order_ref)
        if "instalment" in by_kind:
            merger.records.append(
                RawRecord(
                    "instalment", f"{path.name} line {line}", by_kind["instalment"], order_ref
                )
            )
    return merger.records, problems + merger.problems


def read_csv_directory(directory: Path) -> tuple[list[RawRecord], list[Problem]]:
    """Read the directory layout: one CSV per entity (see ``ENTITY_FILES``); all optional."""
    present = [(name, kind) for name, kind in ENTITY_FILES.items() if (directory / name).is_file()]
    if not present:
        return [], [Problem(str(directory), f"no entity files found ({', '.join(ENTITY_FILES)})")]
    records: list[RawRecord] = []
    problems: list[Problem] = []
    for name, kind in present:
        path = directory / name
        allowed = set(SPECS[kind])
        if kind == "order":
            allowed |= set(_PLAN_COLUMNS)
        parent_column = kind not in ("customer", "merchant", "order")
        if parent_column:
            allowed.add("order_ref")
        required = tuple(f for f, spec in SPECS[kind].items() if spec.required)
        header_problems = _check_header(
            path, allowed, required + (("order_ref",) if parent_column else ())
        )
        problems += header_problems
        if header_problems:
            continue
        for line, row in _rows(path, problems):
            where = f"{name} line {line}"
            if parent_column:
                parent = row.pop("order_ref", None)
                if parent is None:
                    problems.append(Problem(where, "missing required field 'order_ref'"))
                records.append(RawRecord(kind, where, row, parent))
                continue
            plan = {_PLAN_COLUMNS[c]: row.pop(c) for c in list(row) if c in _PLAN_COLUMNS}
            records.append(RawRecord(kind, where, row))
            if kind == "order" and plan:
                plan.setdefault("currency", row.get("currency", ""))
                records.append(RawRecord("plan", where, plan, row.get("order_ref")))
    return records, problems
