"""Money and dates the way customers read them, in the conversation's locale.

Babel formats with CLDR data, so nothing depends on the server's process locale:

* English (no locale, or any ``en_*``) keeps the bot's house style: "€45.50", "$9.99",
  "45.50 CHF", "5 December 2026" (Babel's ``en_GB`` digits and month names; the three symbol
  currencies keep the symbol customers know, others take the ISO code after the number).
* Every other locale follows its own CLDR rules: "45,50 €" and "5 de diciembre de 2026" in
  ``es_ES``, code prefixes such as "EUR45.50" in ``es_MX``. CLDR separates number and symbol
  with a no-break space (U+00A0) so the two never wrap apart.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.lists import format_list as babel_format_list
from babel.numbers import format_currency, format_decimal

ENGLISH = "en_GB"
_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
_ENGLISH_DAY = "d MMMM y"


def parse_locale(locale: str | None) -> Locale:
    """A Babel locale from "es_ES", "es-MX" or "es"; ``None`` or unknown tags mean English.

    An unknown region falls back to its language ("es_ZZ" -> "es"), so a widget reporting an
    odd page tag still gets the right language.
    """
    if not locale or not locale.strip():
        return Locale.parse(ENGLISH)
    tag = locale.strip().replace("-", "_")
    for candidate in (tag, tag.split("_")[0]):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(ENGLISH)


def _is_english(locale: Locale) -> bool:
    return locale.language == "en"


def _rounded(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, got {type(amount).__name__}")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str, locale: str | None = None) -> str:
    """Format an amount with two decimals, half-up, in ``locale`` (``None`` = English).

    English: EUR, GBP and USD get their symbol in front ("€45.50", "£1,200.00", "-$9.99");
    other currencies the ISO code after the number ("45.50 CHF"). Other locales: CLDR's
    currency pattern for that locale ("45,50 €" in es_ES).

    Raises:
        TypeError: ``amount`` is not a Decimal (floats would hide rounding errors in money).
    """
    rounded = _rounded(amount)
    code = currency.strip().upper()
    parsed = parse_locale(locale)
    if not _is_english(parsed):
        return str(format_currency(rounded, code, locale=parsed, currency_digits=False))
    number = str(format_decimal(abs(rounded), "#,##0.00", locale=parsed))
    sign = "-" if rounded < 0 else ""
    symbol = _SYMBOLS.get(code)
    if symbol is not None:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code}"


def format_date(value: date, locale: str | None = None) -> str:
    """A calendar day: "5 December 2026" in English, CLDR's long date elsewhere.

    A datetime is taken as its own calendar day (no time-zone conversion).
    """
    day = value.date() if isinstance(value, datetime) else value
    parsed = parse_locale(locale)
    if _is_english(parsed):
        return str(babel_format_date(day, _ENGLISH_DAY, locale=parsed))
    return str(babel_format_date(day, "long", locale=parsed))


def format_month(value: date, locale: str | None = None) -> str:
    """The month's stand-alone name: "December", "diciembre"."""
    return str(babel_format_date(value, "LLLL", locale=parse_locale(locale)))


def format_list(items: list[str], locale: str | None = None) -> str:
    """Items joined as the language does it.

    English keeps the bot's style without the serial comma ("a, b and c"); other locales use
    CLDR's list patterns ("a, b y c").
    """
    parsed = parse_locale(locale)
    if _is_english(parsed):
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]
    return str(babel_format_list(items, locale=parsed))


def format_datetime(value: datetime, locale: str | None = None) -> str:
    """``5 December 2026, 14:30 UTC``; the value is converted to UTC first.

    Raises:
        ValueError: ``value`` is naive (its meaning would depend on the server's time zone).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    utc = value.astimezone(timezone.utc)
    parsed = parse_locale(locale)
    clock = babel_format_time(utc.time(), "HH:mm", locale=parsed)
    return f"{format_date(utc.date(), locale)}, {clock} UTC"
