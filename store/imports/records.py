"""Data passed between the importer's stages: sources -> validation -> writer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Entity kinds in dependency order (parents before children).
KINDS = (
    "customer",
    "merchant",
    "order",
    "item",
    "plan",
    "instalment",
    "payment",
    "refund",
    "dispute",
)
CHILD_KINDS = frozenset({"item", "plan", "instalment", "payment", "refund", "dispute"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located so a person can find and fix it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class RawRecord:
    """An entity as read from a file, before any type checks.

    Attributes:
        kind: One of ``KINDS``.
        where: Human location, e.g. ``"orders.csv line 12"`` or ``"orders[2].plan (line 40)"``.
        fields: Field name -> raw value (str from CSV; str/Decimal/int/bool/None from JSON).
        order_ref: For child kinds, the raw ref of the order they belong to.
    """

    kind: str
    where: str
    fields: Mapping[str, object]
    order_ref: object = None


@dataclass
class Record:
    """A record whose fields passed their type checks; ``values`` hold parsed Python values."""

    kind: str
    where: str
    values: dict[str, Any]
    order_ref: str | None = None


@dataclass
class Dataset:
    """Validated records grouped by kind, ready for the database checks and the writer."""

    records: dict[str, list[Record]] = field(default_factory=lambda: {k: [] for k in KINDS})
    # Refs named in the file even by records with field errors, per kind; used so that one bad
    # cell does not also produce "unknown customer/merchant/order" reports.
    declared: dict[str, set[str]] = field(default_factory=dict)
    # Orders with an instalment that failed its field checks: their schedule is not re-checked.
    incomplete_plans: set[str] = field(default_factory=set)

    def of(self, kind: str) -> list[Record]:
        """Records of one kind, in file order."""
        return self.records[kind]

    def counts(self) -> dict[str, int]:
        """How many records of each kind (for the CLI summary)."""
        return {kind: len(rows) for kind, rows in self.records.items()}
