"""The hub's guard on its own (Rasa down): precision and recall over the labelled corpus.

Every message of every split is checked by :class:`common.explicit_request.ExplicitRequestGuard`
alone, as the hub checks it before the bot. Positives: the single messages labelled
``explicit`` and the turn of an ``explicit`` conversation where the handoff is expected.
Negatives: every ``calm`` message and every turn of a calm conversation (the guard must not
fire on them). Topic and frustrated cases are not the guard's job and are left out.

Usage::

    .venv-hub/bin/python -m tests.handoff_eval.guard_eval [--split all|families,...]
        [--min-recall 0.95] [--max-false-rate 0.02]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from common.explicit_request import ExplicitRequestGuard
from tests.handoff_eval.corpus import Case, load_cases


@dataclass(frozen=True)
class GuardItem:
    """One message the guard reads, and whether it asks for a person."""

    case_id: str
    family: str
    text: str
    positive: bool


def guard_items(cases: Sequence[Case]) -> list[GuardItem]:
    """The messages the guard is judged on (see the module docstring)."""
    items: list[GuardItem] = []
    for case in cases:
        family = case.family or case.category
        if case.category == "explicit" and case.handoff_at is not None:
            text = case.turns[case.handoff_at - 1]
            items.append(GuardItem(case.case_id, family, text, True))
        elif case.category == "calm":
            items.extend(GuardItem(case.case_id, family, text, False) for text in case.turns)
    return items


@dataclass(frozen=True)
class GuardScore:
    """Confusion counts of the guard."""

    true_positives: int
    false_negatives: int
    false_positives: int
    true_negatives: int

    @property
    def recall(self) -> float:
        """Share of requests the guard caught."""
        found = self.true_positives + self.false_negatives
        return self.true_positives / found if found else 1.0

    @property
    def precision(self) -> float:
        """Share of the guard's handoffs that were requests."""
        fired = self.true_positives + self.false_positives
        return self.true_positives / fired if fired else 1.0


def evaluate(
    guard: ExplicitRequestGuard, items: Sequence[GuardItem]
) -> tuple[GuardScore, list[str]]:
    """Score the guard on ``items``; also the list of its mistakes."""
    counts = [0, 0, 0, 0]
    mistakes: list[str] = []
    for item in items:
        fired = guard.match(item.text).matched
        index = (0 if fired else 1) if item.positive else (2 if fired else 3)
        counts[index] += 1
        if fired != item.positive:
            kind = "missed" if item.positive else "false handoff"
            mistakes.append(f"- {kind} [{item.family}] {item.case_id}: {item.text!r}")
    return GuardScore(*counts), mistakes


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: exit 1 when recall is below ``--min-recall``."""
    parser = argparse.ArgumentParser(description="hub guard alone: precision and recall")
    parser.add_argument("--split", default="all")
    parser.add_argument("--min-recall", type=float, default=0.0)
    parser.add_argument("--max-false-rate", type=float, default=1.0)
    args = parser.parse_args(argv)
    guard = ExplicitRequestGuard.from_file()
    items = guard_items(load_cases(args.split))
    result, mistakes = evaluate(guard, items)
    print(f"## hub guard alone (Rasa down), split {args.split}")
    print(
        f"requests {result.true_positives + result.false_negatives}, "
        f"non-requests {result.false_positives + result.true_negatives}: "
        f"recall {result.recall:.1%}, precision {result.precision:.1%}, "
        f"false handoffs {result.false_positives}"
    )
    print("\n".join(mistakes))
    negatives = result.false_positives + result.true_negatives
    false_rate = result.false_positives / negatives if negatives else 0.0
    if result.recall < args.min_recall or false_rate > args.max_false_rate:
        print(
            f"FAILED: guard recall < {args.min_recall:.0%} "
            f"or false handoffs > {args.max_false_rate:.0%}"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
