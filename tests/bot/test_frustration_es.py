"""The Spanish frustration signals (bot/frustration_es.py, bot/resources/frustration_es.yml)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bot.frustration import FRUSTRATION_KEY, FrustrationSignals
from bot.frustration_es import (
    DEFAULT_SPANISH_PATH,
    SpanishLexiconError,
    fold,
    load_spanish_lexicon,
    message_language,
    words,
)
from bot.spacy_pipeline import build_pipeline

FIRES = 0.3  # as in test_frustration.py: at or above this a message "fires"
VADER = SentimentIntensityAnalyzer().lexicon


@pytest.fixture(scope="module")
def model() -> SpacyModel:
    return SpacyModel(model=build_pipeline(), model_name="in-memory")


@pytest.fixture(scope="module")
def component() -> FrustrationSignals:
    return FrustrationSignals({})


def spanish(component: FrustrationSignals, model: SpacyModel, text: str) -> dict[str, Any]:
    return component.score(text, model.model, None, "es")


def names(report: dict[str, Any]) -> set[str]:
    return {signal["name"] for signal in report["signals"]}


# --- calm Spanish: must not fire --------------------------------------------------------

CALM = [
    "hola",
    "gracias",
    "vale, gracias",
    "¿por qué rechazaron mi pago?",
    "me rechazaron el pago otra vez, ¿qué hago?",
    "mi pago no se procesó",
    "¿dónde está mi reembolso?",
    "cuando vence mi proximo pago",
    "se me pasó una cuota, ¿hay recargo?",
    "mi pedido no ha llegado todavía",
    "tengo un problema con una devolución",
    "llegó roto, ¿cómo lo devuelvo?",
    "no tengo el número de pedido",
    "no sé cuál es el número, perdón",
    "me cobraron un recargo, ¿por qué?",
    "¿eres un bot?",
    "perdona la pregunta tonta, ¿cuánto me queda por pagar?",
    "no es nada grave, solo quiero saber cuánto debo",
    "no hay problema, espero",
    "llevo el pedido ORD-104512 a la tienda mañana",
    "es la primera vez que compro con ustedes",
    "Pinche de cocina, así se llama mi puesto, ¿importa para el pago?",
    "compré una lámpara de arco y unos cojines",
    # person words in another sense
    "mi agente inmobiliario dice que necesita el recibo del último pago",
    "el agente de aduanas tiene mi paquete, ¿cuándo llega mi pedido?",
    "soy agente de viajes y pagué con la tarjeta de la empresa",
    "no necesito una persona, solo la fecha de mi próximo pago",
    "una persona de la tienda me dijo que el reembolso tarda unos días",
    "¡muchas gracias!",
    "¡¡genial!!",
    "genial, gracias",
    "perfecto, muy útil",
    # round 8: loyalty said calmly, "tratar" in another sense
    "soy cliente desde hace años, ¿puedo pagar por adelantado?",
    "llevo años con ustedes, ¿tienen algún descuento?",
    "¿cómo tratan los pagos en días festivos?",
    # round 10: "formalidad" and "seriedad" in a calm question
    "¿qué formalidades hacen falta para pagar por adelantado?",
    "¿es una empresa seria? quiero saber cómo pagan los reembolsos",
    # round 12: "pregunto", "de verdad", "me parece" and the conditions in calm messages
    "¿te puedo preguntar otra cosa?",
    "lo pregunto porque cobro la nómina a fin de mes",
    "de verdad, muchas gracias",
    "me parece bien, gracias",
    "¿dónde puedo leer las condiciones?",
    # round 14: "culpa", "otra vez", "frustrante", "dinero" in calm messages
    "ah vale, es que cambié de cuenta, culpa mía",
    "vale, no es nada frustrante, solo quería saberlo",
    "¿otra vez el mismo importe que el mes pasado?",
    "¿con cuánto dinero me quedo después de la cuota?",
    # round 16: opinions and cancelling asked about calmly
    "¿dónde puedo dejar una opinión?",
    "¿puedo cancelar un pedido?",
    # round 18: "lo mismo" calmly
    "vale, lo mismo que el mes pasado entonces",
    # round 20: "otra vez", "nadie", "aguantar" calmly
    "¿me lo puedes decir otra vez?",
    "nadie más usa mi tarjeta, ¿puedo cambiarla?",
    "uf, menos mal",
    "¿cuánto tiempo lleva procesar un reembolso?",
]


@pytest.mark.parametrize("text", CALM)
def test_calm_spanish_does_not_fire(component, model, text):
    assert spanish(component, model, text)["score"] < FIRES, spanish(component, model, text)


# --- frustrated Spanish: each signal fires -----------------------------------------------

FIRING = [
    ("ya te lo dije", "frustration_phrase"),
    ("Ya te lo he dicho mil veces", "frustration_phrase"),
    ("esto no sirve", "frustration_phrase"),
    ("no me sirves para nada", "frustration_phrase"),
    ("no me estás entendiendo", "frustration_phrase"),
    ("no me estas entendiendo", "frustration_phrase"),
    ("no entendés nada", "frustration_phrase"),
    ("otra vez lo mismo", "frustration_phrase"),
    ("siempre me dices lo mismo", "frustration_phrase"),
    ("qué vergüenza de servicio", "frustration_phrase"),
    ("que verguenza de servicio", "frustration_phrase"),
    ("es el peor servicio que he visto", "frustration_phrase"),
    ("eso no es lo que te pregunté", "frustration_phrase"),
    ("estoy harta", "frustration_phrase"),
    ("ya me cansé", "frustration_phrase"),
    ("estoy hasta la madre", "frustration_phrase"),
    ("qué frustrante", "frustration_phrase"),
    ("esto es una tomadura de pelo", "frustration_phrase"),
    ("inútiiiil", "frustration_phrase"),
    ("es la tercera vez que pregunto", "complaint"),
    ("llevo semanas esperando", "complaint"),
    ("llevo tres semanas esperando", "complaint"),
    ("hace un mes que espero", "complaint"),
    ("sigo sin noticias", "complaint"),
    ("nadie me responde", "complaint"),
    ("es inaceptable", "complaint"),
    ("son unos ladrones", "insult"),
    ("sois unos inútiles", "insult"),
    ("bot de mierda", "insult"),
    ("qué bot más inútil", "insult"),
    ("eres un estafador", "insult"),
    ("pendejo", "insult"),
    ("joder", "profanity"),
    ("coño ya", "profanity"),
    ("no mames", "profanity"),
    ("la concha de tu madre", "profanity"),
    ("qué hijueputa servicio", "profanity"),
    ("wtf", "profanity"),
    ("¡¡¡¿DÓNDE ESTÁ MI REEMBOLSO?!!!", "anger_form"),
    ("¡¡¡contesten!!!", "anger_form"),
    ("odio esta horrible y terrible empresa", "negative_sentiment"),
    # round 6: weariness, the same answer again, the last straw, sarcasm
    ("ya le expliqué", "frustration_phrase"),
    ("de nuevo la misma respuesta", "frustration_phrase"),
    ("esto ya es el colmo", "frustration_phrase"),
    ("este bot no resuelve nada", "frustration_phrase"),
    ("mil gracias por nada", "frustration_phrase"),
    ("esto no lleva a ningún lado", "frustration_phrase"),
    ("estoy harta de repetir lo mismo", "frustration_phrase"),
    ("no me resuelves nada", "frustration_phrase"),
    # round 8: indignation, the customer's loyalty thrown back
    ("¿así es como tratan a sus clientes?", "frustration_phrase"),
    ("después de tantos años como cliente y esto", "frustration_phrase"),
    ("qué falta de respeto", "frustration_phrase"),
    # round 10: a company that is not serious
    ("qué poca seriedad", "frustration_phrase"),
    ("son unos informales", "frustration_phrase"),
    # round 12: a question asked again, an answer that does not answer, indignation stressed
    ("se lo vuelvo a preguntar: ¿cuánto debo?", "frustration_phrase"),
    ("ya te lo he preguntado tres veces", "frustration_phrase"),
    ("eso no contesta a mi pregunta", "frustration_phrase"),
    ("no me mandes otra vez a las condiciones", "frustration_phrase"),
    ("me parece inaceptable", "frustration_phrase"),
    ("madre mía", "complaint"),
    # round 14: "harto de", money kept, a fine for the company's mistake, blame, in vain
    ("estoy harta de esta aplicación", "frustration_phrase"),
    ("se están quedando con mi dinero", "frustration_phrase"),
    ("¿me cobráis por vuestro error?", "frustration_phrase"),
    ("el pago falló por culpa de vuestro sistema", "complaint"),
    ("ya lo intenté como dices", "complaint"),
    ("otra vez el mismo error", "complaint"),
    # round 16: a superlative verdict, bad reviews, consumer authorities, everything cancelled
    ("la peor atención que he tenido", "frustration_phrase"),
    ("pienso poner opiniones negativas", "frustration_phrase"),
    ("los voy a denunciar", "frustration_phrase"),
    ("cancelad todo", "complaint"),
    # round 18: the bot's repetition said in words, never again, fix it now
    ("siempre me das la misma respuesta", "frustration_phrase"),
    ("me contestas lo mismo que antes", "frustration_phrase"),
    ("no vuelvo a usar este chat", "complaint"),
    ("arregladlo ya", "complaint"),
    # round 20: exasperation idioms, nobody answers, wrong again, a problem dragging on
    ("me tienen hasta la coronilla", "frustration_phrase"),
    ("estoy hasta las narices", "frustration_phrase"),
    ("ya no aguanto más", "frustration_phrase"),
    ("estoy harta", "frustration_phrase"),
    ("nadie me da una respuesta clara", "frustration_phrase"),
    ("otra vez mal", "frustration_phrase"),
    ("esto lleva semanas así", "frustration_phrase"),
]


@pytest.mark.parametrize(("text", "signal"), FIRING)
def test_each_spanish_signal_fires(component, model, text, signal):
    report = spanish(component, model, text)
    assert report["score"] >= FIRES, report
    assert signal in names(report), report


@pytest.mark.parametrize(
    ("milder", "angrier"),
    [
        ("¿dónde está mi reembolso?", "¿dónde está mi reembolso? llevo dos semanas esperando"),
        ("llevo dos semanas esperando", "sigo sin reembolso, esto es ridículo"),
        (
            "sigo sin reembolso, esto es ridículo",
            "¡¡ESTO ES UNA VERGÜENZA!!! NADIE RESPONDE, INÚTILES",
        ),
    ],
)
def test_increasingly_annoyed_spanish_scores_higher(component, model, milder, angrier):
    assert spanish(component, model, milder)["score"] < spanish(component, model, angrier)["score"]


def test_evidence_quotes_the_customer(component, model):
    report = spanish(component, model, "Ya te lo DIJE, esto NO SIRVE")
    by_name = {signal["name"]: signal for signal in report["signals"]}
    assert by_name["frustration_phrase"]["evidence"] == "Ya te lo DIJE; esto NO SIRVE"


# --- the lexicons follow the message's language -----------------------------------------


def test_phrases_of_both_languages_apply_to_every_message(component, model):
    # A code-switched complaint: the conversation's language does not follow one sentence.
    assert component.score("this is useless", model.model, None, "es")["score"] >= FIRES
    assert component.score("esto no sirve", model.model, None, "en")["score"] >= FIRES
    assert component.score("esto no sirve", model.model, None, None)["score"] >= FIRES
    assert component.score("this is useless", model.model, None, None)["score"] >= FIRES


def test_sentiment_lexicons_follow_the_message_language(component, model):
    # VADER reads English words only for English (or unsure) messages, and back.
    assert component.score("awful terrible", model.model, None, "es")["score"] == 0.0
    assert component.score("awful terrible", model.model, None, "en")["score"] >= FIRES / 2
    english_words_only = component.score("awful terrible", model.model, None, "en")
    assert {signal["name"] for signal in english_words_only["signals"]} == {"negative_sentiment"}


def test_calm_sentences_stay_calm_under_the_other_language_phrases(component, model):
    calm = [
        ("no pasa nada, gracias", "en"),
        ("vale, perfecto, ya lo veo", "en"),
        ("no worries, thanks for checking", "es"),
        ("ok cool, that makes sense", "es"),
        ("I'm not angry, just asking when it arrives", "es"),
    ]
    for text, language in calm:
        assert component.score(text, model.model, None, language)["score"] == 0.0, text


@pytest.mark.parametrize(
    ("data", "text", "expected"),
    [
        ({"language": {"code": "es", "probability": 0.9, "source": "metadata"}}, "ok", "es"),
        ({"language": {"code": "en", "probability": 0.9, "source": "prior"}}, "vale", "en"),
        ({}, "ya te lo dije, esto no sirve para nada", "es"),
        ({}, "I already told you, this is useless", "en"),
        ({"language": {"code": "fr"}}, "ya te lo dije, esto no sirve para nada", "es"),
        ({}, "ok", None),
    ],
)
def test_message_language_prefers_the_tagger(data, text, expected):
    assert message_language(data, text) == expected


def test_component_reads_the_tagger_decision(component, model):
    # The tag picks the sentiment lexicon: English words score for an English message only.
    tagged = Message.build(text="awful, terrible")
    tagged.set("language", {"code": "es", "probability": 1.0, "source": "metadata"})
    english = Message.build(text="awful, terrible")
    english.set("language", {"code": "en", "probability": 1.0, "source": "metadata"})
    component.process([tagged, english], model)
    assert tagged.get(FRUSTRATION_KEY)["score"] == 0.0
    assert "negative_sentiment" in names(english.get(FRUSTRATION_KEY))
    # The phrases apply whatever the tag (a code-switched complaint).
    switched = Message.build(text="ok ya te lo dije")
    switched.set("language", {"code": "en", "probability": 1.0, "source": "metadata"})
    component.process([switched], model)
    assert "frustration_phrase" in names(switched.get(FRUSTRATION_KEY))


# --- the lexicon itself ------------------------------------------------------------------


def test_fold_drops_accents_keeps_enye_and_squeezes_runs():
    assert fold("¿Qué PASÓ?") == "¿que paso?"
    assert fold("año") == "año" != fold("ano")
    assert fold("inútiiiiil") == "inutil"
    assert fold("llamar") == "llamar"  # double letters stay
    assert words("¡¡No me sirve!!") == ["no", "me", "sirve"]


def test_every_sentiment_word_takes_a_vader_valence():
    lexicon = load_spanish_lexicon(VADER, DEFAULT_SPANISH_PATH)
    assert lexicon.valences["inutil"] == VADER["useless"]
    assert lexicon.valences["estafa"] == VADER["scam"]
    assert lexicon.valences["gracias"] == VADER["thanks"]
    assert set(lexicon.valences.values()) <= set(VADER.values())
    assert len(lexicon.valences) > 150


def test_compound_negation_boosters_and_emphasis():
    lexicon = load_spanish_lexicon(VADER, DEFAULT_SPANISH_PATH)
    assert lexicon.compound("qué horrible") < -0.5
    assert lexicon.compound("no es horrible") > 0.0  # negation flips
    assert lexicon.compound("muy horrible") < lexicon.compound("horrible")
    assert lexicon.compound("horrible!!!") < lexicon.compound("horrible")
    assert lexicon.compound("genial, gracias") > 0.5
    assert lexicon.compound("el pedido ORD-104512") == 0.0
    # a problem described calmly stays above the negative threshold
    assert lexicon.compound("tengo un problema con el pago") > -0.5


def test_bad_lexicon_files_are_rejected(tmp_path):
    bad = tmp_path / "es.yml"
    bad.write_text("sentiment: {inutil: notavaderword}\n", encoding="utf-8")
    with pytest.raises(SpanishLexiconError, match="not a VADER entry"):
        load_spanish_lexicon(VADER, bad)
    bad.write_text("quejas: ['meh']\n", encoding="utf-8")
    with pytest.raises(SpanishLexiconError, match="expected only the keys"):
        load_spanish_lexicon(VADER, bad)
    bad.write_text("negations: [no]\n", encoding="utf-8")  # YAML reads a bare no as false
    with pytest.raises(SpanishLexiconError, match="negations must be a list of strings"):
        load_spanish_lexicon(VADER, bad)
    with pytest.raises(SpanishLexiconError, match="cannot read"):
        load_spanish_lexicon(VADER, tmp_path / "missing.yml")


def test_custom_spanish_file_and_prefix_words(tmp_path, model):
    custom = tmp_path / "es.yml"
    custom.write_text(
        "complaint: ['{caramba|recórcholis}']\ninsult: ['eres {un |}zopenc*']\n", encoding="utf-8"
    )
    scorer = FrustrationSignals({"spanish_path": str(custom)})
    assert names(scorer.score("¡Recorcholis!", model.model, None, "es")) == {"complaint"}
    assert names(scorer.score("eres un zopencote", model.model, None, "es")) == {"insult"}
    assert scorer.score("esto no sirve", model.model, None, "es")["score"] == 0.0


def test_missing_spanish_file_is_a_config_error():
    with pytest.raises(InvalidConfigException, match="cannot read the Spanish lexicon"):
        FrustrationSignals({"spanish_path": "/nonexistent/frustration_es.yml"})
