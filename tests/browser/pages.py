"""Page objects for the demo page with the widget and for the agent console.

Selectors pierce the widget's open shadow root (Playwright CSS does that by default), and
prefer roles and labels so the tests also check what assistive technology sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

TIMEOUT_MS = 30_000
# The widget's labels the page objects find it by, per page language (web/src/widget/strings.ts).
WIDGET_LABELS = {
    "en": {
        "open": "Open chat",
        "message": "Your message",
        "human": "Talk to a person",
        "online": "Online",
    },
    "es": {
        "open": "Abrir chat",
        "message": "Tu mensaje",
        "human": "Hablar con una persona",
        "online": "En línea",
    },
}


@dataclass
class WidgetPage:
    """The demo merchant page with the PayAssist widget embedded.

    ``language``: the demo page's ``<html lang>`` (``/?lang=es``); the widget starts in it.
    """

    page: Page
    hub_url: str
    language: str = "en"

    @property
    def labels(self) -> dict[str, str]:
        return WIDGET_LABELS[self.language]

    def goto(self, customer_ref: str | None = None) -> None:
        query = "" if self.language == "en" else f"?lang={self.language}"
        self.page.goto(f"{self.hub_url}/{query}")
        if customer_ref is not None:
            self.page.select_option("#demo-customer", customer_ref)
            self.page.click("#demo-form button[type=submit]")
            expect(self.page.locator("#demo-status")).to_contain_text(customer_ref)
        expect(self.launcher).to_be_visible()

    @property
    def launcher(self) -> Locator:
        return self.page.get_by_role("button", name=self.labels["open"])

    @property
    def panel(self) -> Locator:
        return self.page.get_by_role("dialog")

    @property
    def input(self) -> Locator:
        return self.page.get_by_label(self.labels["message"])

    @property
    def human_button(self) -> Locator:
        return self.page.get_by_role("button", name=self.labels["human"])

    @property
    def banner(self) -> Locator:
        return self.page.locator(".banner")

    @property
    def log(self) -> Locator:
        return self.page.get_by_role("log")

    def messages(self, sender: str) -> Locator:
        return self.page.locator(f"li.msg.{sender}")

    def open(self) -> None:
        if not self.panel.is_visible():
            self.launcher.click()
        expect(self.panel).to_be_visible()
        expect(self.page.locator(".status")).to_have_text(self.labels["online"], timeout=TIMEOUT_MS)

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.messages("customer").last).to_contain_text(text)

    def wait_for_new(self, sender: str, count_before: int) -> Locator:
        """Wait until there are more messages from ``sender`` than before; return the first new."""
        first_new = self.messages(sender).nth(count_before)
        expect(first_new).to_be_visible(timeout=TIMEOUT_MS)
        return first_new

    def ask_bot(self, text: str) -> Locator:
        before = self.messages("bot").count()
        self.send(text)
        return self.wait_for_new("bot", before)


@dataclass
class ConsolePage:
    """The agent console."""

    page: Page
    hub_url: str

    def login(self, username: str, password: str) -> None:
        self.page.goto(f"{self.hub_url}/console")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.locator("#app-view")).to_be_visible(timeout=TIMEOUT_MS)
        expect(self.page.locator("#conn")).to_have_text("Connected", timeout=TIMEOUT_MS)

    def set_presence(self, status: str) -> None:
        select = self.page.get_by_label("Status")
        select.select_option(status)
        # Set by the console from the hub's ack, so this waits for the stored presence.
        expect(select).to_have_attribute("data-confirmed", status, timeout=TIMEOUT_MS)

    def queue_item(self, customer: str) -> Locator:
        return self.page.locator("#queue-list li.item", has_text=customer)

    def claim(self, customer: str) -> None:
        item = self.queue_item(customer)
        expect(item).to_be_visible(timeout=TIMEOUT_MS)
        item.get_by_role("button", name="Claim").click()
        expect(self.page.locator("#conv-h")).to_contain_text(
            "Conversation with", timeout=TIMEOUT_MS
        )

    @property
    def transcript(self) -> Locator:
        return self.page.locator("#transcript")

    @property
    def context(self) -> Locator:
        return self.page.locator("#context")

    def reply(self, text: str) -> None:
        box = self.page.get_by_label("Reply to the customer")
        box.fill(text)
        box.press("Enter")
        expect(self.transcript.locator("li.agent").last).to_contain_text(text, timeout=TIMEOUT_MS)
