"""Browser-test fixtures: the real stack once per session, Debian's chromium per test.

Playwright's own browser download does not work here, so we drive the ``chromium``
Debian package through ``executable_path``. Each test gets new browser contexts (fresh
storage); screenshots and page metrics go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, Playwright, sync_playwright

from tests.browser.services import ROOT, Stack, build_web, running_stack

ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's chromium (or CHROMIUM_PATH); a clear failure when it is missing."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if path is None:
        pytest.fail("chromium not found: apt-get install -y chromium (scripts/system_deps.sh)")
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    build_web()
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # launch() gives every browser a fresh temporary user-data-dir.
    browser = playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


class DialogWatch:
    """Records every JS dialog (alert/confirm/prompt) a page opens: XSS would show here."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def attach(self, page: Page) -> Page:
        def on_dialog(dialog: Dialog) -> None:
            self.seen.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page


@pytest.fixture
def dialogs() -> DialogWatch:
    return DialogWatch()
