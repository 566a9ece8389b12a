"""The labelled handoff corpus: loading, and scoring what the bot did against the labels.

Kept free of Rasa so the scoring itself is unit-tested (tests/handoff_eval/test_scoring.py);
``run_eval.py`` plays the cases through the trained bot and hands the outcomes here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

CORPUS_DIR = Path(__file__).resolve().parent
SPLITS = (
    *("dev", "heldout", "heldout2", "families", "es"),
    *("blind3", "blind4", "blind5", "blind6", "blind7", "blind8", "blind9", "blind10"),
    *("blind11", "blind12", "blind13", "blind14", "blind15", "blind16"),
)
CATEGORIES = ("explicit", "topic", "frustrated", "calm")

# Targets from issue 3: recall for the first three, false-handoff rate for calm.
TARGETS = {"explicit": 1.0, "topic": 1.0, "frustrated": 0.95, "calm": 0.02}


@dataclass(frozen=True)
class Case:
    """One conversation to play (a single message is a one-turn conversation)."""

    case_id: str
    split: str
    category: str
    turns: tuple[str, ...]
    handoff_at: int | None = None
    handoff_by: int | None = None
    customer: str | None = None
    family: str | None = None

    @property
    def expects_handoff(self) -> bool:
        """Whether the labels say a person must take over in this conversation."""
        return self.handoff_at is not None or self.handoff_by is not None


@dataclass(frozen=True)
class Outcome:
    """What the bot did with a case: the 1-based turn of the handoff (None = never)."""

    case: Case
    handoff_turn: int | None
    reason: str | None = None
    intents: tuple[str | None, ...] = ()

    @property
    def correct(self) -> bool:
        """Whether the bot did what the labels say."""
        case = self.case
        if case.handoff_at is not None:
            return self.handoff_turn == case.handoff_at
        if case.handoff_by is not None:
            return self.handoff_turn is not None and self.handoff_turn <= case.handoff_by
        return self.handoff_turn is None


def _case(split: str, raw: dict[str, Any], case_id: str, single: bool) -> Case:
    category = str(raw["category"])
    if category not in CATEGORIES:
        raise ValueError(f"{case_id}: unknown category {category!r}")
    if single:
        turns: tuple[str, ...] = (str(raw["text"]),)
        handoff_at = 1 if category in ("explicit", "topic") else None
        if category == "frustrated":
            raise ValueError(f"{case_id}: frustrated cases must be conversations")
        handoff_by = None
    else:
        turns = tuple(str(turn) for turn in raw["turns"])
        handoff_at = raw.get("handoff_at")
        handoff_by = raw.get("handoff_by")
        if category == "calm" and (handoff_at or handoff_by):
            raise ValueError(f"{case_id}: calm conversations never hand off")
        if category != "calm" and not (handoff_at or handoff_by):
            raise ValueError(f"{case_id}: say when the handoff is expected")
        for turn in (handoff_at, handoff_by):
            if turn is not None and not 1 <= int(turn) <= len(turns):
                raise ValueError(f"{case_id}: expected turn {turn} is not in the conversation")
    return Case(
        case_id=case_id,
        split=split,
        category=category,
        turns=turns,
        handoff_at=int(handoff_at) if handoff_at is not None else None,
        handoff_by=int(handoff_by) if handoff_by is not None else None,
        customer=raw.get("customer"),
        family=str(raw["family"]) if raw.get("family") else None,
    )


def load_split(split: str, directory: Path = CORPUS_DIR) -> list[Case]:
    """Load one split's cases, validating the labels."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
    data = yaml.safe_load((directory / f"corpus_{split}.yml").read_text(encoding="utf-8"))
    cases = [
        _case(split, raw, f"{split}-msg-{index:03d}", single=True)
        for index, raw in enumerate(data.get("messages") or [], start=1)
    ]
    cases += [
        _case(split, raw, str(raw["id"]), single=False) for raw in data.get("conversations") or []
    ]
    return cases


