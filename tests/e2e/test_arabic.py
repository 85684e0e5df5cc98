"""Arabic in a real browser: right to left, nothing sideways, on a desktop and a phone."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tracker.models import Agreement, Commitment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "browse-the-tracker-42"
ACCORD = "2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}

# What a reader would notice of the page's direction and width.
MEASURE = """(header) => {
  const box = element => element.getBoundingClientRect();
  const first = document.querySelector(header.first);
  const second = document.querySelector(header.second);
  const frames = [...document.querySelectorAll('body *')].filter(element => {
    const overflow = getComputedStyle(element).overflowX;
    return ['auto', 'scroll', 'hidden'].includes(overflow) && element.clientWidth > 2
      && element.scrollWidth > element.clientWidth + 1;
  });
  return {
    dir: document.documentElement.dir,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    firstRight: box(first).right,
    firstLeft: box(first).left,
    secondRight: second ? box(second).right : null,
    secondTop: second ? box(second).top : null,
    firstTop: box(first).top,
    clipped: frames.map(element => element.className || element.id || element.tagName),
  };
}"""
UI_HEADER = {
    "first": ".site-header nav li:first-child a",
    "second": ".site-header nav li:nth-child(2) a",
}
ADMIN_HEADER = {"first": "#site-name", "second": "#user-tools"}


@pytest.fixture
def arabic_pages(live_server, article_data, chromium_browser):
    """A logged-in browser context in Arabic, one per window size."""
    User.objects.create_superuser("staff", "staff@example.org", PASSWORD)
    contexts = []

    def open_page(size):
        width, height = SIZES[size]
        context = chromium_browser.new_context(
            viewport={"width": width, "height": height},
            is_mobile=size == "phone",
            has_touch=size == "phone",
            locale="ar-MA",
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login/?next=/")
        page.fill("#id_username", "staff")
        page.fill("#id_password", PASSWORD)
        page.click(".login-form [type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def pages_to_check():
    commitment = Commitment.objects.filter(agreement__slug=ACCORD).first()
    return [
        ("dashboard", "/", UI_HEADER),
        ("agreements", "/agreements/", UI_HEADER),
        ("agreement", Agreement.objects.get(slug=ACCORD).get_absolute_url(), UI_HEADER),
        ("map", "/map/", UI_HEADER),
        (
            "admin-commitment",
            reverse("admin:tracker_commitment_change", args=[commitment.pk]),
            ADMIN_HEADER,
        ),
    ]


@pytest.mark.parametrize("size", SIZES)
def test_arabic_pages_read_right_to_left_without_sideways_scrolling(
    live_server, arabic_pages, screenshot, size
):
    page = arabic_pages(size)
    for name, path, header in pages_to_check():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state()
        shown = page.evaluate(MEASURE, header)
        screenshot(page, f"arabic-{name}-{size}")
        screenshot(page, f"arabic-{name}-{size}-top", full_page=False)
        assert shown["dir"] == "rtl", name
        assert shown["scrollWidth"] <= shown["innerWidth"], (name, shown)
        # The header starts at the right: its first item ends near the right edge, and the
        # next one sits to its left (or, wrapped on a phone, below it).
        assert shown["firstRight"] >= shown["innerWidth"] * 0.75, (name, shown)
        if shown["secondRight"] is not None and shown["secondTop"] == shown["firstTop"]:
            assert shown["secondRight"] <= shown["firstLeft"], (name, shown)
        # Nothing is cut off but what pans or shortens by design, in either direction: the map
        # on a phone, a long chosen name in the admin's select boxes (an ellipsis), and on a
        # phone the admin's tabular inlines, which scroll inside their own box.
        by_design = {"map-frame", "select2-selection__rendered"}
        if size == "phone":
            by_design.add("js-inline-admin-formset inline-group")
        assert set(shown["clipped"]) - by_design == set(), (name, shown["clipped"])


# Where a paragraph's first letter puts its full stop, and which way a quote's marks face.
READING = """() => {
  const summary = document.querySelector('section[aria-labelledby=summary-heading] p');
  const quote = document.querySelector('.citations q');
  const range = document.createRange();
  range.selectNodeContents(summary);
  const rects = [...range.getClientRects()];
  const last = rects[rects.length - 1];
  return {
    text: summary.textContent.trim(),
    lastLineLeft: last.left - summary.getBoundingClientRect().left,
    quotes: getComputedStyle(quote).quotes,
  };
}"""


def test_a_french_or_english_text_in_an_arabic_page_reads_as_written(live_server, arabic_pages):
    """A summary written in English starts at the left and ends with its full stop; a quote
    opens with the mark its language opens with."""
    page = arabic_pages("desktop")
    agreement = Agreement.objects.exclude(summary="").first()
    page.goto(f"{live_server.url}{agreement.get_absolute_url()}")
    shown = page.evaluate(READING)
    assert shown["text"].endswith(".")
    # Written left to right, its last (short) line starts at the paragraph's left edge.
    assert shown["lastLineLeft"] < 5, shown
    assert shown["quotes"].startswith('"“" "”"'), shown
