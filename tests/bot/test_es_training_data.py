"""The Spanish training data (data/nlu/es) and Spanish conversation tests (tests/stories/test_es_*).

Checks what `rasa data validate` cannot see: every English intent has Spanish examples, enough
of them, none repeated under two intents, and every entity annotation is exactly the span the
spaCy entity ruler finds in the text (conversation tests fail on any difference, and an
unannotated money or date span breaks a story as much as a wrong order number).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spacy
import yaml
from spacy.language import Language

from bot.spacy_pipeline import build_pipeline, entity_patterns

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "data" / "nlu"
SPANISH = ENGLISH / "es"
STORIES = ROOT / "tests" / "stories"

CORE_INTENTS = (
    "order_status",
    "next_payment",
    "payment_schedule",
    "pay_early",
    "late_fees",
    "refund_status",
    "return_item",
    "payment_declined",
    "dispute_charge",
    "card_on_file",
    "last_payment",
    "change_payment_method",
    "following_payment",
    "switch_order",
    "money_taken_wrongly",
    "report_fraud",
    "cannot_afford",
    "no_order_number",
    "request_human",
)
CORE_MINIMUM = 25
BASIC_MINIMUM = 12
# Entity labels the pipeline extracts (config.yml, RulerEntityExtractor dimensions).
DIMENSIONS = frozenset({"order_number", "email", "money", "date"})
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")


def _intent_examples(folder: Path) -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in block:
                continue
            lines = [line.strip() for line in block["examples"].splitlines()]
            examples.setdefault(block["intent"], []).extend(
                line[2:].strip() for line in lines if line.startswith("- ")
            )
    return examples


def _story_user_texts() -> Iterator[tuple[str, str]]:
    for path in sorted(STORIES.glob("test_es_*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8")).get("stories", []):
            for step in story["steps"]:
                if "user" in step and not step["user"].lstrip().startswith("/"):
                    yield f"{path.name}: {story['story']}", step["user"].strip()


def _plain(annotated: str) -> tuple[str, list[tuple[str, str]]]:
    """The message as typed and its annotated (text, entity) spans."""
    return _ANNOTATION.sub(r"\1", annotated), _ANNOTATION.findall(annotated)


SPANISH_EXAMPLES = _intent_examples(SPANISH)
ENGLISH_EXAMPLES = _intent_examples(ENGLISH)
# Training examples with annotations (an unannotated amount in a training example is harmless),
# and every text of the conversation tests (an unannotated span fails the story).
ANNOTATED = [
    *(
        (f"data/nlu/es {intent}", text)
        for intent, texts in SPANISH_EXAMPLES.items()
        for text in texts
        if _ANNOTATION.search(text)
    ),
    *_story_user_texts(),
]


@pytest.fixture(scope="module")
def english_nlp() -> Language:
    return build_pipeline()


@pytest.fixture(scope="module")
def spanish_nlp() -> Language:
    """The Spanish side of the pipeline where there is one (issue 19), else a blank Spanish
    tokenizer with the same ruler: either way, reading a message as Spanish moves no span."""
    if "language" in inspect.signature(build_pipeline).parameters:
        return build_pipeline("es")  # type: ignore[call-arg]
    nlp = spacy.blank("es")
    nlp.add_pipe("entity_ruler").add_patterns(entity_patterns())  # type: ignore[attr-defined]
    return nlp


def _spans(nlp: Language, text: str) -> list[tuple[str, str]]:
    return [(ent.text, ent.label_) for ent in nlp(text).ents if ent.label_ in DIMENSIONS]


def test_every_english_intent_has_spanish_examples() -> None:
    assert set(ENGLISH_EXAMPLES) - set(SPANISH_EXAMPLES) == set()
    assert set(SPANISH_EXAMPLES) - set(ENGLISH_EXAMPLES) == set()


@pytest.mark.parametrize("intent", sorted(ENGLISH_EXAMPLES))
def test_enough_spanish_examples(intent: str) -> None:
    if intent == "inform":
        minimum = CORE_MINIMUM
    else:
        minimum = CORE_MINIMUM if intent in CORE_INTENTS else BASIC_MINIMUM
    assert len(SPANISH_EXAMPLES.get(intent, [])) >= minimum


def test_no_spanish_example_is_repeated() -> None:
    """No Spanish example twice, nor under another intent than the same English one."""
    english: dict[str, set[str]] = {}
    for intent, texts in ENGLISH_EXAMPLES.items():
        for text in texts:
            english.setdefault(_plain(text)[0].lower(), set()).add(intent)
    seen: set[str] = set()
    clashes = []
    for intent, texts in SPANISH_EXAMPLES.items():
        for text in texts:
            key = _plain(text)[0].lower()
            if key in seen or key in english:
                clashes.append((intent, text, sorted(english.get(key, set()))))
            seen.add(key)
    assert clashes == []


def test_conversation_texts_are_not_training_examples() -> None:
    trained = {
        _plain(text)[0].lower()
        for source in (ENGLISH_EXAMPLES, SPANISH_EXAMPLES)
        for texts in source.values()
        for text in texts
    }
    reused = [
        (where, text)
        for where, text in _story_user_texts()
        if _plain(text)[0].lower() in trained and not _ANNOTATION.search(text)
    ]
    assert reused == []


@pytest.mark.parametrize(("where", "annotated"), ANNOTATED)
def test_annotations_are_the_ruler_spans(
    where: str, annotated: str, english_nlp: Any, spanish_nlp: Any
) -> None:
    text, expected = _plain(annotated)
    assert _spans(english_nlp, text) == expected, where
    assert _spans(spanish_nlp, text) == expected, where