def parse_splits(spec: str) -> tuple[str, ...]:
    """``all`` or a comma-separated list of split names ("dev,heldout"), in corpus order.

    Raises:
        ValueError: for an unknown split name or an empty list.
    """
    if spec.strip() == "all":
        return SPLITS
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in names if name not in SPLITS]
    if unknown or not names:
        raise ValueError(f"unknown split {spec!r}; choose 'all' or names from {SPLITS}")
    return tuple(name for name in SPLITS if name in names)


def load_cases(split: str, directory: Path = CORPUS_DIR) -> list[Case]:
    """Load ``all``, one split (``dev``, ``heldout``, ``heldout2``) or a comma-separated list."""
    return [case for name in parse_splits(split) for case in load_split(name, directory)]


@dataclass(frozen=True)
class CategoryScore:
    """Per-category figures: recall for handoff categories, false-handoff rate for calm."""

    category: str
    cases: int
    correct: int

    @property
    def rate(self) -> float:
        """Recall (explicit/topic/frustrated) or false-handoff rate (calm)."""
        if not self.cases:
            return 0.0
        if self.category == "calm":
            return (self.cases - self.correct) / self.cases
        return self.correct / self.cases

    @property
    def meets_target(self) -> bool:
        """Whether the figure meets the issue's target."""
        target = TARGETS[self.category]
        return self.rate <= target if self.category == "calm" else self.rate >= target


def score(outcomes: Iterable[Outcome]) -> dict[str, CategoryScore]:
    """Aggregate outcomes per category."""
    totals = {category: [0, 0] for category in CATEGORIES}
    for outcome in outcomes:
        totals[outcome.case.category][0] += 1
        totals[outcome.case.category][1] += int(outcome.correct)
    return {
        category: CategoryScore(category, cases, correct)
        for category, (cases, correct) in totals.items()
        if cases
    }


def family_scores(outcomes: Iterable[Outcome]) -> dict[str, CategoryScore]:
    """Per-family figures for cases that name a family (calm: false-handoff rate)."""
    totals: dict[str, list[Any]] = {}
    for outcome in outcomes:
        family = outcome.case.family
        if family is None:
            continue
        entry = totals.setdefault(family, [outcome.case.category, 0, 0])
        entry[1] += 1
        entry[2] += int(outcome.correct)
    return {
        family: CategoryScore(category, cases, correct)
        for family, (category, cases, correct) in sorted(totals.items())
    }


def format_report(outcomes: Sequence[Outcome], title: str) -> str:
    """The table and the confusion list, as printed by the runner."""
    scores = score(outcomes)
    lines = [
        f"## {title}",
        "",
        "| category | cases | correct | figure | target | ok |",
        "|---|---|---|---|---|---|",
    ]
    for category, item in scores.items():
        label = "false-handoff rate" if category == "calm" else "recall"
        target = TARGETS[category]
        lines.append(
            f"| {category} | {item.cases} | {item.correct} | {label} {item.rate:.1%} | "
            f"{'<=' if category == 'calm' else '>='} {target:.0%} | "
            f"{'yes' if item.meets_target else 'NO'} |"
        )
    families = family_scores(outcomes)
    if families:
        lines += ["", "| family | cases | correct | figure |", "|---|---|---|---|"]
        for family, item in families.items():
            label = "false-handoff rate" if item.category == "calm" else "recall"
            lines.append(f"| {family} | {item.cases} | {item.correct} | {label} {item.rate:.1%} |")
    wrong = [outcome for outcome in outcomes if not outcome.correct]
    lines += ["", f"Confusion list ({len(wrong)} wrong):"]
    for outcome in wrong:
        case = outcome.case
        expected = (
            f"at turn {case.handoff_at}"
            if case.handoff_at is not None
            else f"by turn {case.handoff_by}"
            if case.handoff_by is not None
            else "never"
        )
        got = (
            f"turn {outcome.handoff_turn} ({outcome.reason})"
            if outcome.handoff_turn is not None
            else "no handoff"
        )
        intents = ", ".join(str(intent) for intent in outcome.intents)
        lines.append(
            f"- [{case.category}] {case.case_id}: expected {expected}, got {got}; "
            f"intents [{intents}]; turns {list(case.turns)}"
        )
    return "\n".join(lines)
