"""Field types and the per-entity field specs of the import schema (docs/data-schema.md).

Each parser takes a raw value (CSV text, or a JSON value) and returns the Python value or raises
``ValueError`` with a reason written for the person fixing the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from common.customer_input import parse_email, parse_order_ref
from store.constants import (
    CENT,
    DISPUTE_STATUSES,
    FAILURE_CODES,
    INSTALMENT_STATUSES,
    ISO_4217,
    MAX_AMOUNT,
    ORDER_STATUSES,
    PAYMENT_STATUSES,
    PLAN_KINDS,
    REFUND_STATUSES,
    SHIPPING_STATUSES,
)

Parser = Callable[[object], Any]

_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_AMOUNT_TEXT = re.compile(r"^\d+(\.\d{1,2})?$")


def _as_text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_json_type(value)}")
    return value.strip()


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, Decimal)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def text(max_len: int) -> Parser:
    """Free text up to ``max_len`` characters."""

    def parse(value: object) -> str:
        result = _as_text(value)
        if len(result) > max_len:
            raise ValueError(f"longer than {max_len} characters")
        return result

    return parse


def ref(value: object) -> str:
    """A public identifier: letters, digits, ``_ . -``; up to 64 characters."""
    result = _as_text(value)
    if not _REF.match(result):
        raise ValueError("must be 1-64 letters, digits, '_', '.' or '-', starting alphanumeric")
    return result


def order_ref(value: object) -> str:
    """An order ref, stored the way customers' typed numbers are normalised."""
    result = parse_order_ref(_as_text(value))
    if result is None:
        raise ValueError("not an order reference (e.g. ORD-104233 or 3-32 letters/digits)")
    return result


def email(value: object) -> str:
    """An email address, read by the rule the chat and the hub use (domain lower-cased)."""
    result = parse_email(_as_text(value))
    if result is None:
        raise ValueError("not an email address")
    return result


def url(value: object) -> str:
    """An http(s) URL."""
    result = _as_text(value)
    if len(result) > 500 or not result.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL up to 500 characters")
    return result


def money(value: object) -> Decimal:
    """A non-negative amount with at most two decimals, e.g. ``45.50`` or ``"45.50"``."""
    if isinstance(value, bool):
        raise ValueError("expected an amount, got true/false")
    if isinstance(value, str):
        if not _AMOUNT_TEXT.match(value.strip()):
            raise ValueError("expected an amount like 45.50 (dot decimal, no separators or sign)")
        value = value.strip()
    elif not isinstance(value, (int, Decimal)):
        raise ValueError(f"expected an amount, got {_json_type(value)}")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be zero or more")
    if amount != amount.quantize(CENT):
        raise ValueError("more than two decimal places")
    if amount > MAX_AMOUNT:
        raise ValueError(f"larger than {MAX_AMOUNT}")
    return amount.quantize(CENT)


def currency(value: object) -> str:
    """An ISO 4217 code such as ``EUR``."""
    result = _as_text(value).upper()
    if result not in ISO_4217:
        raise ValueError("not an ISO 4217 currency code (e.g. EUR, GBP, USD)")
    return result


def positive_int(value: object) -> int:
    """A whole number >= 1 (``3`` or ``"3"``)."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got true/false")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError("expected a whole number")
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


def iso_date(value: object) -> date:
    """A calendar date ``YYYY-MM-DD``."""
    raw = _as_text(value)
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError("expected a date YYYY-MM-DD") from exc


def utc_datetime(value: object) -> datetime:
    """An ISO 8601 timestamp with offset (``2026-12-05T14:30:00Z``), converted to UTC."""
    raw = _as_text(value)
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError as exc:
        raise ValueError("expected an ISO 8601 timestamp like 2026-12-05T14:30:00Z") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("timestamp needs a UTC offset, e.g. 2026-12-05T14:30:00Z")
    return parsed.astimezone(timezone.utc)


def choice(values: Collection[str]) -> Parser:
    """One of a closed set of lowercase words."""

    def parse(value: object) -> str:
        result = _as_text(value)
        if result not in values:
            raise ValueError(f"must be one of: {', '.join(values)}")
        return result

    return parse


@dataclass(frozen=True)
class Spec:
    """How one field is read: its parser and whether it must be present."""

    parse: Parser
    required: bool = True


def _opt(parse: Parser) -> Spec:
    return Spec(parse, required=False)


SPECS: dict[str, dict[str, Spec]] = {
    "customer": {
        "customer_ref": Spec(ref),
        "name": Spec(text(200)),
        "email": Spec(email),
        "phone": _opt(text(32)),
        "created_at": _opt(utc_datetime),
    },
    "merchant": {
        "merchant_ref": Spec(ref),
        "name": Spec(text(200)),
        "support_url": _opt(url),
        "support_email": _opt(email),
    },
    "order": {
        "order_ref": Spec(order_ref),
        "customer_ref": Spec(ref),
        "merchant_ref": Spec(ref),
        "status": Spec(choice(ORDER_STATUSES)),
        "currency": Spec(currency),
        "total": Spec(money),
        "placed_at": Spec(utc_datetime),
        "shipping_status": _opt(choice(SHIPPING_STATUSES)),
        "carrier": _opt(text(64)),
        "tracking_number": _opt(text(64)),
        "shipped_at": _opt(utc_datetime),
        "delivered_at": _opt(utc_datetime),
    },
    "item": {
        "sku": Spec(text(64)),
        "description": Spec(text(300)),
        "quantity": Spec(positive_int),
        "unit_price": Spec(money),
    },
    "plan": {
        "kind": Spec(choice(tuple(PLAN_KINDS))),
        "currency": Spec(currency),
        "total": Spec(money),
        "created_at": _opt(utc_datetime),
    },
    "instalment": {
        "sequence": Spec(positive_int),
        "due_date": Spec(iso_date),
        "amount": Spec(money),
        "status": Spec(choice(INSTALMENT_STATUSES)),
        "paid_at": _opt(utc_datetime),
        "failure_code": _opt(choice(FAILURE_CODES)),
        "late_fee": _opt(money),
    },
    "payment": {
        "instalment_sequence": _opt(positive_int),
        "amount": Spec(money),
        "currency": Spec(currency),
        "method": Spec(text(64)),
        "status": Spec(choice(PAYMENT_STATUSES)),
        "failure_code": _opt(choice(FAILURE_CODES)),
        "created_at": Spec(utc_datetime),
    },
    "refund": {
        "refund_ref": Spec(ref),
        "amount": Spec(money),
        "currency": Spec(currency),
        "status": Spec(choice(REFUND_STATUSES)),
        "reason": _opt(text(500)),
        "requested_at": Spec(utc_datetime),
        "expected_by": _opt(iso_date),
        "completed_at": _opt(utc_datetime),
    },
    "dispute": {
        "dispute_ref": Spec(ref),
        "reason": Spec(text(500)),
        "amount": _opt(money),
        "status": Spec(choice(DISPUTE_STATUSES)),
        "opened_at": Spec(utc_datetime),
    },
}
