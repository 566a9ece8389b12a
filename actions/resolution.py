"""Which of the signed-in customer's orders a message is about (issue 14).

Customers name orders by what they bought ("the tent", "my telly"), where ("my Lumen order"),
how much ("the €182 one"), when ("the order from 30 November", "my October order"), by position
("my latest order", "the other one") or by number. :func:`resolve` reads one message against the
customer's *own* orders only (the caller loads them with the customer-scoped repository) and
says what it found:

* exactly one order -> answer about it, whatever order the conversation was on before;
* several -> ask with buttons, never pick one silently;
* something named that none of the orders has ("the sofa" when there is no sofa) -> say so;
* nothing named -> the conversation's current order (follow-ups) or the whole account.

Item and merchant words go through spaCy and RapidFuzz (actions/order_words.py); amounts,
dates and positions are read here with plain patterns over the lower-cased text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from actions import resolution_es
from actions.order_words import customer_matcher, fold, read, things_named
from common.customer_input import find_order_ref
from store.views import OrderView

_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTH_RE = "|".join(m for m in _MONTHS) + "|" + "|".join(m[:3] for m in _MONTHS)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_ONLY = re.compile(rf"\b({_MONTH_RE})\b")
_DAYS_AGO = re.compile(r"\b(\d{1,2}|a|one|two|three|four|five|six) days? ago\b")
_WORD_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_AMOUNT = re.compile(
    r"(?:[€£$]\s?(\d+(?:[.,]\d{1,2})?))"
    r"|(?:\b(\d+(?:[.,]\d{1,2})?)\s?(?:€|£|\$|eur|euros?|gbp|pounds?|quid|usd|dollars?|bucks)\b)"
    r"|(?:\b(\d+[.,]\d{2})\b)"
    r"|(?:\bthe (\d+) (?:one|order)\b)"
)
_LATEST = re.compile(
    r"\b(latest|newest|most recent|last|recent)\s+(order|purchase|one|thing i (?:bought|ordered))"
)
_OLDEST = re.compile(r"\b(oldest|first|earliest)\s+(order|purchase|one)\b")
_OTHER = re.compile(
    r"\b(the other|my other|other one|other order|another order|another one|the second one"
    r"|second (?:order|refund|plan|purchase))\b"
)
_ALL = re.compile(
    r"\b(in total|total|altogether|all (?:of )?my (?:orders|plans|purchases)|across|overall"
    r"|combined|in all|every order|all together)\b"
)
_ANAPHORA = re.compile(r"\b(it|them|they|this|that|those|these|same)\b")

Relevant = Callable[[OrderView], bool]


@dataclass(frozen=True)
class Resolution:
    """What one message says about which order it means.

    Attributes:
        orders: The customer's orders the message names (empty when it names none).
        named: Whether the message names an order in any way (item, merchant, amount, date,
            position, number, "the other one"); ``named and not orders`` means nothing fits.
        all_orders: "in total", "across all my orders": the whole account.
        anaphoric: "it", "them", "the same": about the order the conversation is on.
        cues: Which kinds of reference were found (for logs and tests).
    """

    orders: tuple[OrderView, ...] = ()
    named: bool = False
    all_orders: bool = False
    anaphoric: bool = False
    cues: tuple[str, ...] = ()

    @property
    def one(self) -> OrderView | None:
        """The order, when exactly one fits."""
        return self.orders[0] if len(self.orders) == 1 else None

    @property
    def ambiguous(self) -> bool:
        """Several orders fit: the customer must choose."""
        return len(self.orders) > 1

    @property
    def not_found(self) -> bool:
        """Something was named that none of the customer's orders has."""
        return self.named and not self.orders


def _amounts(text: str) -> list[Decimal]:
    found = []
    for match in _AMOUNT.finditer(text):
        raw = next(g for g in match.groups() if g)
        try:
            found.append(Decimal(raw.replace(",", ".")))
        except InvalidOperation:
            continue
    return found


def _order_amounts(order: OrderView) -> set[Decimal]:
    amounts = {order.total}
    if order.plan is not None:
        amounts.update(i.amount for i in order.plan.instalments)
    amounts.update(r.amount for r in order.refunds)
    return {a.quantize(Decimal("0.01")) for a in amounts}


def _month_number(name: str) -> int:
    return next(i for i, m in enumerate(_MONTHS, start=1) if m.startswith(name[:3]))


def _dated(text: str, today: date) -> tuple[list[date], list[int]]:
    """Days and months (numbers) the text mentions; the text with them removed is not needed."""
    days: list[date] = []
    months: list[int] = []

    def on_or_before_today(month: int, day: int) -> date | None:
        for year in (today.year, today.year - 1):
            try:
                candidate = date(year, month, day)
            except ValueError:
                return None
            if candidate <= today:
                return candidate
        return None

    for day_text, month_text in _DAY_MONTH.findall(text):
        found = on_or_before_today(_month_number(month_text), int(day_text))
        days.extend([found] if found else [])
    for month_text, day_text in _MONTH_DAY.findall(text):
        found = on_or_before_today(_month_number(month_text), int(day_text))
        days.extend([found] if found else [])
    for year, month, day in _ISO.findall(text):
        try:
            days.append(date(int(year), int(month), int(day)))
        except ValueError:
            continue
    if not days:
        months = [_month_number(m) for m in _MONTH_ONLY.findall(text) if m != "may"]
    if re.search(r"\byesterday\b", text):
        days.append(today - timedelta(days=1))
    if re.search(r"\btoday\b", text):
        days.append(today)
    for count in _DAYS_AGO.findall(text):
        number = _WORD_NUMBERS.get(count) or int(count)
        days.append(today - timedelta(days=number))
    return days, months


