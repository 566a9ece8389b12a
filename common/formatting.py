"""Money and dates the way customers read them ("€45.50 on 5 December 2026").

Locale-independent on purpose: the process locale of a server must not change what customers
see, and English month names are what the bot's replies use.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_money(amount: Decimal, currency: str) -> str:
    """Format an amount with two decimals and thousands separators.

    EUR, GBP and USD get their symbol in front ("€45.50", "£1,200.00", "-$9.99"); other
    currencies get the ISO code after the number ("45.50 CHF").

    Raises:
        TypeError: ``amount`` is not a Decimal (floats would hide rounding errors in money).
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, got {type(amount).__name__}")
    code = currency.strip().upper()
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    number = f"{abs(rounded):,.2f}"
    symbol = _SYMBOLS.get(code)
    if symbol is not None:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code}"


def format_date(value: date) -> str:
    """``5 December 2026`` (no leading zero, full English month name)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def format_datetime(value: datetime) -> str:
    """``5 December 2026, 14:30 UTC``; the value is converted to UTC first.

    Raises:
        ValueError: ``value`` is naive (its meaning would depend on the server's time zone).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    utc = value.astimezone(timezone.utc)
    return f"{format_date(utc.date())}, {utc:%H:%M} UTC"
