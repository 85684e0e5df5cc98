"""Accessibility measured by axe-core in a real browser: every kind of page of the UI, the
admin and the API docs, in each language the site offers, on a desktop and on a phone, has no
violation that axe rates serious or critical.

The articles' data is loaded once for the module and served by a server of its own, so the
hundred-odd checks share one database and one signed-in browser context per language and
screen, instead of reloading the data for each.
"""

import io
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test.utils import override_settings
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from tracker.devtools import factories
from tracker.models import Agreement, Commitment, Source

from .conftest import SCREENS, new_browser_context, watch_policies

# The mark has the test database created; each test's transaction only wraps what the test
# itself writes, which is nothing: the data is the module's, committed before the first test.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

PASSWORD = "every-page-for-everyone-42"
LANGUAGES = [code for code, _name in settings.LANGUAGES]
SERIOUS = {"serious", "critical"}

ACCORD = "2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
ARTICLE = "maroc-booster-fabrication-locale-dispositifs-medicaux"
HEALTH = "ministere-sante-protection-sociale"
SENTENCE = "Le ministère de la Santé se chargera"

# Rules axe reports inside third-party markup that our templates and styles cannot reach,
# by page: {page: {rule: why}}. Nothing else is excluded, and nowhere else.
EXCLUDED = {
    "api-docs-swagger": {
        # Swagger UI draws each operation's summary as a button holding the operation's
        # other controls (its copy and lock buttons): its own markup, drawn by its script.
        "nested-interactive": "Swagger UI's operation summaries are buttons holding buttons",
        # Swagger UI's palette (white on light green version stamps, pale method colours):
        # restyling every element its bundle draws would fork its stylesheet.
        "color-contrast": "Swagger UI's own palette",
    },
}


@dataclass
class Page:
    """A kind of page: the address of one example, whether it needs a signed-in user, and
    what shows that the page is drawn (for pages a script draws after loading)."""

    address: str
    signed_in: bool = True
    ready: str = "main, #content, body"


def page_addresses():
    """One page of each kind, from the loaded articles' records."""
    accord = Agreement.objects.get(slug=ACCORD)
    commitment = Commitment.objects.filter(agreement=accord).order_by("pk").first()
    article = Source.objects.get(slug=ARTICLE)
    start = article.text.index(SENTENCE)
    selection = f"start={start}&end={start + len(SENTENCE)}"
    desk = f"/sources/{ARTICLE}/desk"
    return {
        "dashboard": Page("/"),
        "agreements-filtered": Page(
            "/agreements/?party=mmi-cluster&status=signed&signed_after=2021-01-01"
            "&ordering=-signed_on"
        ),
        "agreements-filter-error": Page(
            "/agreements/?signed_after=2022-01-01&signed_before=2021-01-01"
        ),
        "organisations-filtered": Page("/organisations/?q=cluster&kind=cluster&ordering=name"),
        "organisations-filter-error": Page("/organisations/?party_to=no-such-agreement"),
        "commitments-filtered": Page(f"/commitments/?agreement={ACCORD}&status=announced"),
        "commitments-filter-error": Page("/commitments/?due_before=not-a-date&overdue=perhaps"),
        "sources-filtered": Page("/sources/?language=fr&q=dispositifs"),
        "sources-filter-error": Page("/sources/?language=xx"),
        "people-filtered": Page(f"/people/?organisation={HEALTH}"),
        "people-filter-error": Page("/people/?organisation=no-such-organisation"),
        "agreement": Page(accord.get_absolute_url()),
        "organisation": Page(f"/organisations/{HEALTH}/"),
        "person": Page("/people/ryad-mezzour/"),
        "commitment": Page(commitment.get_absolute_url()),
        "source": Page(article.get_absolute_url(), ready="#proposals .proposal-list"),
        "map": Page("/map/"),
        "recent-changes": Page("/changes/"),
        "disagreements": Page("/disagreements/"),
        "desk-new-commitment": Page(f"{desk}/new/commitment/?{selection}"),
        "desk-attach": Page(f"{desk}/attach/?{selection}&q=sante"),
        "source-proposals": Page(f"/sources/{ARTICLE}/proposals/"),
        "login": Page("/login/?next=/agreements/", signed_in=False),
        "api-docs-swagger": Page("/api/v1/docs/", ready=".swagger-ui .opblock-tag-section"),
        "api-docs-redoc": Page("/api/v1/redoc/", ready="#redoc-container .menu-content"),
        "admin-index": Page(reverse("admin:index")),
        "admin-changelist": Page(reverse("admin:tracker_agreement_changelist")),
        "admin-commitment": Page(reverse("admin:tracker_commitment_change", args=[commitment.pk])),
        "admin-agreement": Page(reverse("admin:tracker_agreement_change", args=[accord.pk])),
        "admin-history": Page(reverse("admin:tracker_agreement_history", args=[accord.pk])),
    }