def _by_date(text: str, orders: Sequence[OrderView], today: date) -> set[str] | None:
    days, months = _dated(text, today)
    refs: set[str] | None = None
    if days:
        refs = {o.order_ref for o in orders if o.placed_at.date() in days}
    elif months:
        refs = {o.order_ref for o in orders if o.placed_at.month in months}
    if re.search(r"\blast week\b", text):
        start = today - timedelta(days=today.weekday() + 7)
        week = {o.order_ref for o in orders if start <= o.placed_at.date() < start + timedelta(7)}
        refs = week if refs is None else refs | week
    if re.search(r"\bthis week\b", text):
        start = today - timedelta(days=today.weekday())
        week = {o.order_ref for o in orders if start <= o.placed_at.date() <= today}
        refs = week if refs is None else refs | week
    return refs


def _by_date_es(folded: str, orders: Sequence[OrderView], today: date) -> set[str] | None:
    days, months, week = resolution_es.dated(folded, today)
    refs: set[str] | None = None
    if days:
        refs = {o.order_ref for o in orders if o.placed_at.date() in days}
    elif months:
        refs = {o.order_ref for o in orders if o.placed_at.month in months}
    if week is not None:
        start, end = week
        in_week = {o.order_ref for o in orders if start <= o.placed_at.date() <= end}
        refs = in_week if refs is None else refs | in_week
    return refs


def _union(first: set[str] | None, second: set[str] | None) -> set[str] | None:
    if first is None:
        return second
    return first if second is None else first | second


def resolve(
    text: str,
    orders: Sequence[OrderView],
    *,
    today: date,
    current: str | None = None,
    relevant: Relevant | None = None,
    language: str = "en",
) -> Resolution:
    """Read which of ``orders`` (one customer's, newest first) ``text`` is about.

    Args:
        text: The customer's message as typed.
        orders: The customer's own orders, newest first.
        today: Reference day (UTC) for "yesterday", "last week" and month names.
        current: The order the conversation is on (for "the other one").
        relevant: Whether an order makes sense for the question (has a plan for a payment
            question, a refund for a refund question): used only to narrow several matches,
            never to replace what was named.
        language: The conversation's language. Spanish messages are also read with the
            Spanish cues of :mod:`actions.resolution_es` (and the English ones, for
            Spanglish); English messages only with the English ones.
    """
    if not orders or text.startswith("/"):
        return Resolution()
    lowered = text.casefold()
    spanish = language == "es"
    folded = fold(text) if spanish else ""
    by_ref = {o.order_ref: o for o in orders}
    constraints: list[tuple[str, set[str]]] = []
    ref = find_order_ref(text)
    if ref is not None:
        constraints.append(("number", {ref} & set(by_ref)))
    doc = read(text, language)
    items, merchants = customer_matcher(orders).match(doc)
    if items:
        constraints.append(("item", items))
    elif things_named(doc):
        constraints.append(("item", set()))  # a thing none of their orders has
    if merchants:
        constraints.append(("merchant", merchants))
    amounts = _amounts(lowered) + (resolution_es.amounts(folded) if spanish else [])
    if amounts:
        matching = {o.order_ref for o in orders if _order_amounts(o) & set(amounts)}
        constraints.append(("amount", matching))
    dated = _by_date(lowered, orders, today)
    if spanish:
        dated = _union(dated, _by_date_es(folded, orders, today))
    if dated is not None:
        constraints.append(("date", dated))
    if _LATEST.search(lowered) or (spanish and resolution_es.LATEST.search(folded)):
        constraints.append(("latest", {orders[0].order_ref}))
    elif _OLDEST.search(lowered) or (spanish and resolution_es.OLDEST.search(folded)):
        constraints.append(("oldest", {orders[-1].order_ref}))
    elif (_OTHER.search(lowered) or (spanish and resolution_es.OTHER.search(folded))) and not (
        items or merchants
    ):
        others = [o for o in orders if o.order_ref != current] if current else list(orders)
        useful = [o for o in others if relevant is None or relevant(o)]
        constraints.append(("other", {o.order_ref for o in (useful or others)}))
    cues = tuple(kind for kind, _ in constraints)
    all_orders = bool(_ALL.search(lowered)) or (spanish and bool(resolution_es.ALL.search(folded)))
    anaphoric = bool(_ANAPHORA.search(lowered)) or (
        spanish and bool(resolution_es.ANAPHORA.search(folded))
    )
    if not constraints:
        return Resolution(all_orders=all_orders, anaphoric=anaphoric)
    refs = set.intersection(*(refs for _, refs in constraints))
    if len(refs) > 1 and relevant is not None:
        narrowed = {r for r in refs if relevant(by_ref[r])}
        refs = narrowed or refs
    chosen = tuple(o for o in orders if o.order_ref in refs)
    return Resolution(chosen, True, all_orders, anaphoric, cues)
