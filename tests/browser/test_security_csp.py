"""The pages under the hub's Content-Security-Policy, in a real browser (docs/security.md).

The console and the demo page with the widget must work with no CSP violation at all; the
console cannot be framed; the console's session is an HttpOnly cookie its script never sees;
the agent's own card-number reply shows masked, as the hub stored it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser.conftest import DialogWatch
from tests.browser.pages import TIMEOUT_MS, ConsolePage, WidgetPage
from tests.browser.services import Stack

pytestmark = pytest.mark.browser

TYPED_CARD = "4111 1111 1111 1111"
MASKED_CARD = "•••• •••• •••• 1111"


def watch_csp(page: Page) -> list[str]:
    """Every CSP violation the page reports (Chromium logs each one to the console)."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            seen.append(message.text)

    page.on("console", on_console)
    return seen


def test_pages_work_under_the_csp_and_the_console_session_is_a_cookie(
    browser: Browser, stack: Stack, dialogs: DialogWatch
) -> None:
    agent_ctx = browser.new_context()
    customer_ctx = browser.new_context()
    try:
        agent = ConsolePage(dialogs.attach(agent_ctx.new_page()), stack.hub_url)
        console_violations = watch_csp(agent.page)
        agent.login(stack.agent_username, stack.agent_password)
        agent.set_presence("online")

        # The session token lives in an HttpOnly, SameSite=Strict cookie, out of script's reach.
        cookies = {c["name"]: c for c in agent_ctx.cookies()}
        session = cookies["payassist_session"]
        assert session["httpOnly"] is True
        assert session["sameSite"] == "Strict"
        visible = agent.page.evaluate("() => document.cookie + JSON.stringify(sessionStorage)")
        assert session["value"] not in visible
        assert "payassist_session" not in visible

        widget = WidgetPage(dialogs.attach(customer_ctx.new_page()), stack.hub_url)
        widget_violations = watch_csp(widget.page)
        widget.goto("cus_bob")
        # The widget's shadow-root styles apply (a constructed stylesheet, not inline CSS).
        expect(widget.launcher).to_have_css("background-color", "rgb(29, 78, 216)")
        widget.open()
        widget.human_button.click()
        expect(widget.banner).to_contain_text("queue", timeout=TIMEOUT_MS)

        agent.claim("cus_bob")
        box = agent.page.get_by_label("Reply to the customer")
        box.fill(f"Never type your card ({TYPED_CARD}) in chat")
        box.press("Enter")
        mine = agent.transcript.locator("li.agent").last
        expect(mine).to_contain_text(MASKED_CARD, timeout=TIMEOUT_MS)
        expect(agent.transcript).not_to_contain_text(TYPED_CARD)
        expect(widget.messages("agent").last).to_contain_text(MASKED_CARD, timeout=TIMEOUT_MS)
        agent.page.get_by_label("Disposition").select_option("resolved")
        agent.page.get_by_role("button", name="Close conversation").click()

        # A reload stays signed in through the cookie alone.
        agent.page.reload()
        expect(agent.page.locator("#conn")).to_have_text("Connected", timeout=TIMEOUT_MS)

        # Signing out removes the cookie (a CSRF-protected POST).
        agent.page.get_by_role("button", name="Sign out").click()
        expect(agent.page.locator("#login-view")).to_be_visible(timeout=TIMEOUT_MS)
        _wait_cookie_gone(agent_ctx, agent.page)

        assert console_violations == []
        assert widget_violations == []
        assert dialogs.seen == []
    finally:
        agent_ctx.close()
        customer_ctx.close()


def _wait_cookie_gone(context: BrowserContext, page: Page) -> None:
    for _ in range(60):
        if not any(c["name"] == "payassist_session" for c in context.cookies()):
            return
        page.wait_for_timeout(250)
    raise AssertionError("the session cookie outlived the logout")


def test_the_console_cannot_be_framed(browser: Browser, stack: Stack) -> None:
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text)
            if re.search("frame-ancestors|frame", m.text)
            else None,
        )
        page.set_content(
            f'<iframe src="{stack.hub_url}/console" width="600" height="400"></iframe>'
        )
        frame = page.frame_locator("iframe")
        page.wait_for_timeout(2000)
        expect(frame.locator("#login-form")).to_have_count(0)
        assert any("frame-ancestors" in text for text in refused), refused
    finally:
        ctx.close()
