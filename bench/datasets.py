"""Intent data sets as CSV (``text,label``): loading, per-intent sampling, Rasa NLU YAML.

BANKING77's CSV calls the label column ``category``; ``label`` and ``intent`` are accepted too,
so any labelled intent set can be dropped in without conversion.
"""

from __future__ import annotations

import csv
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

LABEL_COLUMNS = ("label", "category", "intent")
_NON_WORD = re.compile(r"[^A-Za-z0-9_]+")
_WHITESPACE = re.compile(r"\s+")


class DatasetError(ValueError):
    """A CSV that cannot be used as an intent data set (missing columns, no rows)."""


@dataclass(frozen=True)
class Example:
    """One labelled utterance."""

    text: str
    label: str


def load_csv(path: Path) -> list[Example]:
    """Read ``text`` plus a label column (``label``, ``category`` or ``intent``).

    Rows with an empty text or label are skipped: they cannot be trained on or scored.

    Raises:
        DatasetError: The file has no ``text`` column, no label column, or no usable row.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if "text" not in columns:
            raise DatasetError(f"{path}: no 'text' column (columns: {columns})")
        label_column = next((name for name in LABEL_COLUMNS if name in columns), None)
        if label_column is None:
            raise DatasetError(f"{path}: no label column, expected one of {LABEL_COLUMNS}")
        examples = [
            Example(text=_clean_text(row["text"]), label=(row[label_column] or "").strip())
            for row in reader
        ]
    examples = [example for example in examples if example.text and example.label]
    if not examples:
        raise DatasetError(f"{path}: no labelled rows")
    return examples


def _clean_text(text: str | None) -> str:
    # One line per example in Rasa's YAML, and no square brackets: Rasa reads "[x](y)" in an
    # example as an entity annotation, which would corrupt the text it trains on.
    cleaned = (text or "").replace("[", "(").replace("]", ")")
    return _WHITESPACE.sub(" ", cleaned).strip()


def split_per_label(
    examples: Sequence[Example], per_label: int, seed: int
) -> tuple[list[Example], list[Example]]:
    """Sample ``per_label`` training examples of every label; the rest are held out.

    The sample depends only on the rows, their order and ``seed``, so a run is reproducible.
    A label with no more than ``per_label`` rows goes wholly into training (nothing of it
    would be left to test on, and leaving it out would shrink the label set silently).

    Raises:
        ValueError: ``per_label`` below 1.
    """
    if per_label < 1:
        raise ValueError("per_label must be at least 1")
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        by_label[example.label].append(index)
    rng = random.Random(seed)
    chosen: set[int] = set()
    for label in sorted(by_label):
        indices = by_label[label]
        chosen.update(indices if len(indices) <= per_label else rng.sample(indices, per_label))
    train = [example for index, example in enumerate(examples) if index in chosen]
    held_out = [example for index, example in enumerate(examples) if index not in chosen]
    return train, held_out


def stratified_head(examples: Sequence[Example], limit: int, seed: int) -> list[Example]:
    """At most ``limit`` examples, spread over the labels in proportion, chosen with ``seed``.

    Used to cap a long test set (``--max-test``) without dropping whole labels.
    """
    if limit >= len(examples):
        return list(examples)
    rng = random.Random(seed)
    shuffled = list(examples)
    rng.shuffle(shuffled)
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in shuffled:
        by_label[example.label].append(example)
    picked: list[Example] = []
    queues = [by_label[label] for label in sorted(by_label)]
    while len(picked) < limit:
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop())
    return picked


def intent_names(labels: Iterable[str]) -> dict[str, str]:
    """Map each label to a Rasa-safe intent name (letters, digits, underscores), uniquely.

    BANKING77 has labels such as ``reverted_card_payment?``; Rasa would accept some of them
    but not all characters are safe in every place an intent name appears.
    """
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for label in sorted(set(labels)):
        base = _NON_WORD.sub("_", label).strip("_") or "intent"
        name = base
        suffix = 2
        while name in used:
            name = f"{base}_{suffix}"
            suffix += 1
        mapping[label] = name
        used.add(name)
    return mapping


def to_rasa_nlu_yaml(examples: Sequence[Example], names: dict[str, str]) -> str:
    """Rasa 3 NLU training data (``version: "3.1"``) for the examples, grouped by intent."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for example in examples:
        by_intent[names[example.label]].append(example.text)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in by_intent[intent])
    return "\n".join(lines) + "\n"
