"""Pages, the admin and the API docs run whole under the Content-Security-Policy."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User

from tracker.models import Agreement

from .conftest import watch_policies

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ABA = "2021-12-29-aba-technology-mmi-cluster-partnership"
PASSWORD = "policies-hold-42"


@pytest.fixture
def watched_page(browser_page):
    """The page, with every policy complaint (violation event or console message) kept."""
    browser_page.policy_complaints = watch_policies(browser_page)
    return browser_page


def log_in(page, live_server):
    User.objects.create_superuser("staff", "staff@example.org", PASSWORD)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_pages_admin_and_api_docs_run_with_no_policy_violation(
    live_server, article_data, watched_page, screenshot
):
    page = watched_page
    log_in(page, live_server)
    page.policy_complaints("admin index")

    # The dashboard: its share bars keep their widths without inline styles.
    page.goto(f"{live_server.url}/")
    bars = page.locator(".share-bar .bar")
    assert bars.count() >= 1
    widths = [box["width"] for box in (bar.bounding_box() for bar in bars.all()) if box]
    assert max(widths) > 50, widths  # a share drawn at its size, not collapsed
    assert (
        page.locator("header.site-header").evaluate("element => getComputedStyle(element).display")
        != "inline"
    ), "the site's stylesheet applies"
    screenshot(page, "11-dashboard-under-policy")
    page.policy_complaints("dashboard")

    # A filtered list, with the suggestions script fetching as one types.
    page.goto(f"{live_server.url}/agreements/")
    page.fill("#id_party", "clus")
    suggestions = page.locator("#id_party").get_attribute("list")
    page.locator(f"datalist#{suggestions} option").first.wait_for(state="attached")
    page.policy_complaints("agreement list and its suggestions")

    # The admin change form: the autocomplete of a party, the date widget, the history.
    agreement = Agreement.objects.get(slug=ABA)
    page.goto(f"{live_server.url}/admin/tracker/agreement/{agreement.pk}/change/")
    page.locator(".select2-selection").first.click()
    with page.expect_response(
        lambda answer: "/admin/autocomplete/" in answer.url and "term=clus" in answer.url
    ) as autocomplete:
        page.locator(".select2-search__field").fill("clus")
    assert autocomplete.value.ok
    option = page.locator(".select2-results__option", has_text="Cluster").first
    option.wait_for()
    screenshot(page, "12-admin-autocomplete", full_page=False)
    option.click()
    page.locator("#id_signed_on").scroll_into_view_if_needed()
    page.locator(".datetimeshortcuts a[id^=calendarlink]").first.click()
    assert page.locator(".calendarbox").first.is_visible()
    screenshot(page, "13-admin-calendar", full_page=False)
    page.keyboard.press("Escape")
    page.policy_complaints("admin change form")

    page.goto(f"{live_server.url}/admin/tracker/agreement/{agreement.pk}/history/")
    assert page.locator("#change-history, table").first.is_visible()
    screenshot(page, "14-admin-history")
    page.policy_complaints("admin history")

    # The API docs: Swagger UI and ReDoc draw the schema, styled.
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    page.locator(".opblock-tag-section").first.wait_for()
    screenshot(page, "15-api-docs-swagger")
    page.policy_complaints("Swagger UI")

    page.goto(f"{live_server.url}/api/v1/redoc/")
    heading = page.locator("#redoc-container h1").first
    heading.wait_for()
    assert "Stakeholder tracker API" in heading.inner_text()
    menu = page.locator("#redoc-container .menu-content").first
    assert menu.evaluate("element => getComputedStyle(element).position") in {
        "sticky",
        "fixed",
    }, "ReDoc's own styles apply"
    screenshot(page, "16-api-docs-redoc", full_page=False)
    page.policy_complaints("ReDoc")


def test_the_api_docs_and_pages_make_no_request_to_another_host(
    live_server, article_data, browser_page
):
    page = browser_page
    own = urlsplit(live_server.url).netloc
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if urlsplit(request.url).scheme in {"http", "https"}
            and urlsplit(request.url).netloc != own
            else None
        ),
    )
    log_in(page, live_server)
    for path in ("/", "/agreements/", f"/agreements/{ABA}/", "/map/", "/api/v1/docs/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/api/v1/redoc/")
    page.locator("#redoc-container .menu-content").first.wait_for()
    # ReDoc draws its menu's logo once mounted: wait for the image, then for the network.
    page.locator("#redoc-container .menu-content img").first.wait_for(state="attached")
    page.wait_for_load_state("networkidle")
    assert outside == []
