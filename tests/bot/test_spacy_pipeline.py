"""The project's spaCy pipeline (bot/spacy_pipeline.py): entities, lemmas, build, Rasa loading."""

from __future__ import annotations

import pytest
import spacy
from rasa.nlu.utils.spacy_utils import SpacyNLP
from spacy.language import Language

from bot import spacy_pipeline
from bot.spacy_pipeline import analyse, build_phrase_matcher, build_pipeline, ensure_pipeline


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("spacy") / "en_payments"
    ensure_pipeline(out)
    return out


def entities(nlp: Language, text: str) -> list[tuple[str, str]]:
    return [(ent.text, ent.label_) for ent in nlp(text).ents]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is ORD-104233?", [("ORD-104233", "order_number")]),
        ("ord 104233 please", [("ord 104233", "order_number")]),
        ("ORD104233", [("ORD104233", "order_number")]),
        ("my order #104233", [("#104233", "order_number")]),
        ("it's 104233", [("104233", "order_number")]),
        ("order number is 104233 thanks", [("104233", "order_number")]),
        ("my email is Alice.Smith@example.com", [("Alice.Smith@example.com", "email")]),
        ("I paid €45.50", [("€45.50", "money")]),
        ("45.50 EUR was taken", [("45.50 EUR", "money")]),
        ("a £12 fee", [("£12", "money")]),
        ("charged $9.99", [("$9.99", "money")]),
        ("charged 45 euros", [("45 euros", "money")]),
        ("12.50 pounds", [("12.50 pounds", "money")]),
        ("EUR 45.50", [("EUR 45.50", "money")]),
        ("45,50 € extra", [("45,50 €", "money")]),
        ("€1,250.00 total", [("€1,250.00", "money")]),
        ("due 5 December 2026", [("5 December 2026", "date")]),
        ("due Dec 5", [("Dec 5", "date")]),
        ("Dec 5th, 2026", [("Dec 5th, 2026", "date")]),
        ("5th of december", [("5th of december", "date")]),
        ("on 05/12/2026", [("05/12/2026", "date")]),
        ("on 2026-12-05", [("2026-12-05", "date")]),
        ("pay tomorrow", [("tomorrow", "date")]),
        ("next friday", [("next friday", "date")]),
        ("on the 5th", [("the 5th", "date")]),
        ("by the end of the month", [("end of the month", "date")]),
        (
            "I paid €45.50 on 5 December 2026 for ORD-104233",
            [("€45.50", "money"), ("5 December 2026", "date"), ("ORD-104233", "order_number")],
        ),
        ("€104233", [("€104233", "money")]),
        ("why was my payment declined?", []),
        ("may i pay early", []),
        ("call me at 12345", []),
    ],
)
def test_entity_ruler_labels_rasa_entities(nlp, text, expected):
    assert entities(nlp, text) == expected


@pytest.mark.parametrize("text", ["ORD-104233", "5 December 2026", "€45.50"])
def test_entities_do_not_depend_on_case(nlp, text):
    # SpacyNLP lower-cases text, SpacyEntityExtractor does not: both must find the entity.
    assert [label for _, label in entities(nlp, text)] == [
        label for _, label in entities(nlp, text.lower())
    ]


@pytest.mark.parametrize(
    ("text", "lemmas"),
    [
        ("you're not helping", ["you", "be", "not", "help"]),
        ("youre not helping", ["you", "be", "not", "help"]),
        ("you aren't helping", ["you", "be", "not", "help"]),
        ("i've been waiting for weeks", ["i", "have", "be", "wait", "for", "week"]),
        ("it's been days", ["it", "be", "be", "day"]),
        ("i can't pay", ["i", "can", "not", "pay"]),
        ("i already told you", ["i", "already", "tell", "you"]),
        ("that's not what i asked", ["that", "be", "not", "what", "i", "ask"]),
    ],
)
def test_lemmas_unify_contractions(nlp, text, lemmas):
    assert [token.lemma_ for token in analyse(nlp, text)] == lemmas


def test_phrase_matcher_matches_on_lemmas(nlp):
    matcher = build_phrase_matcher(nlp, {"help": ["you're not helping"]})
    assert matcher(analyse(nlp, "you are not helping me"))
    assert not matcher(analyse(nlp, "you are helping"))


def test_build_is_idempotent_and_rebuilds_when_sources_change(model_dir, monkeypatch):
    assert spacy_pipeline.is_up_to_date(model_dir)
    assert ensure_pipeline(model_dir) is False
    monkeypatch.setattr(spacy_pipeline, "source_fingerprint", lambda: "changed")
    assert not spacy_pipeline.is_up_to_date(model_dir)
    assert ensure_pipeline(model_dir) is True
    assert spacy_pipeline.is_up_to_date(model_dir)
    assert not model_dir.with_name(f".{model_dir.name}.building").exists()


def test_force_rebuilds(model_dir):
    assert ensure_pipeline(model_dir, force=True) is True


def test_cli_builds_into_out(tmp_path, capsys):
    out = tmp_path / "pipeline"
    assert spacy_pipeline.main(["--out", str(out)]) == 0
    assert "built" in capsys.readouterr().out
    assert spacy_pipeline.main(["--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_saved_pipeline_loads_without_lookups_package(model_dir):
    loaded = spacy.load(model_dir)
    assert loaded.pipe_names == ["attribute_ruler", "lemmatizer", "entity_ruler"]
    # the lookup table travels with the pipeline
    assert [token.lemma_ for token in loaded("refunds were sent")] == ["refund", "be", "send"]
    assert [(e.text, e.label_) for e in loaded("ORD-104233").ents] == [
        ("ORD-104233", "order_number")
    ]


def test_rasa_spacy_nlp_loads_the_pipeline_by_path(model_dir):
    model = SpacyNLP.load_model(str(model_dir))
    SpacyNLP.ensure_proper_language_model(model.model)
    assert model.model.meta["name"] == "payments"
