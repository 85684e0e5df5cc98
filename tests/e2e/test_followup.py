"""Following a promise in a real browser: a later article's sentence becomes a progress report."""

import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tracker.choices import CommitmentStatus
from tracker.models import Commitment, CommitmentReport, Source

from .conftest import ARTIFACTS
from .test_desk import select_offsets

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "follow-the-promise-42"
HEALTH_COMMITMENT = "health-ministry-expertise-for-local-manufacturers"
# A later article, made up for the test: it reports that the promise is being kept.
PROGRESS = (
    "Le ministère de la Santé a commencé à accompagner les premiers industriels locaux : "
    "ses experts suivent désormais six projets de dispositifs médicaux."
)
LATER_ARTICLE = (
    "Dispositifs médicaux : premiers pas du sourcing local\n\n"
    "Un an après l’accord, les industriels font le point.\n\n"
    f"{PROGRESS}\n\n"
    "Les groupes de santé préparent leurs premières commandes."
)

LABELS = {
    "en-GB": {
        "report": "Progress report",
        "save": "Save the record and its quote",
        "in_progress": "In progress",
        "changed": "Status changed recently",
    },
    "fr-FR": {
        "report": "Point d’étape",
        "save": "Enregistrer la fiche et sa citation",
        "in_progress": "En cours",
        "changed": "Statut changé récemment",
    },
}


def fits_the_width(page):
    width = page.viewport_size["width"]
    return page.evaluate("document.documentElement.scrollWidth") <= width


def element_shot(page, selector, name):
    """A picture of one part of the page, readable where a full phone page is a thin strip."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(selector).screenshot(path=str(ARTIFACTS / f"{name}.png"))


def look_at(watched_pages, state, language, size, url, selector, name, screenshot):
    """The page as the signed-in user sees it at another size, for a screenshot."""
    page = watched_pages(language, size, state)
    page.goto(url)
    assert fits_the_width(page), (name, url)
    screenshot(page, name)
    element_shot(page, selector, f"{name}-part")
    page.policy_complaints(name)


@pytest.mark.parametrize(
    "language, phone", [("en-GB", False), ("fr-FR", True)], ids=["english-desktop", "french-phone"]
)
def test_a_later_articles_sentence_records_progress_and_the_promise_follows_it(
    live_server, watched_pages, article_data, screenshot, language, phone
):
    labels = LABELS[language]
    User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    commitment = Commitment.objects.get(slug=HEALTH_COMMITMENT)
    assert commitment.status == CommitmentStatus.ANNOUNCED
    later = Source.objects.create(
        slug="premiers-pas-sourcing-local",
        title="Premiers pas du sourcing local",
        language="fr",
        text=LATER_ARTICLE,
        published_on=timezone.localdate(),
    )
    today = timezone.localdate()
    page = watched_pages(language, "phone" if phone else "desktop")
    name = f"followup-{language[:2]}-{'phone' if phone else 'desktop'}"

    # Sign in on the way to the later article's page.
    source_path = later.get_absolute_url()
    page.goto(f"{live_server.url}{source_path}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(source_path) + "$"))

    # Select the sentence that reports progress, and choose "progress report".
    start = later.text.index(PROGRESS)
    select_offsets(page, start, start + len(PROGRESS))
    page.locator("#desk-controls").wait_for(state="visible")
    page.locator("#desk-panel").get_by_role("button", name=labels["report"], exact=True).click()
    page.wait_for_url(re.compile(r"/desk/new/report/\?"))
    assert " ".join(page.input_value("#id_summary").split()) == PROGRESS
    page.fill("#id_commitment", HEALTH_COMMITMENT)
    page.fill("#id_reported_on", today.isoformat())
    page.select_option("#id_reported_on_precision", "day")
    page.select_option("#id_status", "in_progress")
    page.fill("#id_summary", "Six projects now followed by the ministry's experts.")
    assert fits_the_width(page)
    screenshot(page, f"{name}-1-report-form")
    page.get_by_role("button", name=labels["save"]).click()
    page.wait_for_url(re.compile(re.escape(source_path) + r"#citation-\d+$"))

    # The commitment follows its latest report.
    report = CommitmentReport.objects.get(commitment=commitment)
    citation = report.citations.get()
    assert (citation.source, citation.quote) == (later, PROGRESS)
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.IN_PROGRESS

    # Its page: the new status, and a timeline of both steps, each with its linked quote.
    commitment_url = f"{live_server.url}{commitment.get_absolute_url()}"
    page.goto(commitment_url)
    facts = page.locator(".facts")
    assert labels["in_progress"] in facts.inner_text()
    steps = page.locator(".progress-timeline > .timeline-step")
    assert steps.count() == 2
    promise_quote = commitment.citations.first()
    assert steps.nth(0).locator(f'a[href="{promise_quote.get_absolute_url()}"]').count() == 1
    report_link = steps.nth(1).locator(f'a[href="{citation.get_absolute_url()}"]')
    assert " ".join(report_link.inner_text().split()) == PROGRESS
    assert labels["in_progress"] in steps.nth(1).locator(".badge").inner_text()
    # A vertical timeline: the report's step is below the promise's, the same width.
    first, second = steps.nth(0).bounding_box(), steps.nth(1).bounding_box()
    assert second["y"] > first["y"] + first["height"] - 1 and second["x"] == first["x"]
    assert fits_the_width(page)
    screenshot(page, f"{name}-2-commitment")
    element_shot(page, ".progress-timeline", f"{name}-2-commitment-part")

    # The dashboard's attention panel shows the change.
    page.goto(f"{live_server.url}/")
    changed = page.locator(".attention-status_changed")
    assert labels["changed"] in changed.locator("h3").inner_text()
    assert changed.locator(f'a[href="{commitment.get_absolute_url()}"]').count() == 1
    assert fits_the_width(page)
    screenshot(page, f"{name}-3-dashboard")
    element_shot(page, ".attention", f"{name}-3-dashboard-part")
    page.policy_complaints("following the promise")

    # The same pages at the other size.
    state = page.context.storage_state()
    other = "desktop" if phone else "phone"
    other_name = f"followup-{language[:2]}-{other}"
    look_at(
        watched_pages,
        state,
        language,
        other,
        commitment_url,
        ".progress-timeline",
        f"{other_name}-2-commitment",
        screenshot,
    )
    look_at(
        watched_pages,
        state,
        language,
        other,
        f"{live_server.url}/",
        ".attention",
        f"{other_name}-3-dashboard",
        screenshot,
    )
