"""Score ``common.language.choose_language`` on a language set (tests/nlu/language_short.yml).

The set is a YAML list of ``{text, previous_language, page_language, expected}``. Prints the
accuracy overall and on texts of 1-4 tokens (whitespace-separated), lists the misses, and
exits 1 below the floor (overall accuracy)::

    python -m tests.nlu.score_language tests/nlu/language_short.yml [--floor 0.85]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from common.language import choose_language

FLOOR = 0.85
SHORT_TOKENS = 4
REQUIRED = ("text", "previous_language", "page_language", "expected")


class LanguageSetError(ValueError):
    """The set is not a list of complete examples."""


@dataclass(frozen=True)
class Score:
    """Hits and totals, overall and on short texts, plus the misses."""

    correct: int
    total: int
    short_correct: int
    short_total: int
    misses: list[dict[str, Any]]

    @property
    def accuracy(self) -> float:
        """Share of examples decided as expected."""
        return self.correct / self.total if self.total else 0.0

    @property
    def short_accuracy(self) -> float:
        """The same on texts of at most :data:`SHORT_TOKENS` tokens."""
        return self.short_correct / self.short_total if self.short_total else 0.0


def load(path: Path) -> list[dict[str, Any]]:
    """The examples of a set file, checked for their keys."""
    examples = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(examples, list):
        raise LanguageSetError(f"{path}: expected a YAML list of examples")
    for index, example in enumerate(examples):
        if not isinstance(example, dict) or any(key not in example for key in REQUIRED):
            raise LanguageSetError(f"{path}: example {index} lacks one of {REQUIRED}")
    return examples


def score(examples: list[dict[str, Any]]) -> Score:
    """Run ``choose_language`` on every example."""
    correct = short_correct = short_total = 0
    misses = []
    for example in examples:
        text = str(example["text"])
        choice = choose_language(
            text,
            page_language=example["page_language"],
            previous_language=example["previous_language"],
        )
        hit = choice.code == str(example["expected"])
        correct += hit
        if len(text.split()) <= SHORT_TOKENS:
            short_total += 1
            short_correct += hit
        if not hit:
            misses.append({**example, "got": choice.code, "source": choice.source})
    return Score(correct, len(examples), short_correct, short_total, misses)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the scores and misses; 1 below the floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", type=Path)
    parser.add_argument("--floor", type=float, default=FLOOR)
    args = parser.parse_args(argv)
    result = score(load(args.path))
    print(
        f"language detection: {result.correct}/{result.total} = {result.accuracy:.3f} overall, "
        f"{result.short_correct}/{result.short_total} = {result.short_accuracy:.3f} on texts of "
        f"1-{SHORT_TOKENS} tokens"
    )
    for miss in result.misses:
        print(f"  miss: {miss}")
    if result.accuracy < args.floor:
        print(f"FAIL: accuracy {result.accuracy:.3f} < floor {args.floor:.3f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
