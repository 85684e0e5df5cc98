"""Staff's day in a real browser: log in, filter, read, check the source, export, French."""

import csv
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ABA = "2021-12-29-aba-technology-mmi-cluster-partnership"
PASSWORD = "browse-the-tracker-42"


def log_in(page, live_server, screenshot, next_path):
    User.objects.create_superuser("staff", "staff@example.org", PASSWORD)
    page.goto(f"{live_server.url}{next_path}")
    assert page.url.startswith(f"{live_server.url}/login/"), "reading needs the UI's login"
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    screenshot(page, "01-log-in")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def test_filter_read_check_source_export_and_switch_to_french(
    live_server, article_data, browser_page, screenshot
):
    page = browser_page
    log_in(page, live_server, screenshot, "/agreements/")

    # Filter by two parties and a date range, in the form.
    page.fill("#id_party", "mmi-cluster")
    page.fill("#id_party_1", "aba-technology")  # the empty slot kept for another party
    page.fill("#id_signed_after", "2021-01-01")
    page.fill("#id_signed_before", "2021-12-31")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    query = parse_qs(urlparse(page.url).query)
    assert query["party"] == ["mmi-cluster", "aba-technology"]
    assert query["signed_after"] == ["2021-01-01"] and query["signed_before"] == ["2021-12-31"]
    assert page.locator(".result-count").inner_text().startswith("1 result")
    rows = page.locator(".results tbody tr")
    assert rows.count() == 1
    filtered_url = page.url
    screenshot(page, "02-agreements-filtered")

    # Open the agreement.
    rows.first.get_by_role("link").first.click()
    page.wait_for_url(f"**/agreements/{ABA}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Partnership agreement")
    screenshot(page, "03-agreement")

    # Follow a citation to its highlighted quote in the source.
    citation = page.locator("#evidence-heading + .citations a.citation-link").first
    quote = citation.locator("q").inner_text()
    citation.focus()  # and by keyboard, as someone who does not use a mouse would
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/sources/[\w-]+/#citation-\d+$"))
    anchor = urlparse(page.url).fragment
    mark = page.locator(f"mark#{anchor}")
    mark.wait_for(state="visible")
    assert "is-target" in mark.get_attribute("class")
    assert mark.evaluate("element => element.matches(':target')")
    box = mark.bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"], (
        "the quote is scrolled into view"
    )
    marked_text = page.locator(f'mark[data-citation="{anchor.split("-")[1]}"]').all_inner_texts()
    assert " ".join("".join(marked_text).split()) == " ".join(quote.split())
    screenshot(page, "04-source-quote", full_page=False)
    screenshot(page, "04-source-full")

    # Export the filtered list as CSV.
    page.goto(filtered_url)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these rows as CSV").click()
    download = download_info.value
    body = open(download.path(), encoding="utf-8-sig").read()
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header[0] == "slug" and [row[0] for row in rows] == [ABA]
    assert download.suggested_filename.startswith(
        "agreements-"
    ) and download.suggested_filename.endswith(".csv")

    # Switch to French: the same filtered list, in French, with French dates.
    page.select_option("#language-select", "fr")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Accords"
    assert page.locator(".result-count").inner_text().startswith("1 résultat")
    assert "29 décembre 2021" in page.locator(".results tbody").inner_text()
    assert parse_qs(urlparse(page.url).query)["party"] == ["mmi-cluster", "aba-technology"]
    screenshot(page, "05-agreements-french")


def test_dashboard_map_and_bad_filter_in_the_browser(
    live_server, article_data, browser_page, screenshot
):
    page = browser_page
    log_in(page, live_server, screenshot, "/")
    assert page.locator(".counts li").count() == 5
    assert page.locator(".timeline rect.timeline-bar").count() >= 1
    screenshot(page, "06-dashboard")

    page.goto(f"{live_server.url}/organisations/mmi-cluster/")
    assert page.locator(".stakeholder-map circle").count() >= 3
    screenshot(page, "07-organisation")

    page.goto(f"{live_server.url}/map/?party=mmi-cluster")
    assert page.locator(".stakeholder-map line.edge").count() >= 1
    screenshot(page, "08-map")

    page.goto(f"{live_server.url}/agreements/?party=ghost-body&page=9999")
    assert (
        "ghost-body is not one of the available choices"
        in page.locator(".filter-form").inner_text()
    )
    screenshot(page, "09-bad-filter")

    # Keyboard: the skip link is the first stop and leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"


def test_agreements_list_on_a_phone(live_server, article_data, phone_page, screenshot):
    page = phone_page
    log_in(page, live_server, screenshot, "/agreements/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, "no sideways scrolling of the whole page on a phone"
    screenshot(page, "10-agreements-phone")
