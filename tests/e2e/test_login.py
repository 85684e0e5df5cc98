"""The UI's own login page in a real browser: English and French, a desktop and a phone."""

import re

import pytest
from django.contrib.auth.models import User

from tracker import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "read-the-tracker-42"
SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
WORDS = {
    "en": {"locale": "en-GB", "heading": "Log in", "password": "Password", "wrong": "correct"},
    "fr": {
        "locale": "fr-FR",
        "heading": "Se connecter",
        "password": "Mot de passe",
        "wrong": "corrects",
    },
}


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("language", WORDS)
def test_a_reader_logs_in_on_the_uis_own_page_and_sees_no_admin_link(
    live_server, chromium_browser, language, screen
):
    words = WORDS[language]
    roles.assign(User.objects.create_user("reader", password=PASSWORD), roles.READERS)
    context = chromium_browser.new_context(locale=words["locale"], **SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(15_000)
    name = f"/tmp/roles-login-{language}-{screen}"

    page.goto(f"{live_server.url}/agreements/")
    assert re.search(r"/login/\?next=(/|%2F)agreements(/|%2F)$", page.url), page.url
    assert page.get_by_role("heading", level=1).inner_text() == words["heading"]
    assert page.get_by_label(words["password"]).is_visible()
    assert page.locator("html").get_attribute("lang") == language
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the login page scrolls sideways"
    page.screenshot(path=f"{name}-1-page.png", full_page=True)

    page.get_by_label(words["password"]).fill("not the password")
    page.locator("#id_username").fill("reader")
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()
    assert words["wrong"] in page.get_by_role("alert").first.inner_text()
    page.screenshot(path=f"{name}-2-refused.png", full_page=True)

    page.get_by_label(words["password"]).fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/agreements/")
    header = page.locator(".site-header")
    assert "reader" in header.inner_text()
    assert header.locator('a[href="/admin/"]').count() == 0
    page.screenshot(path=f"{name}-3-signed-in.png", full_page=False)

    header.locator("form.inline-form button").click()
    page.wait_for_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/agreements/")
    assert "/login/" in page.url
    context.close()
