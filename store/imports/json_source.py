"""Reading the JSON import document, keeping the line of every object for error reports."""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
from decimal import Decimal
from typing import Any

from store.imports.records import Problem, RawRecord

_ORDER_CHILDREN = {
    "items": "item",
    "payments": "payment",
    "refunds": "refund",
    "disputes": "dispute",
}
_TOP_LEVEL = {"customers": "customer", "merchants": "merchant", "orders": "order"}


class _Located(dict[str, Any]):
    """A JSON object that remembers the line it starts on and any repeated keys."""

    line: int = 0
    repeated: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> _Located:
    obj = _Located(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        repeated = []
        for key, _ in pairs:
            if key in seen:
                repeated.append(key)
            seen.add(key)
        obj.repeated = tuple(repeated)
    return obj


def _loads_located(text: str) -> Any:
    """``json.loads`` with exact Decimals and a ``line`` on every object.

    The C scanner cannot be hooked, so the pure-Python scanner is used with a wrapped
    ``parse_object``; fine for import files, which are read once.
    """
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    decoder = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=Decimal)

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        obj, end = json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
        if isinstance(obj, _Located):
            obj.line = bisect.bisect_right(line_starts, s_and_end[1] - 1)
        return obj, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder.decode(text)


def _where(path: str, obj: object) -> str:
    return f"{path} (line {obj.line})" if isinstance(obj, _Located) else path


class _Reader:
    def __init__(self) -> None:
        self.records: list[RawRecord] = []
        self.problems: list[Problem] = []

    def objects(self, value: object, path: str) -> list[tuple[str, _Located]]:
        """The objects of a list (absent = empty), reporting anything that is not one."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append(Problem(path, "must be a list"))
            return []
        result = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if isinstance(item, _Located):
                result.append((item_path, item))
            else:
                self.problems.append(Problem(item_path, "must be an object"))
        return result

    def add(
        self, kind: str, path: str, obj: _Located, nested: frozenset[str], parent: object
    ) -> None:
        where = _where(path, obj)
        for key in obj.repeated:
            self.problems.append(Problem(where, f"field {key!r} appears more than once"))
        fields = {k: v for k, v in obj.items() if k not in nested}
        self.records.append(RawRecord(kind, where, fields, parent))

    def order(self, path: str, obj: _Located) -> None:
        nested = frozenset({*_ORDER_CHILDREN, "plan"})
        self.add("order", path, obj, nested, None)
        parent = obj.get("order_ref")
        for key, kind in _ORDER_CHILDREN.items():
            for child_path, child in self.objects(obj.get(key), f"{path}.{key}"):
                self.add(kind, child_path, child, frozenset(), parent)
        plan = obj.get("plan")
        if plan is None:
            return
        if not isinstance(plan, _Located):
            self.problems.append(Problem(_where(path, obj), "field 'plan' must be an object"))
            return
        self.add("plan", f"{path}.plan", plan, frozenset({"instalments"}), parent)
        for child_path, child in self.objects(plan.get("instalments"), f"{path}.plan.instalments"):
            self.add("instalment", child_path, child, frozenset(), parent)


def read_json(text: str) -> tuple[list[RawRecord], list[Problem]]:
    """Split a JSON import document into raw records (children carry their order's ref).

    Returns:
        The records, and the structural problems found (bad JSON, wrong shapes, unknown keys).
    """
    try:
        document = _loads_located(text)
    except json.JSONDecodeError as exc:
        return [], [Problem(f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}")]
    reader = _Reader()
    if not isinstance(document, _Located):
        return [], [
            Problem("line 1", "the document must be an object with customers/merchants/orders")
        ]
    for key in document:
        if key not in _TOP_LEVEL:
            reader.problems.append(Problem(_where("$", document), f"unknown top-level key {key!r}"))
    for key, kind in _TOP_LEVEL.items():
        for path, obj in reader.objects(document.get(key), key):
            if kind == "order":
                reader.order(path, obj)
            else:
                reader.add(kind, path, obj, frozenset(), None)
    return reader.records, reader.problems
