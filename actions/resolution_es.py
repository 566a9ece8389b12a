"""How Spanish-speaking customers point at an order (issue 19): amounts, dates and positions.

Read over the accent-folded, lower-cased message (``order_words.fold``), the same way
:mod:`actions.resolution` reads English: "el de 64,90 €", "el pedido de 182 euros", "el de
noviembre", "mi compra del 30 de noviembre", "el pedido de ayer", "hace 3 días", "mi último
pedido", "el más antiguo", "el otro", "la otra compra", "en total". Item and merchant words go
through spaCy and RapidFuzz in :mod:`actions.order_words` like the English ones.

Dates name an order only next to a word about buying ("pedido", "compra", "compré", "pedí",
"el de ..."): in Spanish "hoy", "este mes" and month names are far more often about a payment
("¿qué pago en diciembre?") than about when something was bought.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

_MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
_MONTH_RE = "|".join(_MONTHS) + "|setiembre|sept"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})\s+(?:de\s+)?({_MONTH_RE})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2}|\d{4}))?\b")
_MONTH_ONLY = re.compile(rf"\b({_MONTH_RE})\b")
_WORD_NUMBERS = {"un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6}
_DAYS_AGO = re.compile(r"\bhace\s+(\d{1,2}|un|una|dos|tres|cuatro|cinco|seis)\s+dias?\b")
_PURCHASE = re.compile(
    r"\b(pedid[oa]s?|compras?|compre|pedi|encargue|ordene|orden|(?:el|la|lo) de|(?:el|la) del)\b"
)

# A number as a Spanish speaker writes it: "1.200,00", "64,90", "64.90", "182".
_NUMBER = r"(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d.,]\d)"
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?")
_AMOUNT = re.compile(
    # 64,90 euros / 182 libras / 599.94 dolares / 1.200,00 £
    rf"\b{_NUMBER}\s?(?:euros?|libras?|dolares?|pesos?|us\$|usd|eur|gbp|€|£|\$)"
    # el de 182 / la de 64,90 / el pedido de 45 (not "el de 30 de noviembre", not "30/11")
    rf"|\b(?:el|la|lo|pedido|compra)\s+de\s+{_NUMBER}"
    rf"(?!\s*(?:de\s+)?(?:{_MONTH_RE})\b)(?![/-]\d)"
    # 1.200,00 on its own
    rf"|\b(\d{{1,3}}(?:\.\d{{3}})+(?:,\d{{1,2}})?)\b"
)

LATEST = re.compile(
    r"\b(?:(?:ultim[oa]|mas recientes?|mas nuev[oa])\s+(?:pedido|compra|encargo)"
    r"|(?:pedido|compra|encargo)\s+(?:mas recientes?|mas nuev[oa]|ultim[oa])"
    r"|lo (?:ultimo|mas reciente) que (?:compre|pedi|encargue))\b"
)
OLDEST = re.compile(
    r"\b(?:(?:primer|primera|mas antigu[oa]|mas viej[oa])\s+(?:pedido|compra|encargo)"
    r"|(?:pedido|compra|encargo)\s+mas (?:antigu[oa]|viej[oa])|el mas antiguo|la mas antigua)\b"
)
OTHER = re.compile(
    r"\b(?:el otro(?!\s+dia)|la otra(?!\s+vez)|mi otr[oa]|otro pedido|otra compra|los otros"
    r"|segundo (?:pedido|reembolso|plan)|segunda compra)\b"
)
ALL = re.compile(
    r"\b(?:en total|total|entre todos|entre todas|todos mis (?:pedidos|planes)"
    r"|todas mis compras|en conjunto|todo junto|sumando todo|cada pedido)\b"
)
ANAPHORA = re.compile(r"\b(?:eso|esto|ese|este|esa|esta|ello|lo mismo|el mismo|la misma)\b")


def amounts(folded: str) -> list[Decimal]:
    """Amounts a Spanish message mentions ("64,90 €", "1.200,00", "el de 182")."""
    found = []
    for match in _AMOUNT.finditer(folded):
        raw = next(group for group in match.groups() if group)
        if _THOUSANDS.fullmatch(raw):
            raw = raw.replace(".", "")
        try:
            found.append(Decimal(raw.replace(",", ".")))
        except InvalidOperation:
            continue
    return found


def _on_or_before(today: date, month: int, day: int, year: int | None = None) -> date | None:
    for candidate_year in (year,) if year else (today.year, today.year - 1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            return None
        if candidate <= today:
            return candidate
    return None


def _month_number(name: str) -> int:
    if name in ("setiembre", "sept"):
        return 9
    return _MONTHS.index(name) + 1


def dated(folded: str, today: date) -> tuple[list[date], list[int], tuple[date, date] | None]:
    """Days, months and a week (first, last day) a Spanish message names an order by."""
    if not _PURCHASE.search(folded):
        return [], [], None
    days: list[date] = []
    for day_text, month_text in _DAY_MONTH.findall(folded):
        found = _on_or_before(today, _month_number(month_text), int(day_text))
        days.extend([found] if found else [])
    for day_text, month_text, year_text in _NUMERIC.findall(folded):
        year = int(year_text) + (2000 if len(year_text) == 2 else 0) if year_text else None
        found = _on_or_before(today, int(month_text), int(day_text), year)
        days.extend([found] if found else [])
    months = [] if days else [_month_number(m) for m in _MONTH_ONLY.findall(folded)]
    if re.search(r"\banteayer\b", folded):
        days.append(today - timedelta(days=2))
    if re.search(r"\bayer\b", folded):
        days.append(today - timedelta(days=1))
    if re.search(r"\bhoy\b", folded):
        days.append(today)
    for count in _DAYS_AGO.findall(folded):
        days.append(today - timedelta(days=_WORD_NUMBERS.get(count) or int(count)))
    week = None
    if re.search(r"\bla semana pasada\b", folded):
        start = today - timedelta(days=today.weekday() + 7)
        week = (start, start + timedelta(days=6))
    elif re.search(r"\besta semana\b", folded):
        week = (today - timedelta(days=today.weekday()), today)
    return days, months, week
