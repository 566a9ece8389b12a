"""Calm messages read by their words (bot/calm_lexicon.py) and their agreement with the NLU data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.calm_lexicon import CalmLexicon, is_calm_text, load_lexicon

NLU_DIRS = (Path("data/nlu"), Path("data/nlu/es"))
CALM_INTENTS = ("acknowledge", "thank", "apologise", "small_talk", "greet", "goodbye")
# Intents whose examples must never read as calm: a request, a complaint, a problem.
PROBLEM_INTENTS = (
    "request_human",
    "complain",
    "money_taken_wrongly",
    "report_fraud",
    "dispute_charge",
    "cannot_afford",
    "bereavement",
    "late_fees",
    "refund_status",
    "order_status",
    "payment_declined",
)


def examples(intents: tuple[str, ...]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for directory in NLU_DIRS:
        for path in sorted(directory.glob("*.yml")):
            for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
                if block.get("intent") in intents:
                    for line in str(block.get("examples") or "").splitlines():
                        text = line.strip().removeprefix("- ").strip()
                        if text:
                            found.append((block["intent"], text))
    return found


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "OK!",
        "nice one, ta",
        "sounds simple enough",
        "ah right, fair enough",
        "thanks so much :)",
        "sorry about that",
        "vale, gracias",
        "ah vale, parece fácil",
        "perdona, culpa mía",
        "genial, muchas gracias",
    ],
)
def test_acknowledgements_thanks_and_apologies_are_calm(text: str) -> None:
    assert is_calm_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "???",
        "qwerty",
        "ok, get me a human",
        "thanks but where is my refund",
        "sorry about that! is the first payment done already",
        "do you charge if i'm late",
        "great, just great",
        "¿en serio?",
        "vale, ¿y cuándo me cobran?",
        "ok ok ok ok ok ok ok ok ok",
    ],
)
def test_questions_requests_and_sarcasm_are_not_calm(text: str) -> None:
    assert not is_calm_text(text)


def test_fillers_alone_are_not_calm(tmp_path: Path) -> None:
    path = tmp_path / "calm.yml"
    path.write_text("max_words: 3\nphrases: {en: [ok]}\nfillers: [so, then]\n", encoding="utf-8")
    lexicon = load_lexicon(path)
    assert isinstance(lexicon, CalmLexicon)
    assert lexicon.is_calm("ok then")
    assert not lexicon.is_calm("so then")
    assert not lexicon.is_calm("ok so ok then")  # longer than max_words


def test_no_example_of_a_problem_intent_reads_as_calm() -> None:
    calm = [(intent, text) for intent, text in examples(PROBLEM_INTENTS) if is_calm_text(text)]
    assert calm == []


def test_most_short_examples_of_the_calm_intents_read_as_calm() -> None:
    short = [text for _, text in examples(CALM_INTENTS) if len(text.split()) <= 3]
    assert short
    read = [text for text in short if is_calm_text(text)]
    assert len(read) / len(short) >= 0.6, sorted(set(short) - set(read))[:40]
