"""Explicit requests for a person on spaCy lemmas (bot/explicit_request.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language

from bot.explicit_request import (
    EXPLICIT_REQUEST_KEY,
    DeclinedRequestFilter,
    ExplicitRequestMatcher,
)
from bot.spacy_pipeline import analyse, build_pipeline
from common.explicit_request import ExplicitRequestGuard, ExplicitRequestMatch, load_phrase_book
from tests.handoff_eval.corpus import load_cases

REPO = Path(__file__).resolve().parents[2]
CORPUS_PATH = REPO / "tests" / "data" / "explicit_requests.yml"
CORPUS: dict[str, Any] = yaml.safe_load(CORPUS_PATH.read_text(encoding="utf-8"))
ALL_TEXTS = [case["text"] for case in CORPUS["requests"]] + CORPUS["not_requests"]


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


@pytest.fixture(scope="module")
def matcher() -> ExplicitRequestMatcher:
    return ExplicitRequestMatcher({})


@pytest.fixture(scope="module")
def guard() -> ExplicitRequestGuard:
    return ExplicitRequestGuard.from_file()


def spacy_match(matcher: ExplicitRequestMatcher, nlp: Language, text: str) -> ExplicitRequestMatch:
    # As inside Rasa: SpacyNLP hands over a lower-cased doc of the message.
    return matcher.match(text, nlp, analyse(nlp, text.lower()))


@pytest.mark.parametrize("case", CORPUS["requests"], ids=lambda case: case["text"])
def test_catches_every_request_in_the_corpus(matcher, nlp, case):
    found = spacy_match(matcher, nlp, case["text"])
    assert found.matched, case["text"]
    assert found.language == case["language"]


@pytest.mark.parametrize("text", CORPUS["not_requests"])
def test_ignores_messages_that_do_not_ask_for_a_person(matcher, nlp, text):
    assert not spacy_match(matcher, nlp, text).matched


@pytest.mark.parametrize("text", ALL_TEXTS)
def test_agrees_with_the_hub_guard(matcher, nlp, guard, text):
    assert spacy_match(matcher, nlp, text) == guard.match(text)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("I'd rather be speaking to an agent", "speak to an agent"),
        ("talking to someone real would be nice", "talk to someone real"),
        ("Can I talk to a REAL PERSON", "talk to a real person"),
        # a past form is a report (``reports``), the wish after it a request
        ("I spoke to an agent last week and want to speak to one again", "speak to one again"),
    ],
)
def test_lemmas_match_inflected_forms(matcher, nlp, text, phrase):
    assert spacy_match(matcher, nlp, text).phrase == phrase


def test_a_past_form_is_a_report_for_the_lemma_matcher_too(matcher, nlp):
    found = spacy_match(matcher, nlp, "I spoke to an agent last week, when is my payment?")
    assert not found.matched
    assert found.blocked == "reported: spoke to an agent"


def test_works_without_a_precomputed_doc(matcher, nlp):
    assert matcher.match("Get me an AGENT", nlp).as_dict() == {
        "matched": True,
        "phrase": "get me an agent",
        "language": "en",
        "mention": None,
        "blocked": None,
    }
    assert not matcher.match("   ", nlp).matched


def test_custom_phrase_list(tmp_path, nlp):
    custom = tmp_path / "phrases.yml"
    custom.write_text("es: ['{un|una} {persona}']\nnot_requests: ['una persona usó']\n")
    matcher = ExplicitRequestMatcher({"phrases_path": str(custom)})
    assert matcher.match("una persona por favor", nlp).language == "es"
    assert not matcher.match("una persona usó mi tarjeta", nlp).matched
    assert not matcher.match("human", nlp).matched


def test_a_broken_phrase_list_fails_at_load(tmp_path):
    broken = tmp_path / "phrases.yml"
    broken.write_text("en: ['{unbalanced']\n")
    with pytest.raises(InvalidConfigException, match="unbalanced"):
        ExplicitRequestMatcher({"phrases_path": str(broken)})


def test_matchers_follow_the_pipeline_they_are_given(matcher):
    # A second pipeline (e.g. after a model reload) gets its own matchers, bound to its vocab.
    other = SpacyModel(model=build_pipeline(), model_name="other")
    assert matcher.match("humaaan", other.model).matched


# --- with real Rasa graph objects -------------------------------------------------------


@pytest.fixture
def rasa_parts(spacy_graph):
    component = spacy_graph.create(ExplicitRequestMatcher, "explicit")
    return spacy_graph.spacy_nlp, spacy_graph.tokenizer, component


def test_component_adds_explicit_request_to_parsed_messages(rasa_parts):
    spacy_nlp, tokenizer, component = rasa_parts
    model = spacy_nlp.provide()
    messages = [
        Message.build(text="ugh just get me an agent, my refund is missing"),
        Message.build(text="why was my payment declined?"),
    ]
    spacy_nlp.process(messages, model)
    tokenizer.process(messages)
    component.process(messages, model)
    assert messages[0].get(EXPLICIT_REQUEST_KEY) == {
        "matched": True,
        "phrase": "get me an agent",
        "language": "en",
        "mention": None,
        "blocked": None,
    }
    assert messages[1].get(EXPLICIT_REQUEST_KEY) == {
        "matched": False,
        "phrase": None,
        "language": None,
        "mention": None,
        "blocked": None,
    }
    assert EXPLICIT_REQUEST_KEY in messages[0].as_dict(only_output_properties=True)


def test_component_annotates_training_data(rasa_parts):
    spacy_nlp, tokenizer, component = rasa_parts
    model = spacy_nlp.provide()
    data = TrainingData([Message.build(text="hablar con un humano", intent="request_human")])
    spacy_nlp.process_training_data(data, model)
    tokenizer.process_training_data(data)
    component.process_training_data(data, model)
    assert data.training_examples[0].get(EXPLICIT_REQUEST_KEY)["language"] == "es"


# --- the hub's guard and this component decide alike ------------------------------------

# Messages where the two once cut or keyed words differently: punctuation, hyphens and
# apostrophes between words, contractions, irregular and e-dropping word forms.
TOKENIZATION_CASES = [
    "manager, please",
    "person,please",
    "supervisor... now",
    "stop! bot",
    "talk-to-a-person",
    "customer-service",
    "customer_service",
    "live-chat please",
    "real\u2014person",
    "human/agent",
    "id like a manager",
    "I\u2019d like a manager",
    "do n't call me",
    "please do call me",
    "don't call me",
    "is you a human",
    "was I talking to a human?",
    "talk to the women",
    "i wanna speak to men",
    "i need an advisor",
    "I'm escalating this",
    "this is being escalated",
    "giving me a call would help",
    "agnets",
    "humnas",
    "hablar, con un agente",
]


def _phrase_book_texts() -> list[str]:
    book = load_phrase_book()
    return [phrase.text for phrase in book.phrases] + list(book.exclusions)


def _handoff_corpus_texts() -> list[str]:
    return [turn for case in load_cases("all") for turn in case.turns]


def _nlu_texts() -> list[str]:
    return [
        str(example.get("text"))
        for path in sorted((REPO / "data" / "nlu").glob("*.yml"))
        for example in load_data(str(path)).training_examples
        if example.get("text")
    ]


AGREEMENT_SOURCES = {
    "phrase book": _phrase_book_texts,
    "handoff corpora": _handoff_corpus_texts,
    "explicit-request corpus": lambda: ALL_TEXTS,
    "NLU data": _nlu_texts,
    "tokenization cases": lambda: TOKENIZATION_CASES,
}


@pytest.mark.parametrize("source", list(AGREEMENT_SOURCES))
def test_component_and_hub_guard_decide_alike(spacy_graph, guard, source):
    # Run as inside Rasa: SpacyNLP makes the doc, the component matches on it.
    texts = list(dict.fromkeys(AGREEMENT_SOURCES[source]()))
    component = spacy_graph.create(ExplicitRequestMatcher, "explicit")
    model = spacy_graph.spacy_nlp.provide()
    messages = [Message.build(text=text) for text in texts]
    spacy_graph.spacy_nlp.process(messages, model)
    component.process(messages, model)
    disagreements = []
    for text, message in zip(texts, messages, strict=True):
        bot = message.get(EXPLICIT_REQUEST_KEY)
        hub = guard.match(text)
        if (bot["matched"], bot["language"]) != (hub.matched, hub.language):
            disagreements.append((text, bot, hub.as_dict()))
    assert texts
    assert disagreements == []


# --- a customer who declines a person: request_human leaves the intent ranking ---------------


def _classified(text: str, record: dict[str, Any], ranking: list[tuple[str, float]]) -> Message:
    message = Message(data={"text": text})
    message.set(EXPLICIT_REQUEST_KEY, record, add_to_output=True)
    message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]}, add_to_output=True)
    message.set(
        "intent_ranking",
        [{"name": name, "confidence": confidence} for name, confidence in ranking],
        add_to_output=True,
    )
    return message


def test_declined_request_filter_takes_request_human_out_when_a_person_is_declined(guard):
    text = "sin necesidad de hablar con un agente, ¿cuánto debo?"
    record = guard.match(text).as_dict()
    assert record["blocked"] == "no need: sin necesidad de"
    message = _classified(
        text, record, [("request_human", 0.91), ("next_payment", 0.05), ("thank", 0.01)]
    )
    DeclinedRequestFilter({}).process([message])
    assert message.get("intent") == {"name": "next_payment", "confidence": 0.05}
    assert [item["name"] for item in message.get("intent_ranking")] == ["next_payment", "thank"]
    assert message.get(EXPLICIT_REQUEST_KEY)["overruled_intent"] == 0.91


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a person",  # a request: matched
        "nothing to escalate, just curious",  # negated, but not a declined person
        "my travel agent booked it",  # another sense
        "what is my balance",  # nothing at all
    ],
)
def test_declined_request_filter_leaves_other_messages_alone(guard, text):
    ranking = [("request_human", 0.8), ("next_payment", 0.1)]
    message = _classified(text, guard.match(text).as_dict(), ranking)
    DeclinedRequestFilter({}).process([message])
    assert message.get("intent") == {"name": "request_human", "confidence": 0.8}
    assert len(message.get("intent_ranking")) == 2
    assert "overruled_intent" not in message.get(EXPLICIT_REQUEST_KEY)


def test_declined_request_filter_keeps_other_intents_when_request_human_is_not_on_top(guard):
    text = "no need to transfer me, what's my next payment?"
    ranking = [("next_payment", 0.7), ("request_human", 0.2), ("thank", 0.1)]
    message = _classified(text, guard.match(text).as_dict(), ranking)
    DeclinedRequestFilter({}).process([message])
    assert message.get("intent") == {"name": "next_payment", "confidence": 0.7}
    assert [item["name"] for item in message.get("intent_ranking")] == ["next_payment", "thank"]
