"""Per-message frustration signals (bot/frustration.py), with real Rasa and spaCy objects."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.frustration import (
    FRUSTRATION_KEY,
    FrustrationConfigError,
    FrustrationSignals,
    combine,
    load_frustration_phrases,
    profanity_words,
)
from bot.spacy_pipeline import build_pipeline

FIRES = 0.3  # a message "fires" at or above this score (below it the signal is noise)


@pytest.fixture(scope="module")
def model() -> SpacyModel:
    return SpacyModel(model=build_pipeline(), model_name="in-memory")


@pytest.fixture(scope="module")
def component() -> FrustrationSignals:
    return FrustrationSignals({})


def score(
    component: FrustrationSignals, model: SpacyModel, text: str, **config: Any
) -> dict[str, Any]:
    scorer = FrustrationSignals(config) if config else component
    return scorer.score(text, model.model)


def signal_names(report: dict[str, Any]) -> set[str]:
    return {signal["name"] for signal in report["signals"]}


@pytest.mark.parametrize(
    "text",
    [
        "why was my payment declined?",
        "my refund hasn't arrived yet, can you check?",
        "I was charged a late fee, what is it for?",
        "when is my next payment due?",
        "there is a problem with my order, it is damaged",
        "I was charged twice, wrong amount",
        "someone stole my card and used it",
        "Why was I charged twice?!",
        "my card was declined and I don't know why",
        "I can't afford this month's instalment",
        "the payment failed, what should I do?",
        "I ordered a facial cream, a maxi dress and a bottle of vodka",
        "Is my refund still processing?",
        "I returned it two weeks ago, when will the refund come?",
        "Hi, I need help with order ORD-104233",
        "How many times can I pay late?",
        "My ORDER ORD-104233 EUR 45.50",
        "thank you so much!!",
        "great, thanks",
        "brilliant, that's all I needed",
        "perfect, thank you",
        # round 8: loyalty said calmly, "treat" in another sense
        "I've been a customer for years, can I get a bigger limit?",
        "thanks, I've been with you for ages and never had a problem",
        "how do you treat a payment made on a weekend?",
        # round 10: "professional" in a calm question
        "is the refund handled by a professional team?",
        # round 12: "patience", "tried", "drive" in calm messages
        "thanks for your patience",
        "I tried once, should I try again?",
        "can I drive to the store to return it?",
        # round 14: "mistake", "system", "frustrating", "money" in calm messages
        "oh I see, my mistake, I forgot to pay",
        "is your system down today?",
        "it's not frustrating, I'm just curious",
        "can you hold my order until Friday?",
        "how long do you keep my card details?",
        # round 16: reviews, worst case and cancelling asked about calmly
        "where can I leave a review?",
        "what's the worst case if I pay a day late?",
        # round 18: "same", "waste time", "sort it out" in calm messages
        "same as last month then?",
        "is the amount the same as before?",
        "I got the same answer from the app, thanks",
        "I don't want to waste time, what's the quickest way to pay?",
        "can you sort it out for me please?",
        # round 20: anger words, "again", "still", durations in calm messages
        "I'm not angry, just asking when the refund lands",
        "is there a late fee if I'm a week late?",
        "it has been a week since I ordered, where is it?",
        "phew, that's a relief",
        "did I type the card number wrong?",
        "",
    ],
)
def test_calm_questions_about_problems_do_not_fire(component, model, text):
    assert score(component, model, text)["score"] < FIRES


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("this is useless", "frustration_phrase"),
        ("you're not helping at all", "frustration_phrase"),
        ("youre not listening", "frustration_phrase"),
        ("I already told you my order number", "frustration_phrase"),
        ("that's not what I asked", "frustration_phrase"),
        ("stop sending me the same answer", "frustration_phrase"),
        ("what a waste of time", "frustration_phrase"),
        ("I'm so fed up with this", "frustration_phrase"),
        ("I've been waiting for weeks", "complaint"),
        ("still nothing", "complaint"),
        ("nobody answers my emails", "complaint"),
        ("this is the third time I ask", "complaint"),
        ("it's been 3 weeks", "complaint"),
        ("you stupid bot", "insult"),
        ("you are all idiots", "insult"),
        ("this is bullshit", "profanity"),
        ("what the hell is going on with my money", "profanity"),
        ("WHERE IS MY REFUND", "anger_form"),
        ("where is my refund!!!", "anger_form"),
        ("I hate this terrible awful service", "negative_sentiment"),
        # round 6: sarcasm that cannot be sincere, weariness, the bot repeating itself
        ("wonderful, thanks for nothing", "frustration_phrase"),
        ("you told me that already", "frustration_phrase"),
        ("that's not an answer", "frustration_phrase"),
        ("we're going round in circles", "frustration_phrase"),
        ("this chat doesn't solve anything", "frustration_phrase"),
        ("great, really helpful", "complaint"),
        ("you're just repeating yourself", "frustration_phrase"),
        ("what is the point of this chat", "frustration_phrase"),
        # round 8: indignation, the customer's loyalty thrown back
        ("is this how you treat loyal customers?", "frustration_phrase"),
        ("six years with you and this is the thanks I get", "frustration_phrase"),
        ("absolutely disgraceful", "frustration_phrase"),
        ("unreal, seriously", "frustration_phrase"),
        # round 10: a company that is not serious
        ("so unprofessional", "frustration_phrase"),
        ("what a shambles", "frustration_phrase"),
        # round 12: exasperation as an idiom, attempts counted
        ("this app is driving me round the bend", "frustration_phrase"),
        ("I'm running out of patience", "frustration_phrase"),
        ("I've tried five times", "complaint"),
        # round 14: plain-word frustration, money kept, a fine for the company's mistake, blame
        ("ugh this is so frustrating", "frustration_phrase"),
        ("how annoying", "frustration_phrase"),
        ("at this point you're just keeping my money", "frustration_phrase"),
        ("so I'm being fined for your mistake?", "frustration_phrase"),
        ("the payment failed because of YOUR system", "complaint"),
        ("I've waited long enough", "complaint"),
        ("it's still not in my account", "complaint"),
        # round 16: a superlative verdict, bad reviews, the regulator, everything cancelled
        ("worst customer service I have ever dealt with", "frustration_phrase"),
        ("I'll be writing one star reviews", "frustration_phrase"),
        ("I'm taking this to the ombudsman", "frustration_phrase"),
        ("just cancel it all", "complaint"),
        # round 18: the bot's repetition said in words, time wasted, fed up, never again
        ("that's the same answer as before", "frustration_phrase"),
        ("that's literally the same reply you gave me earlier", "frustration_phrase"),
        ("we're just going in circles", "frustration_phrase"),
        ("this is wasting time I don't have", "frustration_phrase"),
        ("fed up.", "frustration_phrase"),
        ("never using this app again", "complaint"),
        ("fix it now", "complaint"),
        # round 20: anger said outright, the bot wrong again, a problem dragging on
        ("I'm seriously angry now", "frustration_phrase"),
        ("honestly I'm absolutely furious", "frustration_phrase"),
        ("really fuming about this", "frustration_phrase"),
        ("nope, wrong again", "frustration_phrase"),
        ("still not fixed", "frustration_phrase"),
        ("this has been going on for a week", "frustration_phrase"),
        ("it's dragged on for ages", "frustration_phrase"),
    ],
)
def test_each_signal_fires_on_its_own(component, model, text, signal):
    report = score(component, model, text)
    assert report["score"] >= FIRES
    assert signal in signal_names(report)


@pytest.mark.parametrize(
    ("milder", "angrier"),
    [
        ("where is my refund?", "where is my refund? it's been two weeks"),
        ("where is my refund? it's been two weeks", "still no refund, this is ridiculous"),
        ("still no refund, this is ridiculous", "THIS IS A JOKE!!! NOBODY ANSWERS, USELESS"),
    ],
)
def test_increasingly_annoyed_messages_score_higher(component, model, milder, angrier):
    assert score(component, model, milder)["score"] < score(component, model, angrier)["score"]


def test_report_shape_and_evidence(component, model):
    report = score(component, model, "This is USELESS, I already told you!!!")
    assert 0.0 <= report["score"] <= 1.0
    scores = [signal["score"] for signal in report["signals"]]
    assert scores == sorted(scores, reverse=True)
    by_name = {signal["name"]: signal for signal in report["signals"]}
    assert by_name["frustration_phrase"]["evidence"] == "This is USELESS; I already told"
    assert "!!!" in by_name["anger_form"]["evidence"]
    for signal in report["signals"]:
        assert set(signal) == {"name", "score", "evidence"}
        assert 0.0 < signal["score"] <= 1.0


def test_overlapping_matches_count_once(component, model):
    # "this is useless" contains "useless": one piece of evidence, not two.
    report = score(component, model, "this is useless")
    assert report["signals"] == [
        {"name": "frustration_phrase", "score": 0.6, "evidence": "this is useless"}
    ]


def test_distinct_matches_add_up_to_max_matches(component, model):
    one = score(component, model, "still nothing")["score"]
    two = score(component, model, "still nothing, nobody answers")["score"]
    four = score(component, model, "still nothing, nobody answers, third time, over and over")
    capped = score(component, model, "still nothing, nobody answers, third time")["score"]
    assert one < two < capped == four["score"]


@pytest.mark.parametrize(
    ("config", "text", "expected"),
    [
        ({"weights": {"complaint": 0.0}}, "still nothing", 0.0),
        ({"weights": {"complaint": 0.9}}, "still nothing", 0.9),
        ({"caps_min_letters": 100}, "WHERE IS MY REFUND", 0.0),
        ({"exclamation_run": 4}, "where is it!!!", 0.0),
        ({"sentiment_threshold": 0.99}, "I hate this terrible awful service", 0.0),
    ],
)
def test_config_changes_behaviour(component, model, config, text, expected):
    assert score(component, model, text, **config)["score"] == pytest.approx(expected)


def test_partial_weights_keep_the_other_defaults(model):
    report = FrustrationSignals({"weights": {"complaint": 0.1}}).score(
        "this is useless", model.model
    )
    assert report["score"] == pytest.approx(0.6)


@pytest.mark.parametrize(
    "config",
    [
        {"weights": {"made_up": 0.5}},
        {"weights": {"complaint": 1.5}},
        {"weights": {"complaint": "high"}},
        {"phrases_path": "/nonexistent/phrases.yml"},
    ],
)
def test_invalid_config_is_rejected_at_load(config):
    with pytest.raises(InvalidConfigException):
        FrustrationSignals(config)


def test_phrase_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "phrases.yml"
    bad.write_text("complaint: still nothing\n", encoding="utf-8")
    with pytest.raises(FrustrationConfigError, match="complaint must be a list"):
        load_frustration_phrases(bad)
    bad.write_text("grumbles: ['meh']\n", encoding="utf-8")
    with pytest.raises(FrustrationConfigError, match="expected only the keys"):
        load_frustration_phrases(bad)


def test_custom_phrase_file(tmp_path, model):
    custom = tmp_path / "phrases.yml"
    custom.write_text("complaint: ['{blimey|crikey}']\nprofanity_ignore: ['hell']\n")
    scorer = FrustrationSignals({"phrases_path": str(custom)})
    assert signal_names(scorer.score("crikey", model.model)) == {"complaint"}
    assert scorer.score("this is useless", model.model)["score"] == 0.0
    assert "profanity" not in signal_names(scorer.score("what the hell", model.model))


def test_profanity_list_comes_from_the_package():
    words = profanity_words()
    assert len(words) > 500
    assert "bullshit" in words


@pytest.mark.parametrize(
    ("scores", "expected"), [([], 0.0), ([0.5], 0.5), ([0.5, 0.5], 0.75), ([1.0, 0.2], 1.0)]
)
def test_combine_is_a_noisy_or(scores, expected):
    assert combine(scores) == pytest.approx(expected)


# --- with real Rasa graph objects -------------------------------------------------------


@pytest.fixture
def rasa_parts(spacy_graph):
    component = spacy_graph.create(FrustrationSignals, "frustration")
    return spacy_graph.spacy_nlp, spacy_graph.tokenizer, component


def test_component_adds_frustration_to_parsed_messages(rasa_parts):
    spacy_nlp, tokenizer, frustration = rasa_parts
    model = spacy_nlp.provide()
    messages = [Message.build(text="this is USELESS!!!"), Message.build(text="hello")]
    spacy_nlp.process(messages, model)
    tokenizer.process(messages)
    frustration.process(messages, model)
    angry, calm = (message.get(FRUSTRATION_KEY) for message in messages)
    assert angry["score"] >= FIRES
    assert signal_names(angry) >= {"frustration_phrase", "anger_form"}
    assert calm == {"score": 0.0, "signals": []}
    # add_to_output: the record is part of the parse result
    assert FRUSTRATION_KEY in messages[0].as_dict(only_output_properties=True)


def test_component_annotates_training_data(rasa_parts):
    spacy_nlp, tokenizer, frustration = rasa_parts
    model = spacy_nlp.provide()
    data = TrainingData([Message.build(text="still nothing", intent="complain")])
    spacy_nlp.process_training_data(data, model)
    tokenizer.process_training_data(data)
    frustration.process_training_data(data, model)
    assert "complaint" in signal_names(data.training_examples[0].get(FRUSTRATION_KEY))


def test_declares_its_requirements():
    assert FrustrationSignals.required_components() == [SpacyNLP]
    assert "vaderSentiment" in FrustrationSignals.required_packages()


# --- end to end: a trained model's parse result and the tracker -------------------------

E2E_DOMAIN = """
version: "3.1"
intents: [greet, complain]
responses:
  utter_greet: [{text: "hi"}]
  utter_sorry: [{text: "sorry"}]
