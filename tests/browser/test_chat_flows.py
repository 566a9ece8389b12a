"""End-to-end browser tests: demo page + widget and agent console against the real stack.

The stack is the real hub, the real Rasa server with the trained model and the real action
server (see ``services.py``). Screenshots land in ``test-artifacts/browser/``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import shutil
import threading
import uuid
from pathlib import Path

import pytest
import socketio
from playwright.sync_api import Browser, Page, expect

from common.identity import mint_customer_token
from tests.browser.conftest import DialogWatch
from tests.browser.pages import TIMEOUT_MS, ConsolePage, WidgetPage
from tests.browser.services import ROOT, Stack

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
FAIL_OPEN_TEXT = "technical trouble"
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
CONSOLE_VIEWPORT = {"width": 1440, "height": 900}


def no_injected_markup(page: Page) -> None:
    """Nothing typed by anyone became an element: no <img>, no inline handler attributes."""
    found = page.evaluate(
        """() => {
            const roots = [document];
            for (const host of document.querySelectorAll('[data-payassist]')) {
                if (host.shadowRoot) roots.push(host.shadowRoot);
            }
            let bad = 0;
            for (const root of roots) {
                bad += root.querySelectorAll('img, script:not([src]), iframe').length;
                for (const el of root.querySelectorAll('*')) {
                    for (const attr of el.attributes) {
                        if (/^on/i.test(attr.name)) bad += 1;
                    }
                }
            }
            return bad;
        }"""
    )
    assert found == 0


def test_routine_question_handoff_reply_handback_and_reload(
    browser: Browser, stack: Stack, dialogs: DialogWatch, artifacts: Path
) -> None:
    customer_ctx = browser.new_context(viewport=DESKTOP)
    agent_ctx = browser.new_context(viewport=CONSOLE_VIEWPORT)
    try:
        agent = ConsolePage(dialogs.attach(agent_ctx.new_page()), stack.hub_url)
        agent.login(stack.agent_username, stack.agent_password)
        agent.set_presence("online")
        # The close dispositions come from the hub's snapshot (hub.yml), not from the page.
        expect(agent.page.locator("#disposition option")).to_have_count(5, timeout=TIMEOUT_MS)
        expect(agent.page.locator("#disposition option[value=follow_up]")).to_have_text(
            "Needs follow-up"
        )

        widget = WidgetPage(dialogs.attach(customer_ctx.new_page()), stack.hub_url)
        widget.goto("cus_alice")
        widget.open()

        # A routine question is answered by the real bot (not by the fail-open path).
        answer = widget.ask_bot("When is my next payment due?")
        expect(answer).not_to_contain_text(FAIL_OPEN_TEXT)
        expect(widget.banner).to_be_hidden()
        # The answer carries real data (an amount or a date) from the action server.
        with_numbers = widget.page.locator("li.msg.bot .bubble").filter(has_text=re.compile(r"\d"))
        expect(with_numbers).not_to_have_count(0, timeout=TIMEOUT_MS)
        widget.page.screenshot(path=str(artifacts / "01-widget-bot-answer.png"))

        # "Talk to a person" is one click away and queues the customer.
        widget.human_button.click()
        expect(widget.banner).to_contain_text("queue", timeout=TIMEOUT_MS)
        expect(widget.banner).to_contain_text("Estimated wait")

        # The agent sees it in the queue, claims it, sees transcript and context.
        agent.claim("cus_alice")
        expect(agent.transcript.locator("li.customer").first).to_contain_text("next payment")
        expect(agent.transcript.locator("li.bot").first).to_be_visible()
        expect(agent.page.locator("#handoff-card")).to_contain_text("Asked for a person")
        expect(agent.context).to_contain_text("Alice Martin")
        expect(agent.context).to_contain_text("Verified")
        expect(agent.context.locator(".order").first).to_be_visible()
        # The hub wrote the summary itself (the button, not the bot, asked for a person).
        expect(agent.context.locator(".summary")).to_contain_text('"Talk to a person" button')
        expect(agent.context.locator(".summary")).to_contain_text("verified, cus_alice")
        expect(widget.banner).to_contain_text("Dana Reyes", timeout=TIMEOUT_MS)

        # The agent sees the customer typing.
        widget.input.fill("just a moment")
        expect(agent.page.locator("#conv-typing")).to_have_text(
            "The customer is typing…", timeout=TIMEOUT_MS
        )
        widget.input.fill("")

        # Agent reply reaches the customer with the agent's name, as text.
        agent.reply(f"Hi Alice, I'm Dana. {XSS}")
        agent_msg = widget.messages("agent").last
        expect(agent_msg).to_contain_text(XSS, timeout=TIMEOUT_MS)
        expect(agent_msg.locator(".who")).to_have_text("Dana Reyes")

        # The customer's HTML-looking text reaches the agent as text too.
        widget.send(f"{XSS} thanks")
        expect(agent.transcript.locator("li.customer").last).to_contain_text(
            f"{XSS} thanks", timeout=TIMEOUT_MS
        )
        no_injected_markup(widget.page)
        no_injected_markup(agent.page)
        widget.page.screenshot(path=str(artifacts / "02-widget-agent-reply.png"))
        agent.page.screenshot(path=str(artifacts / "03-console-conversation.png"))

        # Both pages survive a reload mid-conversation: the widget shows who is with the
        # customer (live status), the console refills the conversation (context) and its
        # status selector shows the stored presence.
        widget.page.reload()
        expect(widget.panel).to_be_visible()
        expect(widget.banner).to_contain_text("Dana Reyes", timeout=TIMEOUT_MS)
        agent.page.reload()
        expect(agent.page.locator("#conn")).to_have_text("Connected", timeout=TIMEOUT_MS)
        expect(agent.page.get_by_label("Status")).to_have_attribute(
            "data-confirmed", "online", timeout=TIMEOUT_MS
        )
        agent.page.locator("#mine-list button.open").first.click()
        expect(agent.transcript.locator("li.agent").last).to_contain_text(
            "Hi Alice, I'm Dana.", timeout=TIMEOUT_MS
        )
        expect(agent.transcript.locator("li.customer").first).to_contain_text("next payment")
        no_injected_markup(agent.page)

        # Hand back: the bot talks again and answers the next routine question.
        bot_before = widget.messages("bot").count()
        agent.page.get_by_role("button", name="Hand back to bot").click()
        expect(widget.banner).to_be_hidden(timeout=TIMEOUT_MS)
        widget.wait_for_new("bot", bot_before)
        again = widget.ask_bot("What is the status of my refund?")
        expect(again).not_to_contain_text(FAIL_OPEN_TEXT)

        # Reload keeps the session: same transcript, no duplicates.
        ids_before = widget.page.locator("li.msg[data-id]").evaluate_all(
            "els => els.map(e => e.dataset.id)"
        )
        widget.page.reload()
        expect(widget.panel).to_be_visible()
        expect(widget.messages("agent").last).to_contain_text(XSS, timeout=TIMEOUT_MS)
        expect(widget.page.locator("li.msg[data-id]")).to_have_count(len(ids_before))
        ids_after = widget.page.locator("li.msg[data-id]").evaluate_all(
            "els => els.map(e => e.dataset.id)"
        )
        assert ids_after == ids_before
        no_injected_markup(widget.page)
        widget.page.screenshot(path=str(artifacts / "04-widget-after-reload.png"))

        assert dialogs.seen == []
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":  # refresh the README's pictures on demand
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(artifacts / "02-widget-agent-reply.png", SCREENSHOTS / "widget.png")
            shutil.copyfile(artifacts / "03-console-conversation.png", SCREENSHOTS / "console.png")
    finally:
        customer_ctx.close()
        agent_ctx.close()


def test_phone_width_keyboard_and_aria(
    browser: Browser, stack: Stack, dialogs: DialogWatch, artifacts: Path
) -> None:
    ctx = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    try:
        widget = WidgetPage(dialogs.attach(ctx.new_page()), stack.hub_url)
        widget.goto()
        launcher_focused = (
            "() => document.activeElement?.shadowRoot?.activeElement"
            "?.classList.contains('launcher')"
        )
        for _ in range(10):
            widget.page.keyboard.press("Tab")
            if widget.page.evaluate(launcher_focused):
                break
        assert widget.page.evaluate(launcher_focused), "the launcher is reachable with Tab"
        expect(widget.launcher).to_have_attribute("aria-expanded", "false")
        widget.page.keyboard.press("Enter")
        expect(widget.panel).to_be_visible()
        expect(widget.input).to_be_focused()

        box = widget.panel.bounding_box()
        assert box is not None
        assert box["width"] <= 360
        assert box["x"] >= 0
        expect(widget.human_button).to_be_in_viewport()
        expect(widget.log).to_have_attribute("aria-live", "polite")

        # Every control has an accessible name.
        unnamed = widget.page.evaluate(
            """() => {
                const root = document.querySelector('[data-payassist]').shadowRoot;
                return [...root.querySelectorAll('button, textarea, input')]
                  .filter(el => !el.hidden && !el.closest('[hidden]'))
                  .filter(el => !(el.getAttribute('aria-label') || el.textContent.trim()
                                 || (el.id && root.querySelector(`label[for="${el.id}"]`))))
                  .length;
            }"""
        )
        assert unnamed == 0

        expect(widget.page.locator(".status")).to_have_text("Online", timeout=TIMEOUT_MS)
        widget.page.keyboard.type("hello")
        widget.page.keyboard.press("Enter")
        expect(widget.messages("customer").last).to_contain_text("hello")
        widget.wait_for_new("bot", 0)
        widget.page.screenshot(path=str(artifacts / "05-widget-phone.png"))

        widget.page.keyboard.press("Escape")
        expect(widget.panel).to_be_hidden()
        assert widget.page.evaluate(launcher_focused), "focus returns to the launcher"
        assert dialogs.seen == []
    finally:
        ctx.close()


def test_cancel_reconnect_close_rate_and_start_again(
    browser: Browser, stack: Stack, dialogs: DialogWatch, artifacts: Path
) -> None:
    customer_ctx = browser.new_context(viewport=DESKTOP)
    agent_ctx = browser.new_context(viewport=CONSOLE_VIEWPORT)
    agent = ConsolePage(dialogs.attach(agent_ctx.new_page()), stack.hub_url)
    try:
        agent.login(stack.agent_username, stack.agent_password)
        agent.set_presence("online")
        widget = WidgetPage(dialogs.attach(customer_ctx.new_page()), stack.hub_url)
        widget.goto("cus_carmen")
        widget.open()

        # Cancel waiting: back to the bot, the button is usable again.
        widget.human_button.click()
        expect(widget.banner).to_contain_text("queue", timeout=TIMEOUT_MS)
        expect(widget.human_button).to_be_disabled()
        widget.banner.get_by_role("button", name="Cancel waiting").click()
        expect(widget.banner).to_be_hidden(timeout=TIMEOUT_MS)
        expect(widget.human_button).to_be_enabled()
        expect(agent.queue_item("cus_carmen")).to_have_count(0, timeout=TIMEOUT_MS)

        # Ask again; the agent claims and closes with a disposition; the customer rates.
        widget.human_button.click()
        agent.claim("cus_carmen")
        expect(widget.banner).to_contain_text("Dana Reyes", timeout=TIMEOUT_MS)

        # Network loss: "reconnecting", then the missed agent message exactly once, and the
        # message typed while offline delivered exactly once.
        customer_ctx.set_offline(True)
        expect(widget.page.locator(".status")).to_have_text("Reconnecting…")
        agent.reply("Sent while you were offline")
        widget.input.fill("Typed while offline")
        widget.input.press("Enter")
        customer_ctx.set_offline(False)
        expect(widget.page.locator(".status")).to_have_text("Online", timeout=TIMEOUT_MS)
        expect(
            widget.messages("agent").filter(has_text="Sent while you were offline")
        ).to_have_count(1, timeout=TIMEOUT_MS)
        typed = agent.transcript.locator("li.customer", has_text="Typed while offline")
        expect(typed).to_have_count(1, timeout=TIMEOUT_MS)
        expect(widget.messages("customer").filter(has_text="Typed while offline")).to_have_count(1)
        ids = widget.page.locator("li.msg[data-id]").evaluate_all(
            "els => els.map(e => e.dataset.id)"
        )
        assert len(ids) == len(set(ids))
        agent.page.get_by_label("Disposition").select_option("resolved")
        agent.page.get_by_role("button", name="Close conversation").click()
        expect(agent.page.locator("#conv-h")).to_have_text("No conversation selected")
        rating = widget.page.get_by_role("group", name="How did we do?")
        expect(rating).to_be_visible(timeout=TIMEOUT_MS)
        rating.get_by_role("button", name="Rate 4 out of 5").click()
        expect(widget.page.get_by_text("Thanks for your feedback!")).to_be_visible()

        # Writing again after the close starts a new conversation with the bot.
        answer = widget.ask_bot("hello")
        expect(answer).not_to_contain_text(FAIL_OPEN_TEXT)
        expect(widget.page.locator("li.msg.rejected")).to_have_count(0)
        assert dialogs.seen == []
    finally:
        agent.set_presence("offline")
        customer_ctx.close()
        agent_ctx.close()


def test_no_agent_online_offers_ticket_and_supervisor_sees_it(
    browser: Browser, stack: Stack, dialogs: DialogWatch, artifacts: Path
) -> None:
    staff_ctx = browser.new_context(viewport=CONSOLE_VIEWPORT)
    customer_ctx = browser.new_context(viewport=DESKTOP)
    try:
        # Make sure nobody is online (tests do not rely on each other's leftovers).
        staff = ConsolePage(dialogs.attach(staff_ctx.new_page()), stack.hub_url)
        staff.login(stack.agent_username, stack.agent_password)
        staff.set_presence("offline")
        staff.page.get_by_role("button", name="Sign out").click()

        widget = WidgetPage(dialogs.attach(customer_ctx.new_page()), stack.hub_url)
        widget.goto()
        widget.open()
        widget.human_button.click()
        expect(widget.banner).to_contain_text("No one is available", timeout=TIMEOUT_MS)
        form = widget.page.locator("form.contact")
        expect(form).to_be_visible()

        # Validation: nothing given, then a malformed email.
        form.get_by_role("button", name="Send my details").click()
        expect(form.get_by_role("alert")).to_contain_text("email address or a phone number")
        form.get_by_label("Email").fill("not-an-email")
        form.get_by_role("button", name="Send my details").click()
        expect(form.locator("#pa-email-err")).to_contain_text("doesn't look right")
        expect(form.get_by_label("Email")).to_have_attribute("aria-invalid", "true")

        email = f"browser-{uuid.uuid4().hex[:10]}@example.com"
        form.get_by_label("Email").fill(email)
        form.get_by_label("What is it about? (optional)").fill(f"Call me about my refund {XSS}")
        form.get_by_role("button", name="Send my details").click()
        expect(widget.banner).to_contain_text("we've got your details", timeout=TIMEOUT_MS)
        expect(form).to_be_hidden()
        widget.page.screenshot(path=str(artifacts / "06-widget-ticket.png"))

        # A supervisor sees every queue and the open ticket, as text.
        staff.login(stack.supervisor_username, stack.agent_password)
        expect(staff.page.locator("#stats-h")).to_have_text("All queues")
        for queue in ("Payments", "Disputes", "Collections"):
            expect(staff.page.locator("#stats tbody")).to_contain_text(queue)
        ticket = staff.page.locator("#tickets-list li", has_text=email)
        expect(ticket).to_contain_text(XSS, timeout=TIMEOUT_MS)
        no_injected_markup(staff.page)
        staff.page.screenshot(path=str(artifacts / "07-console-supervisor.png"))
        assert dialogs.seen == []
    finally:
        customer_ctx.close()
        staff_ctx.close()


def test_page_weight_and_time_to_interactive(
    browser: Browser, stack: Stack, artifacts: Path
) -> None:
    widget_js = (ROOT / "hub" / "static" / "widget.js").read_bytes()
    weight = {
        "widget_js_bytes": len(widget_js),
        "widget_js_gzip_bytes": len(gzip.compress(widget_js, 9)),
    }
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        page = ctx.new_page()
        page.goto(f"{stack.hub_url}/")
        page.wait_for_function(
            """() => {
                const host = document.querySelector('[data-payassist]');
                const status = host && host.shadowRoot.querySelector('.status');
                if (status && status.textContent === 'Online' && !window.__paReady) {
                    window.__paReady = performance.now();
                }
                return !!window.__paReady;
            }""",
            timeout=TIMEOUT_MS,
            polling=20,
        )
        timing = page.evaluate(
            """() => {
                const nav = performance.getEntriesByType('navigation')[0];
                const res = performance.getEntriesByType('resource')
                    .filter(r => r.name.endsWith('/widget.js'))[0];
                return {
                    dom_interactive_ms: nav.domInteractive,
                    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
                    load_event_ms: nav.loadEventEnd,
                    widget_connected_ms: window.__paReady,
                    widget_js_transfer_bytes: res ? res.transferSize : null,
                };
            }"""
        )
    finally:
        ctx.close()
    report = {**weight, **timing}
    (artifacts / "page-metrics.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    # Budgets: a chat widget must not weigh down the merchant's page.
    assert weight["widget_js_gzip_bytes"] < 40_000
    assert timing["dom_interactive_ms"] < 3_000
    assert timing["widget_connected_ms"] < 5_000


def _bind_elsewhere(hub_url: str, session_id: str, token: str) -> None:
    """Another client (a Rasa widget's way: the token in customData) binds the session."""

    async def bind() -> None:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(hub_url, transports=["websocket"], wait_timeout=10)
        try:
            await client.call("session_request", {"session_id": session_id}, timeout=10)
            ack = await client.call(
                "user_uttered",
                {
                    "message": "hello",
                    "session_id": session_id,
                    "customData": {"customer_token": token},
                },
                timeout=30,
            )
            assert isinstance(ack.get("id"), int), ack
        finally:
            await client.disconnect()

    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(bind())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not errors, errors


def test_session_taken_by_a_signed_in_customer_elsewhere_is_said_and_started_afresh(
    browser: Browser, stack: Stack, dialogs: DialogWatch
) -> None:
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        widget = WidgetPage(dialogs.attach(ctx.new_page()), stack.hub_url)
        widget.goto()
        widget.open()
        widget.ask_bot("hello")
        stored = widget.page.evaluate(
            "() => Object.entries(localStorage).find(([k]) => k.startsWith('payassist:session:'))"
        )
        session_id = json.loads(stored[1])["sessionId"]
        token = mint_customer_token("cus_alice", stack.token_secret)
        _bind_elsewhere(stack.hub_url, session_id, token)

        # The widget's next message is refused (session_ended): it says so, starts a new
        # conversation and sends the message there.
        answer = widget.ask_bot("are you still there?")
        expect(widget.page.get_by_text("linked to a signed-in account")).to_be_visible(
            timeout=TIMEOUT_MS
        )
        expect(answer).not_to_contain_text(FAIL_OPEN_TEXT)
        expect(widget.page.locator("li.msg.rejected")).to_have_count(0)
        new_stored = widget.page.evaluate(
            "() => Object.entries(localStorage).find(([k]) => k.startsWith('payassist:session:'))"
        )
        assert json.loads(new_stored[1])["sessionId"] != session_id
        assert dialogs.seen == []
    finally:
        ctx.close()
