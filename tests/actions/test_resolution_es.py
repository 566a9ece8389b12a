"""Order resolution for Spanish-speaking customers (issue 19), over the demo customers' orders.

Run twice: with the Spanish spaCy pipeline's lemmas (a blank ``es`` pipeline with the official
lookup lemmatizer, built here the way ``build/spacy/es_payments`` is) and without it (the
fallback reads plurals of known item words as their singular).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from actions import order_words, topics
from actions.forms import ValidateOrderForm
from actions.resolution import resolve
from store.mapping import order_view
from store.seed import build_demo_rows
from store.views import OrderView
from tests.actions.conftest import run_action
from tests.actions.test_forms import form_tracker

TODAY = date(2026, 12, 3)


@pytest.fixture(scope="module")
def orders() -> dict[str, list[OrderView]]:
    rows = build_demo_rows(TODAY)
    return {
        c.customer_ref: sorted(
            (order_view(o) for o in c.orders), key=lambda o: o.placed_at, reverse=True
        )
        for c in rows
    }


@pytest.fixture(scope="module")
def spanish_pipeline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import spacy

    nlp = spacy.blank("es")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # the lookup table from spacy-lookups-data
    out = tmp_path_factory.mktemp("spacy") / "es_payments"
    nlp.to_disk(out)
    return out


@pytest.fixture(scope="module", params=["es_pipeline", "fallback"])
def lemmas(request, spanish_pipeline_dir: Path) -> Iterator[str]:
    path = spanish_pipeline_dir if request.param == "es_pipeline" else Path("/nonexistent")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(order_words, "SPANISH_PIPELINE", path)
        order_words.spanish_pipeline.cache_clear()
        loaded = order_words.spanish_pipeline()
        assert (loaded is not None) == (request.param == "es_pipeline")
        yield request.param
    order_words.spanish_pipeline.cache_clear()


def refs(result) -> list[str]:
    return [o.order_ref for o in result.orders]


@pytest.mark.parametrize(
    ("customer", "text", "expected"),
    [
        ("cus_carmen", "¿ha llegado el sofá?", ["ORD-104512"]),  # "Cojines de sofá"
        ("cus_bob", "¿y mis zapatillas?", ["ORD-104455"]),  # "Summit hiking boots"
        ("cus_bob", "donde estan mis tenis", ["ORD-104455"]),
        ("cus_dan", "cuándo llega la tele", ["ORD-104601"]),
        ("cus_alice", "el portátil", ["ORD-104301"]),
        ("cus_alice", "mi chamarra", ["ORD-104377"]),  # "Ridge rain jacket"
        ("cus_bob", "los auriculares", ["ORD-104410"]),
        ("cus_bob", "los altavoces", ["ORD-104460"]),  # -ces -> -z
        ("cus_carmen", "la lampara", ["ORD-104512"]),
        ("cus_carmen", "las alfombras", ["ORD-104530"]),
        ("cus_dan", "las tazas", ["ORD-104622"]),
        ("cus_alice", "mi último pedido", ["ORD-104377"]),
        ("cus_alice", "mi pedido más antiguo", ["ORD-104301"]),
        ("cus_dan", "el de octubre", ["ORD-104601"]),
        ("cus_alice", "el pedido del 30 de noviembre", ["ORD-104377"]),
        ("cus_alice", "lo que compré el 30/11", ["ORD-104377"]),
        ("cus_carmen", "el de 64,90 €", ["ORD-104530"]),
        ("cus_carmen", "el de 64,90", ["ORD-104530"]),
        ("cus_alice", "el de 182 euros", ["ORD-104233"]),
        ("cus_alice", "el de 1.200,00 £", ["ORD-104301"]),
        ("cus_dan", "el pedido de ayer", ["ORD-104640"]),
        ("cus_alice", "el que pedí hace 3 días", ["ORD-104377"]),
        ("cus_alice", "el pedido ORD-104301", ["ORD-104301"]),
    ],
)
def test_one_order_is_named(orders, lemmas, customer, text, expected):
    result = resolve(text, orders[customer], today=TODAY, language="es")
    assert refs(result) == expected, result.cues
    assert result.one is not None


def test_something_the_customer_does_not_have_is_not_found(orders, lemmas):
    assert resolve(
        "¿ha llegado el sofá?", orders["cus_alice"], today=TODAY, language="es"
    ).not_found
    assert resolve("mi altavoz", orders["cus_dan"], today=TODAY, language="es").not_found


def test_the_other_one_is_relative_to_the_current_order(orders, lemmas):
    result = resolve(
        "¿y el otro reembolso?",
        orders["cus_bob"],
        today=TODAY,
        current="ORD-104455",
        relevant=lambda o: topics.is_answerable(topics.REFUND_STATUS, o, TODAY),
        language="es",
    )
    assert refs(result) == ["ORD-104460"]


def test_merchant_with_two_orders_is_ambiguous(orders, lemmas):
    result = resolve("mi pedido de Northwind", orders["cus_alice"], today=TODAY, language="es")
    assert set(refs(result)) == {"ORD-104233", "ORD-104377"}


@pytest.mark.parametrize(
    "text",
    [
        "quiero hablar con una persona",
        "¿cuándo es mi próximo pago?",
        "cuando vence mi proximo pago",
        "¿por qué me rechazaron el pago?",
        "¿qué pagos tengo en diciembre?",  # a month about payments, not a purchase
        "¿cuánto pago hoy?",
        "el otro día pregunté por un pago",  # "el otro día" is not "the other one"
        "hola, buenas tardes",
        "me declinaron el payment",
        "¿me puedes dar el calendario de pagos?",
    ],
)
def test_ordinary_spanish_names_no_order(orders, text):
    for customer_orders in orders.values():
        assert not resolve(text, customer_orders, today=TODAY, language="es").named, text


def test_account_wide_words(orders):
    assert resolve(
        "¿cuánto debo en total?", orders["cus_dan"], today=TODAY, language="es"
    ).all_orders
    assert resolve("¿y en eso?", orders["cus_dan"], today=TODAY, language="es").anaphoric


def test_english_conversations_do_not_read_spanish_cues(orders):
    """English messages keep the English reading exactly (no Spanish month or 'el de')."""
    assert not resolve("el de octubre", orders["cus_dan"], today=TODAY).named


async def test_the_form_fills_the_order_a_spanish_customer_names(services, token_for, domain):
    tracker = form_tracker(
        metadata={"customer_token": token_for("cus_carmen")},
        topic="order_status",
        slots={"language": "es", "locale": "es_ES"},
    )
    tracker.latest_message["text"] = "¿dónde está mi alfombra?"
    _, events = await run_action(ValidateOrderForm(services), tracker, domain)
    filled = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert filled.get("order_number") == "ORD-104530"
