"""The Spanish side of the spaCy pipeline (bot/spacy_es.py via bot/spacy_pipeline.py)."""

from __future__ import annotations

import json

import pytest
from spacy.language import Language

from bot import spacy_pipeline
from bot.entities import ruler_only_components
from bot.spacy_pipeline import build_pipeline, ensure_pipeline


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline("es")


def entities(nlp: Language, text: str) -> list[tuple[str, str]]:
    return [(ent.text, ent.label_) for ent in nlp(text).ents]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¿dónde está ORD-104233?", [("ORD-104233", "order_number")]),
        ("mi pedido #104233", [("#104233", "order_number")]),
        ("es el 104233", [("104233", "order_number")]),
        ("mi correo es Carmen@Example.es", [("Carmen@Example.es", "email")]),
        ("me cobraron 45,50 € de más", [("45,50 €", "money")]),
        ("pagué €45.50", [("€45.50", "money")]),
        ("son 45 euros", [("45 euros", "money")]),
        ("me quitaron 1.250,00 €", [("1.250,00 €", "money")]),
        ("pagué 300 pesos", [("300 pesos", "money")]),
        ("EUR 45,50", [("EUR 45,50", "money")]),
        ("vence el 5 de diciembre", [("5 de diciembre", "date")]),
        ("el 5 de diciembre de 2026", [("5 de diciembre de 2026", "date")]),
        ("el día 5 de dic", [("día 5 de dic", "date")]),
        ("el 5/12", [("5/12", "date")]),
        ("el 05/12/2026", [("05/12/2026", "date")]),
        ("la semana pasada", [("la semana pasada", "date")]),
        ("la semana que viene", [("la semana que viene", "date")]),
        ("el mes pasado", [("el mes pasado", "date")]),
        ("la próxima semana", [("la próxima semana", "date")]),
        ("pago mañana", [("mañana", "date")]),
        ("pasado mañana", [("pasado mañana", "date")]),
        ("ayer", [("ayer", "date")]),
        ("el próximo viernes", [("el próximo viernes", "date")]),
        ("el sabado", [("el sabado", "date")]),
        ("el lunes pasado", [("el lunes pasado", "date")]),
        ("a fin de mes", [("fin de mes", "date")]),
        ("el día 15", [("el día 15", "date")]),
        ("diciembre de 2026", [("diciembre de 2026", "date")]),
        (
            "pagué 45,50 € el 5 de diciembre por ORD-104233",
            [("45,50 €", "money"), ("5 de diciembre", "date"), ("ORD-104233", "order_number")],
        ),
        ("¿por qué rechazaron mi pago?", []),
        ("quiero hablar con una persona", []),
        ("tengo 5 preguntas", []),
    ],
)
def test_spanish_entities(nlp: Language, text: str, expected: list[tuple[str, str]]) -> None:
    assert entities(nlp, text) == expected


@pytest.mark.parametrize("text", ["ORD-104233", "5 de Diciembre", "45,50 EUROS", "El Lunes"])
def test_spanish_entities_do_not_depend_on_case(nlp: Language, text: str) -> None:
    assert [label for _, label in entities(nlp, text)] == [
        label for _, label in entities(nlp, text.lower())
    ]


def test_spanish_lemmas_come_from_the_official_lookup_table(nlp: Language) -> None:
    lemmas = [token.lemma_ for token in nlp("me cobraron dos veces y no me ayudas")]
    assert lemmas == ["me", "cobrar", "dos", "vez", "y", "no", "me", "ayudar"]
    # everyday words the context-free table reads rarely get their usual lemma
    assert [t.lemma_ for t in nlp("una persona")] == ["uno", "persona"]


def test_spanish_ruler_reads_tokenizer_attributes_only(nlp: Language) -> None:
    # so RulerEntityExtractor may run the ruler alone, as for English
    assert ruler_only_components(nlp) is not None


def test_both_languages_build_into_their_own_directories(tmp_path) -> None:
    english, spanish = tmp_path / "en_payments", tmp_path / "es_payments"
    assert ensure_pipeline(english, language="en") is True
    assert ensure_pipeline(spanish, language="es") is True
    assert json.loads((spanish / "meta.json").read_text())["lang"] == "es"
    assert spacy_pipeline.is_up_to_date(spanish, "es")
    assert ensure_pipeline(spanish, language="es") is False
    # a directory holding the other language's pipeline is rebuilt
    assert not spacy_pipeline.is_up_to_date(english, "es")
    assert ensure_pipeline(english, language="es") is True


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no spaCy pipeline"):
        build_pipeline("fr")


def test_cli_builds_the_spanish_pipeline(tmp_path, capsys) -> None:
    out = tmp_path / "es"
    assert spacy_pipeline.main(["--language", "es", "--out", str(out)]) == 0
    assert "(es) built" in capsys.readouterr().out
    assert json.loads((out / "meta.json").read_text())["lang"] == "es"
