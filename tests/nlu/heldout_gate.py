"""The held-out intent gate: English and Spanish accuracy, each above its floor, and Spanish
within a tolerance of English (issue 19: "within 3 points of English's").

Usage (scripts/test_stories.sh)::

    python -m tests.nlu.heldout_gate EN_REPORT ES_REPORT [--en-floor F] [--es-floor F]
        [--tolerance T]

Each report is the ``intent_report.json`` ``rasa test nlu`` writes. Prints both figures and
exits 1 when a check fails, naming it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

EN_FLOOR = 0.85
ES_FLOOR = 0.85
TOLERANCE = 0.03


@dataclass(frozen=True)
class HeldOut:
    """One language's held-out figures."""

    accuracy: float
    macro_f1: float
    messages: int

    @classmethod
    def from_report(cls, path: Path) -> HeldOut:
        """Read a ``rasa test nlu`` intent report."""
        report = json.loads(path.read_text(encoding="utf-8"))
        macro = report["macro avg"]
        return cls(float(report["accuracy"]), float(macro["f1-score"]), int(macro["support"]))


def failures(
    english: HeldOut, spanish: HeldOut, *, en_floor: float, es_floor: float, tolerance: float
) -> list[str]:
    """What the gate rejects (empty: it passes)."""
    found = []
    if english.accuracy < en_floor:
        found.append(f"English accuracy {english.accuracy:.3f} < floor {en_floor:.3f}")
    if spanish.accuracy < es_floor:
        found.append(f"Spanish accuracy {spanish.accuracy:.3f} < floor {es_floor:.3f}")
    # rounded so that exactly 3 points below English passes despite float noise
    if round(english.accuracy - spanish.accuracy, 9) > tolerance:
        found.append(
            f"Spanish accuracy {spanish.accuracy:.3f} is more than {tolerance:.3f} below "
            f"English {english.accuracy:.3f}"
        )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Print both languages' figures; 1 when the gate fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("english", type=Path)
    parser.add_argument("spanish", type=Path)
    parser.add_argument("--en-floor", type=float, default=EN_FLOOR)
    parser.add_argument("--es-floor", type=float, default=ES_FLOOR)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    args = parser.parse_args(argv)
    english, spanish = HeldOut.from_report(args.english), HeldOut.from_report(args.spanish)
    for name, figures in (("English", english), ("Spanish", spanish)):
        print(
            f"held-out intents ({name}): accuracy {figures.accuracy:.3f}, "
            f"macro-F1 {figures.macro_f1:.3f} ({figures.messages} messages)"
        )
    problems = failures(
        english,
        spanish,
        en_floor=args.en_floor,
        es_floor=args.es_floor,
        tolerance=args.tolerance,
    )
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
