"""rasa-webchat 1.0.1, unmodified, on a merchant page of another origin, against the real stack.

The widget is the npm package pinned in ``web/package-lock.json`` (its ``lib/index.js`` bundle
with socket.io-client 3, EIO 4), embedded the way its README shows
(``tests/browser/rasa_webchat/index.html``) and pointed at the hub, whose customer namespace
must behave like Rasa 3.6's socket.io channel for it. The page is served here from its own
origin. Screenshots go to ``test-artifacts/browser/`` (``UPDATE_SCREENSHOTS=1`` copies them to
``docs/screenshots/``).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from common.identity import mint_customer_token
from tests.browser.pages import TIMEOUT_MS, ConsolePage
from tests.browser.services import ROOT, Stack, free_port, start_hub

pytestmark = pytest.mark.browser

PAGE_DIR = Path(__file__).parent / "rasa_webchat"
WEBCHAT_LIB = ROOT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
CONSOLE_VIEWPORT = {"width": 1440, "height": 900}
FAIL_OPEN_TEXT = "technical trouble"
# A message rasa-webchat has drawn (its typing indicator is a message element too).
SHOWN = ".rw-message:not(.rw-typing-indication)"


class _ShopHandler(SimpleHTTPRequestHandler):
    """The merchant's page and the rasa-webchat bundle, nothing else."""

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0]
        if clean == "/rasa-webchat/lib/index.js":
            return str(WEBCHAT_LIB)
        return str(PAGE_DIR / "index.html")

    def log_message(self, format: str, *args: Any) -> None:
        return


def _serve_shop() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(_ShopHandler, directory="."))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    """The merchant's site: its own origin (another port than the hub's)."""
    if not WEBCHAT_LIB.exists():
        pytest.fail("rasa-webchat is missing: bash scripts/build_web.sh (npm ci from the lock)")
    server, origin = _serve_shop()
    yield origin
    server.shutdown()
    server.server_close()


@dataclass
class RasaWebchat:
    """rasa-webchat's own DOM (class names of the 1.0.1 bundle)."""

    page: Page
    shop: str
    hub_url: str

    def goto(self, *, token: str | None = None, init: str | None = None) -> None:
        query = {"hub": self.hub_url}
        if token is not None:
            query["token"] = token
        if init is not None:
            query["init"] = init
        self.page.goto(f"{self.shop}/?{urlencode(query)}")

    def open(self) -> None:
        launcher = self.page.locator(".rw-launcher")
        expect(launcher).to_be_visible(timeout=TIMEOUT_MS)
        if not self.page.locator(".rw-new-message").is_visible():
            launcher.click()
        expect(self.page.locator(".rw-new-message")).to_be_visible(timeout=TIMEOUT_MS)

    @property
    def bot(self) -> Locator:
        """Bot bubbles drawn (not rasa-webchat's typing indicator, which also is one)."""
        return self.page.locator(f"{SHOWN} .rw-response")

    def settle(self) -> None:
        """Wait until rasa-webchat has drawn every message it received.

        It holds received messages back behind a typing indicator for a while; what it holds
        when the page goes away is lost by the widget itself (with Rasa's own channel too).
        """
        expect(self.page.locator(".rw-typing-indication")).to_have_count(0, timeout=TIMEOUT_MS)

    @property
    def mine(self) -> Locator:
        return self.page.locator(".rw-client")

    def send(self, text: str) -> None:
        box = self.page.locator(".rw-new-message")
        box.fill(text)
        box.press("Enter")
        expect(self.mine.filter(has_text=text).last).to_be_visible(timeout=TIMEOUT_MS)

    def ask(self, text: str) -> Locator:
        """Send and return the first bot bubble that arrives after it."""
        before = self.bot.count()
        self.send(text)
        first_new = self.bot.nth(before)
        expect(first_new).to_be_visible(timeout=TIMEOUT_MS)
        self.settle()
        return first_new

    def session_id(self) -> str | None:
        value = self.page.evaluate(
            "() => { const s = localStorage.getItem('chat_session');"
            " return s ? JSON.parse(s).session_id : null; }"
        )
        return value if isinstance(value, str) else None

    def leave_and_return(self) -> None:
        """Close the page's connection (navigate away), then load the page again."""
        url = self.page.url
        self.settle()
        self.page.goto("about:blank")
        self.page.goto(url)
        self.open()

    def texts(self) -> list[str]:
        return [t.strip() for t in self.page.locator(SHOWN).all_inner_texts()]


