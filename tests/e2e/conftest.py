"""A real headless browser (Debian's chromium, driven by Playwright) against a live server."""

import os
import re
from pathlib import Path

import pytest

from tracker.devtools.browser import CHROMIUM_FLAGS, SCREENS, find_chromium

# Playwright's sync API runs an event loop in the test's thread; the test's own database
# calls (creating a user, reading records) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Runs before any script of the page (Playwright's own channel, outside the page's policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || ""}:${event.lineNumber || ""})`);
});
"""


def browser_missing(reason):
    if os.environ.get("TRACKER_E2E_REQUIRED") == "1":
        pytest.fail(f"End-to-end tests are required here but {reason}.")
    pytest.skip(f"End-to-end tests skipped: {reason} (install Debian's chromium to run them).")


@pytest.fixture(scope="session")
def chromium_browser():
    executable = find_chromium()
    if executable is None:
        browser_missing("no chromium executable was found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("Playwright for Python is not installed")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_FLAGS
    )
    yield browser
    browser.close()
    playwright.stop()


def new_browser_context(chromium_browser, locale="en-GB", screen="desktop", storage_state=None):
    """A browser context in a language (as the browser asks for it) on one of SCREENS."""
    return chromium_browser.new_context(
        locale=locale, storage_state=storage_state, accept_downloads=True, **SCREENS[screen]
    )


def watch_policies(page):
    """Keep every policy complaint of `page` (a violation event or a console message);
    returns a check that fails naming them, then forgets them."""
    complaints = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text)
            if re.search(r"Content.Security.Policy|Permissions.Policy", message.text)
            else None
        ),
    )

    def check(where):
        found = complaints + page.evaluate("window.__violations || []")
        complaints.clear()
        page.evaluate("window.__violations = []")
        assert found == [], f"{where}: {found}"

    def forget():
        """Forget what a script of our own (not the page's) made the page complain of."""
        complaints.clear()
        page.evaluate("window.__violations = []")

    check.forget = forget
    return check


@pytest.fixture
def watched_pages(chromium_browser):
    """Open pages that fail on the site's policies: `watched_pages(locale, screen, state)`
    gives a page whose `policy_complaints(where)` fails naming any complaint so far. The
    contexts are closed after the test."""
    contexts = []

    def open_page(locale="en-GB", screen="desktop", storage_state=None):
        context = new_browser_context(chromium_browser, locale, screen, storage_state)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.policy_complaints = watch_policies(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(chromium_browser):
    context = chromium_browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium_browser):
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name, full_page=True):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