"""
E2E_DATA = """
version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hello
      - hi
  - intent: complain
    examples: |
      - useless
      - ridiculous
rules:
  - rule: greet
    steps: [{intent: greet}, {action: utter_greet}]
  - rule: complain
    steps: [{intent: complain}, {action: utter_sorry}]
"""
E2E_CONFIG = """
recipe: default.v1
assistant_id: e2e_test
language: en
pipeline:
  - name: SpacyNLP
    model: {model}
  - name: SpacyTokenizer
  - name: bot.explicit_request.ExplicitRequestMatcher
  - name: bot.frustration.FrustrationSignals
  - name: bot.vocabulary.TrainingVocabulary
  - name: KeywordIntentClassifier
policies:
  - name: RulePolicy
"""


@pytest.mark.slow
async def test_trained_model_puts_both_records_in_parse_data_and_tracker(model_dir, tmp_path):
    from rasa.core.agent import Agent
    from rasa.model_training import train

    (tmp_path / "domain.yml").write_text(E2E_DOMAIN)
    (tmp_path / "data.yml").write_text(E2E_DATA)
    (tmp_path / "config.yml").write_text(E2E_CONFIG.format(model=model_dir))
    result = train(
        str(tmp_path / "domain.yml"),
        str(tmp_path / "config.yml"),
        [str(tmp_path / "data.yml")],
        output=str(tmp_path / "models"),
    )
    assert result.code == 0
    agent = Agent.load(result.model)

    parsed = await agent.parse_message("this is useless, get me a human!!!")
    assert parsed["explicit_request"] == {
        "matched": True,
        "phrase": "get me a human",
        "language": "en",
        "mention": None,
        "blocked": None,
    }
    assert parsed["frustration"]["score"] >= FIRES
    # the vocabulary was learnt from data.yml at train time and persisted with the model
    gibberish = await agent.parse_message("qwerty zzzz")
    assert gibberish["understood"]["known_ratio"] == 0.0
    assert gibberish["understood"]["unknown"] == ["qwerty", "zzzz"]

    await agent.handle_text("this is ridiculous, still nothing", sender_id="e2e")
    tracker = await agent.tracker_store.retrieve("e2e")
    parse_data = tracker.latest_message.parse_data
    assert {"frustration_phrase", "complaint"} <= signal_names(parse_data["frustration"])
    assert parse_data["explicit_request"]["matched"] is False