def _token(stack: Stack, customer_ref: str) -> str:
    return mint_customer_token(customer_ref, stack.token_secret)


def _agent(browser: Browser, stack: Stack) -> tuple[Any, ConsolePage]:
    ctx = browser.new_context(viewport=CONSOLE_VIEWPORT)
    agent = ConsolePage(ctx.new_page(), stack.hub_url)
    agent.login(stack.agent_username, stack.agent_password)
    return ctx, agent


def test_greeting_buttons_and_custom_data_identity(
    browser: Browser, stack: Stack, shop: str, artifacts: Path
) -> None:
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        chat = RasaWebchat(ctx.new_page(), shop, stack.hub_url)
        # initPayload "/greet" is sent when the chat opens: the bot greets, nothing else.
        chat.goto(token=_token(stack, "cus_bob"), init="/greet")
        chat.open()
        expect(chat.bot.first).to_be_visible(timeout=TIMEOUT_MS)
        chat.settle()
        expect(chat.bot.first).not_to_contain_text(FAIL_OPEN_TEXT)
        expect(chat.bot.first).not_to_contain_text("undefined")

        # A verified customer (token in customData) with several candidate orders gets them as
        # buttons (Bob has two orders with refunds; an anonymous visitor is asked for a number).
        chat.ask("has my refund come through?")
        buttons = chat.page.locator(".rw-reply")
        expect(buttons.first).to_be_visible(timeout=TIMEOUT_MS)
        found = re.search(r"ORD-\d+", buttons.first.inner_text())
        assert found is not None
        number = found.group(0)
        chat.page.screenshot(path=str(artifacts / "rw-01-buttons.png"))
        before = chat.bot.count()
        buttons.first.click()
        answer = chat.bot.nth(before)
        expect(answer).to_be_visible(timeout=TIMEOUT_MS)
        expect(chat.bot.filter(has_text=number)).not_to_have_count(0, timeout=TIMEOUT_MS)
        expect(answer).not_to_contain_text(FAIL_OPEN_TEXT)
        chat.settle()

        # Bob's own data: the next instalment answer carries an amount or a date.
        before = len(chat.texts())
        chat.ask("when is my next payment due?")
        new = chat.texts()[before:]
        assert any(re.search(r"\d", text) for text in new[1:]), new  # new[0] is the question
        assert "undefined" not in " ".join(chat.texts())
        chat.page.screenshot(path=str(artifacts / "rw-02-verified-answer.png"))
    finally:
        ctx.close()


