from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from common.formatting import (
    format_date,
    format_datetime,
    format_list,
    format_money,
    format_month,
)


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


# --- locales (issue 19): CLDR through Babel ------------------------------------------------

NBSP = "\xa0"  # CLDR keeps the number and the currency sign on one line


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("45.50", "EUR", "es_ES", f"45,50{NBSP}€"),
        ("45.5", "EUR", "es-ES", f"45,50{NBSP}€"),
        ("1234.5", "EUR", "es_ES", f"1.234,50{NBSP}€"),
        ("12345.5", "EUR", "es_ES", f"12.345,50{NBSP}€"),
        ("64.90", "EUR", "es", f"64,90{NBSP}€"),
        ("0.005", "EUR", "es_ES", f"0,01{NBSP}€"),  # half up, like English
        ("-9.99", "USD", "es_ES", f"-9,99{NBSP}US$"),
        ("45.50", "MXN", "es_MX", "$45.50"),
        ("45.50", "EUR", "es_MX", "EUR45.50"),
        ("1200", "USD", "es_MX", "USD1,200.00"),
        ("45.50", "EUR", "es_ZZ", f"45,50{NBSP}€"),  # unknown region: the language's rules
        ("1234.5", "USD", "es_419", "USD1,234.50"),  # Latin America
        ("1234.5", "USD", "es_AR", "US$1.234,50"),
    ],
)
def test_format_money_in_a_locale(amount, currency, locale, expected):
    assert format_money(Decimal(amount), currency, locale) == expected


@pytest.mark.parametrize("locale", [None, "", "en", "en_GB", "en_IE", "en_US", "xx_YY"])
def test_english_locales_keep_the_house_style(locale):
    assert format_money(Decimal("9.99"), "USD", locale) == "$9.99"
    assert format_money(Decimal("1200"), "GBP", locale) == "£1,200.00"
    assert format_money(Decimal("45.50"), "CHF", locale) == "45.50 CHF"
    assert format_date(date(2026, 12, 5), locale) == "5 December 2026"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("es_ES", "5 de diciembre de 2026"),
        ("es_MX", "5 de diciembre de 2026"),
        ("es_AR", "5 de diciembre de 2026"),
    ],
)
def test_format_date_in_spanish(locale, expected):
    assert format_date(date(2026, 12, 5), locale) == expected


def test_format_datetime_in_spanish():
    value = datetime(2026, 12, 5, 14, 30, tzinfo=timezone.utc)
    assert format_datetime(value, "es_ES") == "5 de diciembre de 2026, 14:30 UTC"
    assert format_datetime(value) == "5 December 2026, 14:30 UTC"


def test_month_and_list():
    assert format_month(date(2026, 12, 1), "es_ES") == "diciembre"
    assert format_month(date(2026, 12, 1)) == "December"
    assert format_list(["a", "b", "c"], "es_ES") == "a, b y c"
    assert format_list(["a", "b", "c"]) == "a, b and c"
    assert format_list(["a"], "en_GB") == "a"


def test_format_money_in_a_locale_refuses_floats():
    with pytest.raises(TypeError):
        format_money(45.5, "EUR", "es_ES")  # type: ignore[arg-type]
