"""The hub's explicit-request guard (common/explicit_request.py): no spaCy, runs in both envs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from common.explicit_request import (
    DEFAULT_PHRASES_PATH,
    ExplicitRequestGuard,
    PhraseListError,
    PhraseMatcher,
    Token,
    Word,
    elongation_variants,
    expand_alternatives,
    load_phrase_book,
    match_key,
    normalise,
    parse_phrase_book,
    plain_tokens,
    stem,
    typo_spellings,
    word_spans,
)
from common.respelling import Respeller

CORPUS_PATH = Path(__file__).resolve().parents[1] / "data" / "explicit_requests.yml"
CORPUS: dict[str, Any] = yaml.safe_load(CORPUS_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def guard() -> ExplicitRequestGuard:
    return ExplicitRequestGuard.from_file()


@pytest.mark.parametrize("case", CORPUS["requests"], ids=lambda case: case["text"])
def test_guard_catches_every_request_in_the_corpus(guard, case):
    found = guard.match(case["text"])
    assert found.matched, case["text"]
    assert found.language == case["language"]
    assert found.phrase


@pytest.mark.parametrize("text", CORPUS["not_requests"])
def test_guard_ignores_messages_that_do_not_ask_for_a_person(guard, text):
    assert not guard.match(text).matched


def test_match_reports_the_longest_phrase(guard):
    found = guard.match("I want to talk to a real person")
    assert found.as_dict() == {
        "matched": True,
        "phrase": "talk to a real person",
        "language": "en",
        "mention": None,
        "blocked": None,
    }


def test_exclusion_only_cancels_the_match_inside_it(guard):
    assert not guard.match("my travel agent booked it").matched
    assert guard.match("my travel agent booked it, now get me an agent").matched


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("human", ["human"]),
        ("{talk|speak} to", ["talk to", "speak to"]),
        ("call me{| back}", ["call me", "call me back"]),
        ("{a |}person", ["a person", "person"]),
        ("{x|y} {1|2}", ["x 1", "x 2", "y 1", "y 2"]),
        ("  spaced   {out|} ", ["spaced out", "spaced"]),
    ],
)
def test_expand_alternatives(pattern, expected):
    assert expand_alternatives(pattern) == expected


@pytest.mark.parametrize("pattern", ["{open", "close}", "a {b|{c}}"])
def test_expand_alternatives_rejects_unbalanced_braces(pattern):
    with pytest.raises(PhraseListError):
        expand_alternatives(pattern)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("humaaan", ("humaaan", "human", "humaan")),
        ("human", ("human",)),
        ("agreee", ("agreee", "agre", "agree")),
    ],
)
def test_elongation_variants(text, expected):
    assert elongation_variants(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Atención AL Cliente", "atencion al cliente"), ("\uff21\uff27\uff25\uff2e\uff34", "agent")],
)
def test_normalise_folds_case_accents_and_width(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("forms", "stem_form"),
    [
        (["talk", "talking", "talked", "talks"], "talk"),
        (["speak", "speaking", "spoke", "spoken"], "speak"),
        (["chat", "chatting", "chatted"], "chat"),
        (["call", "calling", "called"], "cal"),
        (["agent", "agents"], "agent"),
    ],
)
def test_stem_brings_word_forms_together(forms, stem_form):
    assert {stem(form) for form in forms} == {stem_form}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"xx": ["humain"]}, "unknown keys"),
        ({"en": ["x"], "alone": {"xx": ["y"]}}, "alone must map"),
        ({"en": "human"}, "list of strings"),
        ({"en": [1]}, "list of strings"),
        ({"en": []}, "no phrases"),
        ({"en": ["human"], "not_requests": "x"}, "not_requests"),
        ({"en": ["human"], "grammar": {"verbs": []}}, "grammar takes"),
        ({"en": ["human"], "grammar": {"heads": {"xx": ["talk to"]}}}, "grammar.heads"),
        ({"en": ["human"], "grammar": {"persons": {"en": "boss"}}}, "list of strings"),
        ({"en": ["human"], "respell": {"u": 2}}, "respell must map"),
        ({"en": ["human"], "respell": ["u"]}, "respell must map"),
    ],
)
def test_parse_phrase_book_rejects_malformed_lists(document, message):
    with pytest.raises(PhraseListError, match=message):
        parse_phrase_book(document)


def test_load_phrase_book_reports_missing_and_malformed_files(tmp_path):
    with pytest.raises(PhraseListError, match="cannot read"):
        load_phrase_book(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(PhraseListError, match="expected a mapping"):
        load_phrase_book(bad)


def test_guard_reads_a_custom_list(tmp_path):
    custom = tmp_path / "phrases.yml"
    custom.write_text("en: ['{beam|teleport} me up']\nnot_requests: ['beam me up scotty']\n")
    guard = ExplicitRequestGuard.from_file(custom)
    assert guard.match("Beaming me up please").phrase == "beam me up"
    assert not guard.match("beam me up scotty").matched
    assert not guard.match("human").matched


def test_default_list_is_the_bot_resource():
    assert DEFAULT_PHRASES_PATH.parts[-3:] == ("bot", "resources", "explicit_request_phrases.yml")
    book = load_phrase_book()
    assert {phrase.language for phrase in book.phrases} == {
        "en",
        "es",
        "de",
        "fr",
        "pt",
        "it",
        "nl",
    }


def test_word_spans_cut_on_anything_but_letters_digits_and_inner_apostrophes():
    assert word_spans("don't-stop, agent\u2019s 'x' 42") == [
        Word("dont", 0, 5),
        Word("stop", 6, 10),
        Word("agents", 12, 19),
        Word("x", 21, 22),
        Word("42", 24, 26),
    ]


@pytest.mark.parametrize(
    "forms",
    [
        ["talk", "talking", "talked", "talks"],
        ["escalate", "escalating", "escalated", "escalates"],
        ["give", "giving", "gave", "given"],
        ["be", "is", "are", "was", "am"],
        ["a", "an"],
        ["woman", "women"],
    ],
)
def test_match_key_brings_word_forms_together(forms):
    assert len({match_key(form) for form in forms}) == 1


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("manager, please", "manager"),
        ("talk-to-a-person", "talk to a person"),
        ("I need an advisor", "i need an advisor"),
        ("they are escalating it", "escalate it"),
    ],
)
def test_guard_reads_past_punctuation_and_word_forms(guard, text, phrase):
    assert guard.match(text).phrase == phrase


def test_was_i_talking_to_a_human_is_a_question_not_a_request(guard):
    assert not guard.match("was I talking to a human?").matched


def _synonyms(text: str) -> list[Token]:
    """A toy tokenizer: "bloke" is keyed as "person"."""
    return [Token("person", t.text) if t.text == "bloke" else t for t in plain_tokens(text)]


def test_phrase_matcher_matches_on_the_keys_its_tokenizer_gives():
    book = parse_phrase_book({"en": ["talk to a person"]})
    found = PhraseMatcher(book, _synonyms).match("can I talk to a bloke")
    assert found.phrase == "talk to a person"
    assert not PhraseMatcher(book, plain_tokens).match("can I talk to a bloke").matched
    override = PhraseMatcher(book, plain_tokens).match("talk to a bloke", tokenizer=_synonyms)
    assert override.matched


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        ("no need to transfer me, what's my next payment?", "no need: no need to"),
        ("I don't need an agent, just tell me the balance", "no need: dont need"),
        ("nothing to escalate, just curious", "negated: nothing"),
        ("no hace falta hablar con un agente", "no need: no hace falta"),
        ("sin necesidad de hablar con un agente, ¿cuánto debo?", "no need: sin necesidad de"),
        ("no necesito un agente, solo la fecha del próximo pago", "no need: no necesito"),
        ("no quiero hablar con nadie, solo dime cuánto debo", "no need: hablar con nadie"),
        ("no quiero que me pasen con un asesor, solo la fecha", "no need: no quiero que"),
        ("sem necessidade de falar com um atendente, só o saldo", "no need: sem necessidade de"),
        ("non serve parlare con un operatore, voglio solo il saldo", "no need: non serve"),
        ("pas besoin de parler à un conseiller, juste mon solde", "no need: pas besoin de"),
        ("my travel agent booked it", "other sense: travel agent"),
        ("call me paranoid, but was I charged twice?", "other sense: call me paranoid"),
        ("can I get a human-readable statement?", "other sense: human readable"),
    ],
)
def test_negated_phrases_and_other_senses_are_blocked_and_say_why(guard, text, blocked):
    found = guard.match(text)
    assert not found.matched
    assert found.blocked == blocked


def test_a_no_need_cue_declines_and_hides_the_person_word(guard):
    found = guard.match("sin necesidad de hablar con un agente, solo quiero saber mi saldo")
    assert found.declined
    assert found.mention is None
    assert not guard.match("don't bother escalating, I only need the refund date").matched
    assert not guard.match("nothing to escalate, just curious").declined


@pytest.mark.parametrize(
    "text",
    [
        "no entiendo nada quiero hablar con un agente",
        "¿no puedo hablar con una persona?",
        "nothing works want to talk to a person",
        "I don't want to wait any longer get me an agent",
        "I don't want a bot I want a human",
    ],
)
def test_a_new_wish_after_a_negation_is_still_a_request(guard, text):
    found = guard.match(text)
    assert found.matched
    assert not found.declined


def test_a_negation_in_another_clause_does_not_reach_the_request(guard):
    assert guard.match("no, I want a person").matched
    assert guard.match("no i want a human").matched
    assert guard.match("don't worry about the refund, just get me an agent").matched


def test_a_cue_inside_the_phrase_is_part_of_it(guard):
    assert guard.match("not a bot please").matched
    assert guard.match("I'd rather not deal with a machine").matched


@pytest.mark.parametrize("text", ["agent", "Agent.", "human pls", "I want a human now", "HUMAN!!!"])
def test_a_person_word_alone_is_a_request(guard, text):
    assert guard.match(text).matched


@pytest.mark.parametrize(
    ("text", "mention"),
    [
        ("an agent said it was fine, when is my next payment", "agent"),
        ("to err is human, I typed the wrong card", "human"),
        ("is the operator included in the total", "operator"),
    ],
)
def test_a_person_word_inside_a_longer_message_is_only_a_mention(guard, text, mention):
    found = guard.match(text)
    assert not found.matched
    assert found.mention == mention


def test_a_person_word_alone_in_its_own_clause_is_a_request(guard):
    assert guard.match("i dont know the email, agent pls").matched


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ich möchte bitte mit einem Mitarbeiter sprechen", "de"),
        ("je voudrais parler à un conseiller s'il vous plaît", "fr"),
        ("eu quero falar com um atendente agora", "pt"),
        ("vorrei parlare con un operatore per favore", "it"),
        ("ik wil graag met een medewerker praten", "nl"),
        ("mensch", "de"),
    ],
)
def test_requests_in_other_languages(guard, text, language):
    found = guard.match(text)
    assert found.matched
    assert found.language == language


def test_other_language_phrase_books_need_that_language_in_long_messages(guard):
    # "mit dem" in an English sentence is not German, so the German book does not apply.
    assert not guard.match(
        "the shop called Mit Dem Mitarbeiter sells shoes, where is my refund"
    ).matched


_GRAMMAR_BOOK = {
    "en": ["human"],
    "no_need": ["no need to"],
    "grammar": {
        "heads": {"en": ["talk to"], "de": ["mit"]},
        "tails": {"en": ["to call me"]},
        "persons": {"en": ["boss", "someone"], "es": ["alguien"], "de": ["berater"]},
        "modifiers": ["{your|the|of|one}"],
    },
    "respell": {"u": "you", "2": "to", "sum1": "someone", "xfa": "por favor"},
}


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("can I talk to your boss", "talk to your boss"),
        ("let me talk to one of your boss", "talk to one of your boss"),
        ("can u get sum1 to call me", "someone to call me"),
        ("talk 2 alguien xfa", "talk to alguien"),
    ],
)
def test_grammar_joins_a_head_or_tail_with_a_person(text, phrase):
    guard = ExplicitRequestGuard(parse_phrase_book(_GRAMMAR_BOOK))
    found = guard.match(text)
    assert found.matched
    assert found.phrase == phrase


@pytest.mark.parametrize(
    "text",
    [
        "talk to the new boss",  # "new" is not a modifier
        "talk to. boss said hi",  # punctuation between
        "someone called me",  # tails are compared as typed
        "talk to berater",  # a German person after an English head
        "no need to talk to your boss",  # negation still reaches
    ],
)
def test_grammar_leaves_other_sentences_alone(text):
    guard = ExplicitRequestGuard(parse_phrase_book(_GRAMMAR_BOOK))
    assert not guard.match(text).matched


@pytest.mark.parametrize(
    ("text", "respelled"),
    [
        ("can u put me thru 2 sum1", "can you put me through to someone"),
        ("kiero ablar x favor", "quiero hablar por favor"),
        ("xfa", "por favor"),
        ("nothing to respell here", "nothing to respell here"),
        ("you're u", "you're you"),
    ],
)
def test_respeller_rewrites_listed_words_only(text, respelled):
    spellings = {"u": "you", "thru": "through", "2": "to", "sum1": "someone", "kiero": "quiero"}
    spellings |= {"ablar": "hablar", "x": "por", "xfa": "por favor"}
    assert Respeller(spellings)(text) == respelled


def test_a_reported_conversation_is_blocked_not_matched():
    book = parse_phrase_book({"en": ["speak to someone"], "reports": ["spoke"]})
    found = ExplicitRequestGuard(book)
    told = found.match("I spoke to someone yesterday, when is my payment?")
    assert not told.matched
    assert told.blocked == "reported: spoke to someone"
    assert found.match("can I speak to someone").matched


_PRONOUN_BOOK = {
    "en": ["human"],
    "grammar": {
        "heads": {"en": ["talk to"]},
        "persons": {"en": ["manager"]},
        "pronouns": {"en": ["{them|him}"]},
        "antecedents": {"en": ["who {handles|is in charge}"]},
        "modifiers": ["{the|a}"],
    },
}


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("who handles refunds there? I want to talk to them", True),
        ("who is in charge, talk to him", True),
        ("I want to talk to them", False),  # no role before the pronoun
        ("talk to them, who handles refunds?", False),  # the role comes after it
    ],
)
def test_a_pronoun_is_a_person_only_after_a_role(text, matched):
    guard = ExplicitRequestGuard(parse_phrase_book(_PRONOUN_BOOK))
    assert guard.match(text).matched is matched


def test_typo_spellings_drop_or_swap_one_letter_but_never_spell_a_listed_word():
    slips = typo_spellings(["agente", "persona"], exclude={"person", "agent"})
    assert slips["agnte"] == "agente"
    assert slips["pesrona"] == "persona"
    assert slips["prsona"] == "persona"
    assert "person" not in slips  # "persona" less its "a" is a word of the book
    assert "gente" not in slips  # the first letter is never dropped
    assert "agent" not in slips


def test_the_typos_of_the_book_are_read_as_the_word(guard):
    found = guard.match("pasame con un agnte")
    assert found.matched
    assert found.language == "es"


_PASSIVE_BOOK = {
    "en": ["talk to a human"],
    "negations": ["{not|pas}"],
    "grammar": {
        "persons": {"en": ["{manager|supervisor|human}"]},
        "leads": {"en": ["{want|like|can|please|get}"]},
        "passives": {"en": ["{forwarded|passed on|referred} to", "looked at by"]},
        "modifiers": ["{a|the}"],
    },
}


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (
            "I'd like my complaint forwarded to a manager",
            "like my complaint forwarded to a manager",
        ),
        ("can my case be referred to a supervisor", "can my case be referred to a supervisor"),
        ("please get this passed on to the manager", "get this passed on to the manager"),
        ("can this be looked at by a human", "can this be looked at by a human"),
    ],
)
def test_a_passive_after_a_lead_is_a_head(text, phrase):
    guard = ExplicitRequestGuard(parse_phrase_book(_PASSIVE_BOOK))
    found = guard.match(text)
    assert found.matched
    assert found.phrase == phrase


@pytest.mark.parametrize(
    "text",
    [
        "my complaint was forwarded to a manager last week",  # no lead: a statement
        "it was looked at by a human already",
        "I liked it. forwarded to a manager",  # the lead is typed as listed, in the same part
        "can you tell me when my very old case got referred to a supervisor",  # lead too far
        "I'd like the refund forwarded to the card",  # no person after the passive
    ],
)
def test_a_passive_without_a_lead_is_not_a_request(text):
    guard = ExplicitRequestGuard(parse_phrase_book(_PASSIVE_BOOK))
    assert not guard.match(text).matched


def test_a_one_word_negation_cue_counts_only_as_typed():
    # "passed" stems like the French cue "pas"; it must not negate what follows it.
    guard = ExplicitRequestGuard(parse_phrase_book(_PASSIVE_BOOK))
    assert guard.match("it passed talk to a human").matched
    assert not guard.match("pas talk to a human").matched


_ASKER_BOOK = {
    "en": ["talk to a human"],
    "grammar": {
        "persons": {"en": ["{someone|someone from support|agent}"]},
        "askers": {"en": ["{can|could}"]},
        "asked": {"en": ["{call|ring} {me|us|my}"]},
        "modifiers": ["{a|an|the}"],
    },
}


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("could someone from support call me, gracias", "could someone from support call me"),
        ("can an agent ring us on the landline", "can an agent ring us"),
        ("can someone call my husband", "can someone call my"),
    ],
)
def test_an_asker_a_person_and_an_asked_action_are_a_request(text, phrase):
    guard = ExplicitRequestGuard(parse_phrase_book(_ASKER_BOOK))
    found = guard.match(text)
    assert found.matched
    assert found.phrase == phrase


@pytest.mark.parametrize(
    "text",
    [
        "someone call me",  # no asker
        "can someone tell me the fee",  # no asked action
        "can someone called me yesterday",  # the action as typed: a past form is not one
        "can my husband call me",  # no person between
        "can someone. call me later",  # punctuation between the person and the action
    ],
)
def test_an_asker_or_an_action_alone_is_not_a_request(text):
    guard = ExplicitRequestGuard(parse_phrase_book(_ASKER_BOOK))
    assert not guard.match(text).matched


def test_an_ambiguous_form_is_a_report_only_with_a_past_form_after_it():
    book = parse_phrase_book(
        {
            "es": ["hable con {un asesor|alguien}"],
            "ambiguous_reports": ["hable"],
            "report_followers": ["{dijo|ayer}"],
        }
    )
    guard = ExplicitRequestGuard(book)
    told = guard.match("hablé con un asesor y me dijo que ya estaba pagado")
    assert not told.matched
    assert told.blocked == "reported: hable con un asesor"
    assert not guard.match("hable con alguien ayer, ¿cuánto debo?").matched
    assert guard.match("hable con un asesor por favor").matched
    # the follower counts only in the same sentence part
    assert guard.match("hable con un asesor por favor. ayer no pude").matched


_INQUIRY_BOOK = {
    "en": ["agent"],
    "grammar": {
        "inquiries": {"en": ["who {handles|is in charge of}"]},
        "grievances": {"en": ["{complaint|complaints}", "lodge one"]},
    },
}


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("who handles complaints? I want to lodge one", True),
        ("I have a complaint, who is in charge of billing?", True),
        ("who handles the delivery, you or the shop?", False),
        ("I have a complaint about the courier", False),
    ],
)
def test_an_inquiry_and_a_grievance_together_ask_for_a_person(text: str, matched: bool):
    guard = ExplicitRequestGuard(parse_phrase_book(_INQUIRY_BOOK))
    assert guard.match(text).matched is matched