def test_handoff_agent_reply_hand_back_and_reloads(
    browser: Browser, stack: Stack, shop: str, artifacts: Path
) -> None:
    agent_ctx, agent = _agent(browser, stack)
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        agent.set_presence("online")
        chat = RasaWebchat(ctx.new_page(), shop, stack.hub_url)
        chat.goto()  # no initPayload: opening sends an empty message, which shows nothing
        chat.open()
        marker = f"parcel {uuid.uuid4().hex[:8]}"
        first = chat.ask(f"hello, about my {marker}")
        expect(first).not_to_contain_text(FAIL_OPEN_TEXT)
        sid = chat.session_id()
        assert sid is not None

        # Reload while the bot owns it: same conversation, same bubbles, nothing twice.
        shown = chat.texts()
        chat.leave_and_return()
        assert chat.session_id() == sid
        expect(chat.page.locator(SHOWN)).to_have_count(len(shown), timeout=TIMEOUT_MS)
        assert chat.texts() == shown

        # An explicit request: the queued notice is a text bubble.
        chat.send("I want to talk to a human")
        expect(chat.bot.filter(has_text=re.compile("line|connecting", re.I)).first).to_be_visible(
            timeout=TIMEOUT_MS
        )

        # The agent claims it; joining and the agent's words show as text bubbles.
        agent.claim(marker)
        expect(chat.bot.filter(has_text="has joined")).to_have_count(1, timeout=TIMEOUT_MS)
        agent.reply("Hi, I'm Dana. Let me look at that.")
        expect(
            chat.bot.filter(has_text="Dana Reyes from our team: Hi, I'm Dana. Let me look at that.")
        ).to_have_count(1, timeout=TIMEOUT_MS)
        chat.send("thank you")
        expect(agent.transcript.locator("li.customer", has_text="thank you")).to_have_count(
            1, timeout=TIMEOUT_MS
        )
        chat.page.screenshot(path=str(artifacts / "rw-03-agent.png"))

        # Reload while the agent owns it; the agent writes while the page is away.
        chat.settle()
        shown = chat.texts()
        chat.page.goto("about:blank")
        agent.reply("Sent while you were away")
        chat.page.goto(f"{shop}/?{urlencode({'hub': stack.hub_url})}")
        chat.open()
        assert chat.session_id() == sid
        missed = chat.bot.filter(has_text="Sent while you were away")
        expect(missed).to_have_count(1, timeout=TIMEOUT_MS)
        chat.settle()
        assert chat.texts()[: len(shown)] == shown
        assert len(chat.texts()) == len(shown) + 1
        # Still the agent's: the next message reaches the agent, not the bot.
        chat.send("still there?")
        expect(agent.transcript.locator("li.customer", has_text="still there?")).to_have_count(
            1, timeout=TIMEOUT_MS
        )

        # Hand back: the bot answers again.
        before = chat.bot.count()
        agent.page.get_by_role("button", name="Hand back to bot").click()
        expect(chat.bot.nth(before)).to_be_visible(timeout=TIMEOUT_MS)
        again = chat.ask("has my refund come through?")
        expect(again).not_to_contain_text(FAIL_OPEN_TEXT)
        expect(again).not_to_contain_text("from our team")
        assert sum("Sent while you were away" in t for t in chat.texts()) == 1
        chat.page.screenshot(path=str(artifacts / "rw-04-after-hand-back.png"))
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(artifacts / "rw-03-agent.png", SCREENSHOTS / "rasa-webchat-agent.png")
            shutil.copyfile(
                artifacts / "rw-01-buttons.png", SCREENSHOTS / "rasa-webchat-buttons.png"
            )
    finally:
        agent.set_presence("offline")
        ctx.close()
        agent_ctx.close()


def test_no_agent_notice(browser: Browser, stack: Stack, shop: str) -> None:
    staff_ctx, staff = _agent(browser, stack)
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        staff.set_presence("offline")
        chat = RasaWebchat(ctx.new_page(), shop, stack.hub_url)
        chat.goto()
        chat.open()
        chat.send("I want to talk to a human")
        expect(chat.bot.filter(has_text="No one from our team").first).to_be_visible(
            timeout=TIMEOUT_MS
        )
    finally:
        ctx.close()
        staff_ctx.close()


def test_another_origin_allowed_by_config_connects_and_others_do_not(
    browser: Browser, stack: Stack, shop: str
) -> None:
    # A production hub (no demo mode) that allows exactly the shop's origin.
    hub, hub_url = start_hub(stack, "hub-cors", PAYASSIST_DEMO="0", HUB_CORS_ORIGINS=shop)
    other_server, other_origin = _serve_shop()
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        chat = RasaWebchat(ctx.new_page(), shop, hub_url)
        chat.goto()
        chat.open()
        reply = chat.ask("hello")
        expect(reply).not_to_contain_text(FAIL_OPEN_TEXT)

        # The same page on an origin that is not listed cannot open a socket.
        page = ctx.new_page()
        page.goto(f"{other_origin}/?{urlencode({'hub': hub_url})}")
        refused = page.evaluate(
            """async (url) => {
                try { await fetch(url + '/socket.io/?EIO=4&transport=polling'); return false; }
                catch (e) { return true; }
            }""",
            hub_url,
        )
        assert refused, "an unlisted origin must not get a socket"
        allowed = chat.page.evaluate(
            """async (url) => {
                const r = await fetch(url + '/socket.io/?EIO=4&transport=polling');
                return r.status;
            }""",
            hub_url,
        )
        assert allowed == 200
    finally:
        ctx.close()
        other_server.shutdown()
        other_server.server_close()
        hub.stop()
