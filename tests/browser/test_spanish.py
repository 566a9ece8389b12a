"""Spanish end to end in a real browser (issue 19): widget, hub, Rasa and the actions.

On the demo page made Spanish (``/?lang=es``: ``<html lang="es">``), the demo customer
``cus_carmen`` signs in as the other browser tests sign customers in (the demo page's picker),
asks in Spanish when her next payment is due and gets it in Spanish, formatted with CLDR's
es_ES rules ("45,50 €", "5 de diciembre de 2026"). The expected amount and date are computed
here from the store's data with Babel, never written down, so the test follows the seed.

Needs the merged Spanish NLU data, the language tagger and the Spanish answers (a model trained
on them: ``make train``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from playwright.sync_api import Browser, expect

from store.db import create_engine_from_url, make_session_factory
from store.repository import PaymentsRepository
from store.views import InstalmentView, OrderView, next_instalment
from tests.browser.conftest import DialogWatch
from tests.browser.pages import TIMEOUT_MS, WidgetPage
from tests.browser.services import Stack

pytestmark = pytest.mark.browser

CUSTOMER = "cus_carmen"
QUESTION = "¿cuándo vence mi próximo pago?"
LOCALE = "es_ES"  # the page says "es", no region: Spain's conventions (docs/architecture.md)
FAIL_OPEN_TEXT = "problemas técnicos"


def _flat(text: str) -> str:
    """Whitespace (CLDR puts a no-break space before "€") as single spaces."""
    return " ".join(text.split())


def soonest_payment(stack: Stack, customer_ref: str) -> tuple[InstalmentView, OrderView]:
    """The customer's next scheduled instalment across every order, as the bot must tell it."""
    engine = create_engine_from_url(stack.database_url)
    try:
        orders = PaymentsRepository(make_session_factory(engine)).list_orders(customer_ref)
    finally:
        engine.dispose()
    today = datetime.now(timezone.utc).date()  # the actions' clock: UTC calendar days
    upcoming = [(i, o) for o in orders if (i := next_instalment(o, today)) is not None]
    assert upcoming, f"the seed gives {customer_ref} no upcoming instalment"
    return min(upcoming, key=lambda pair: (pair[0].due_date, pair[0].sequence, pair[1].order_ref))


def test_carmen_asks_in_spanish_and_gets_her_next_payment_in_spanish(
    browser: Browser, stack: Stack, dialogs: DialogWatch, artifacts: Path
) -> None:
    instalment, order = soonest_payment(stack, CUSTOMER)
    amount = _flat(format_currency(instalment.amount, instalment.currency, locale=LOCALE))
    due = format_date(instalment.due_date, format="long", locale=LOCALE)
    english_amount = _flat(format_currency(instalment.amount, instalment.currency, locale="en_GB"))
    assert re.fullmatch(r"\d{1,2} de [a-z]+ de \d{4}", due), due  # "5 de diciembre de 2026"
    assert re.fullmatch(r"[\d.]+,\d{2} €", amount), amount  # "45,50 €" (Carmen pays in euros)

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-ES")
    try:
        widget = WidgetPage(dialogs.attach(context.new_page()), stack.hub_url, language="es")
        widget.goto(CUSTOMER)
        expect(widget.page.locator("html")).to_have_attribute("lang", "es")
        widget.open()  # the widget speaks Spanish from the start: the page is Spanish

        answer = widget.ask_bot(QUESTION)
        expect(answer).not_to_contain_text(FAIL_OPEN_TEXT)
        bubbles = widget.page.locator("li.msg.bot .bubble")
        expect(bubbles.filter(has_text=re.compile(re.escape(due)))).not_to_have_count(
            0, timeout=TIMEOUT_MS
        )
        said = _flat(" ".join(bubbles.all_inner_texts()))
        assert amount in said, (amount, said)
        assert due in said, (due, said)
        assert english_amount not in said, said  # not the English "€45.50"
        assert order.order_ref in said, said
        # Still a Spanish widget after the answer, and nothing handed off to a person.
        expect(widget.human_button).to_be_visible()
        expect(widget.banner).to_be_hidden()
        widget.page.screenshot(path=str(artifacts / "es-01-next-payment.png"))
    finally:
        context.close()
