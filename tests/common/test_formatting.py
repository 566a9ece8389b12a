from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from common.formatting import format_date, format_datetime, format_money


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("45.50", "EUR", "€45.50"),
        ("45.5", "eur", "€45.50"),
        ("1200", "GBP", "£1,200.00"),
        ("9.99", "USD", "$9.99"),
        ("45.50", "CHF", "45.50 CHF"),
        ("1234567.891", "NOK", "1,234,567.89 NOK"),
        ("0.005", "EUR", "€0.01"),
        ("-9.99", "USD", "-$9.99"),
        ("0", "GBP", "£0.00"),
    ],
)
def test_format_money(amount, currency, expected):
    assert format_money(Decimal(amount), currency) == expected


def test_format_money_refuses_floats():
    with pytest.raises(TypeError):
        format_money(45.5, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 12, 5), "5 December 2026"),
        (date(2027, 1, 31), "31 January 2027"),
        (datetime(2026, 5, 1, 23, 0), "1 May 2026"),
    ],
)
def test_format_date(value, expected):
    assert format_date(value) == expected


def test_format_datetime_converts_to_utc():
    cet = timezone(timedelta(hours=1))
    assert format_datetime(datetime(2026, 12, 6, 0, 30, tzinfo=cet)) == "5 December 2026, 23:30 UTC"


def test_format_datetime_refuses_naive():
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2026, 12, 5, 14, 30))
