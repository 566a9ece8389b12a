"""The task-success evaluation's checks: does a bot answer contain the facts asked for?

Pure functions over text, so they are unit-tested on their own (test_facts.py) and the runner
only plays dialogues. Amounts are compared as numbers, dates in any common format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

ORDER_REF = re.compile(r"\bORD-\d{6}\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class BotTurn:
    """Everything the bot sent after one customer message."""

    texts: tuple[str, ...]
    buttons: tuple[dict[str, str], ...]
    handed_off: bool

    @property
    def text(self) -> str:
        """All texts and button titles of the turn as one string."""
        titles = [b.get("title", "") for b in self.buttons]
        return "\n".join([*self.texts, *titles])


@dataclass
class Verdict:
    """Whether one turn met its expectation, and why not."""

    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def amounts_in(text: str) -> set[Decimal]:
    """Every number in ``text`` as a Decimal ("€1,200.00" -> 1200.00; "4242" -> 4242)."""
    found: set[Decimal] = set()
    for match in _NUMBER.finditer(text):
        whole = match.group(1).replace(",", "")
        frac = match.group(2)
        try:
            found.add(Decimal(f"{whole}.{frac}" if frac else whole).normalize())
        except InvalidOperation:
            continue
    return found


def date_forms(day: date) -> list[str]:
    """Spellings of ``day`` a reasonable answer may use."""
    month = _MONTHS[day.month - 1]
    short = month[:3]
    d, m, y = day.day, day.month, day.year
    suffix = "th" if 11 <= d % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return [
        f"{d} {month}",
        f"{d}{suffix} {month}",
        f"{d} {short}",
        f"{month} {d}",
        f"{month} {d}{suffix}",
        f"{short} {d}",
        day.isoformat(),
        f"{d:02d}/{m:02d}/{y}",
        f"{m:02d}/{d:02d}/{y}",
        f"{d}/{m}/{y}",
    ]


def mentions_date(text: str, day: date) -> bool:
    """Whether ``text`` names ``day`` in any of :func:`date_forms` (whole words)."""
    for form in date_forms(day):
        if re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text, re.IGNORECASE):
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_turn(
    turn: BotTurn,
    expect: Mapping[str, Any],
    *,
    today: date,
    customer_orders: Sequence[str] = (),
) -> Verdict:
    """Check one bot turn against one expectation (keys documented in dialogues_dev.yml)."""
    verdict = Verdict()
    text = turn.text
    body = "\n".join(turn.texts)
    if turn.handed_off != bool(expect.get("handoff", False)):
        verdict.problems.append(f"handoff={turn.handed_off}")
    named = {ref.upper() for ref in ORDER_REF.findall(body)}
    wanted = {str(ref).upper() for ref in _as_list(expect.get("order"))}
    for ref in sorted(wanted - named):
        verdict.problems.append(f"order {ref} not named")
    if wanted and not expect.get("others_ok"):
        wrong = sorted((named - wanted) & {r.upper() for r in customer_orders})
        if wrong:
            verdict.problems.append(f"other orders named: {', '.join(wrong)}")
    amounts = amounts_in(text)
    for amount in _as_list(expect.get("amounts")):
        if Decimal(str(amount)).normalize() not in amounts:
            verdict.problems.append(f"amount {amount} missing")
    for offset in _as_list(expect.get("dates")):
        day = today + timedelta(days=int(offset))
        if not mentions_date(text, day):
            verdict.problems.append(f"date {day.isoformat()} missing")
    for offset in _as_list(expect.get("dates_this_month")):
        day = today + timedelta(days=int(offset))
        if day.month == today.month and day.year == today.year and not mentions_date(text, day):
            verdict.problems.append(f"date {day.isoformat()} (this month) missing")
    lowered = text.casefold()
    for phrase in _as_list(expect.get("says")):
        if str(phrase).casefold() not in lowered:
            verdict.problems.append(f"missing {phrase!r}")
    any_of = [str(p).casefold() for p in _as_list(expect.get("says_any"))]
    if any_of and not any(p in lowered for p in any_of):
        verdict.problems.append(f"none of {any_of!r}")
    offered = _button_refs(turn.buttons)
    for ref in _as_list(expect.get("buttons")):
        if str(ref).upper() not in offered:
            verdict.problems.append(f"no button for {ref}")
    return verdict


def _button_refs(buttons: Iterable[Mapping[str, str]]) -> set[str]:
    refs: set[str] = set()
    for button in buttons:
        for part in (button.get("title", ""), button.get("payload", "")):
            refs.update(ref.upper() for ref in ORDER_REF.findall(part))
    return refs


def render_user_text(template: str, today: date) -> str:
    """Fill ``{day:-3}`` ("30 November") and ``{month:-62}`` ("October") placeholders."""

    def fill(match: re.Match[str]) -> str:
        kind, offset = match.group(1), int(match.group(2))
        day = today + timedelta(days=offset)
        return f"{day.day} {_MONTHS[day.month - 1]}" if kind == "day" else _MONTHS[day.month - 1]

    return re.sub(r"\{(day|month):([+-]?\d+)\}", fill, template)