PAGES = [
    "dashboard",
    "agreements-filtered",
    "agreements-filter-error",
    "organisations-filtered",
    "organisations-filter-error",
    "commitments-filtered",
    "commitments-filter-error",
    "sources-filtered",
    "sources-filter-error",
    "people-filtered",
    "people-filter-error",
    "agreement",
    "organisation",
    "person",
    "commitment",
    "source",
    "map",
    "recent-changes",
    "disagreements",
    "desk-new-commitment",
    "desk-attach",
    "source-proposals",
    "login",
    "api-docs-swagger",
    "api-docs-redoc",
    "admin-index",
    "admin-changelist",
    "admin-commitment",
    "admin-agreement",
    "admin-history",
]


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """The articles' data with a planted disagreement and a progress report, an editor who
    may do everything, and a server of the module's own; emptied again afterwards."""
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with django_db_blocker.unblock(), override_settings(STORAGES=storages):
        call_command("load_articles", stdout=io.StringIO())
        factories.plant_accord_disagreement()
        accord = Agreement.objects.get(slug=ACCORD)
        factories.CommitmentReportFactory(
            commitment=Commitment.objects.filter(agreement=accord).order_by("pk").first()
        )
        User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
        pages = page_addresses()
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server.url, pages
        finally:
            # Requests the closed browser left open finish on the shared connection first.
            for thread in threading.enumerate():
                if "process_request_thread" in thread.name:
                    thread.join(timeout=10)
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def signed_in_state(site, chromium_browser):
    """The cookies of the editor, signed in once through the UI's login page."""
    url, _pages = site
    context = new_browser_context(chromium_browser)
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{url}/")
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def tabs(chromium_browser, signed_in_state):
    """One browser tab per language, screen and signed-in state, reused from page to page."""
    opened = {}

    def tab(language, screen, signed_in):
        key = (language, screen, signed_in)
        if key not in opened:
            context = new_browser_context(
                chromium_browser,
                locale=language,
                screen=screen,
                storage_state=signed_in_state if signed_in else None,
            )
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.policy_complaints = watch_policies(page)
            opened[key] = page
        return opened[key]

    yield tab
    for page in opened.values():
        page.context.close()


def described(violation):
    targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
    more = len(violation["nodes"]) - len(targets)
    where = "; ".join(targets) + (f" (and {more} more)" if more > 0 else "")
    return f"- {violation['id']} [{violation['impact']}]: {violation['help']} at {where}"


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_or_critical_accessibility_violation(
    site, tabs, name, language, screen
):
    url, pages = site
    shown = pages[name]
    page = tabs(language, screen, shown.signed_in)
    response = page.goto(f"{url}{shown.address}")
    assert response.status < 500, f"{name} answered {response.status}"
    # A source's panel of proposed names waits for the language model, slow to load once.
    page.locator(shown.ready).first.wait_for(state="attached", timeout=90_000)
    page.wait_for_load_state("networkidle")
    page.policy_complaints(f"{name} ({language}, {screen})")
    lang = page.locator("html").get_attribute("lang") or ""
    assert lang.split("-")[0] == language, f"{name} is in {lang!r}, not {language!r}"

    results = Axe().run(page, options={"resultTypes": ["violations"]}).response
    # axe's own probes (inline styles while it measures colours) are refused by the policy.
    page.policy_complaints.forget()
    if os.environ.get("AXE_DUMP"):
        Path(os.environ["AXE_DUMP"], f"{name}-{language}-{screen}.json").write_text(
            json.dumps(results["violations"], indent=1)
        )
    excluded = EXCLUDED.get(name, {})
    serious = [
        violation
        for violation in results["violations"]
        if violation["impact"] in SERIOUS and violation["id"] not in excluded
    ]
    assert not serious, f"{name} ({language}, {screen}):\n" + "\n".join(map(described, serious))
