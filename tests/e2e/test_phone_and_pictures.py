"""Lists, the dashboard's timeline and the stakeholder map, measured in a real browser on a
desktop and a phone, in English and French."""

import datetime
import re

import pytest
from django.contrib.auth.models import User

from tracker.devtools import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "browse-the-tracker-42"
LISTS = ["/agreements/", "/organisations/", "/people/", "/commitments/", "/sources/"]
SCREENSHOTS = "/tmp/ui13b-{}.png"


def log_in(page, live_server, language="en"):
    if not User.objects.filter(username="staff").exists():
        User.objects.create_superuser("staff", "staff@example.org", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/admin/login/?next=/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()


def save(page, name):
    page.screenshot(path=SCREENSHOTS.format(name), full_page=True)


# What a phone shows of a list: each visible cell, its box, its label and the frame's width.
CARDS = """() => {
  const frame = document.querySelector('.results');
  const cells = [...document.querySelectorAll('.results tbody td')].filter(
    cell => cell.offsetParent !== null && cell.textContent.trim());
  const header = document.querySelector('.results thead');
  return {
    pageWidth: document.documentElement.scrollWidth,
    frameRight: frame.getBoundingClientRect().right,
    headerShown: header !== null && header.getBoundingClientRect().height > 1,
    rowsAsCards: [...document.querySelectorAll('.results tbody tr')].every(
      row => getComputedStyle(row).display === 'block'),
    scrolled: [...document.querySelectorAll('.results *')].filter(
      element => element.scrollWidth > element.clientWidth + 1
        && ['auto', 'scroll', 'hidden'].includes(getComputedStyle(element).overflowX)
        && element.clientWidth > 2).map(element => element.className || element.tagName),
    cells: cells.map(cell => ({
      label: getComputedStyle(cell, '::before').content,
      expected: cell.dataset.label,
      right: Math.max(...[...cell.querySelectorAll('*')].concat([cell]).map(
        element => element.getBoundingClientRect().right)),
    })),
  };
}"""


# Names with no place to break a line, as some records carry (a German body, an address).
LONG_WORD = "Bundesinstitut-für-Arzneimittel-und-Medizinprodukte-Zulassungsabteilung"


def records_with_long_words():
    organisation = factories.OrganisationFactory(name=LONG_WORD, acronym="BFARMZULASSUNGSSTELLE")
    agreement = factories.AgreementFactory(title=f"{LONG_WORD} agreement")
    factories.CommitmentFactory(
        agreement=agreement, party=organisation, description=f"{LONG_WORD} commitment"
    )
    person = factories.PersonFactory(name=f"{LONG_WORD}-Person")
    factories.PositionFactory(person=person, organisation=organisation)
    factories.SourceFactory(title=f"https://example.org/{LONG_WORD}/{LONG_WORD}.html")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_list_is_labelled_cards_without_sideways_scrolling_on_a_phone(
    live_server, article_data, phone_page, language
):
    records_with_long_words()
    page = phone_page
    log_in(page, live_server, language)
    for url in LISTS:
        page.goto(f"{live_server.url}{url}")
        cards = page.evaluate(CARDS)
        name = url.strip("/")
        assert cards["pageWidth"] <= 390, (url, "the page scrolls sideways")
        assert cards["scrolled"] == [], (url, "a part of the list scrolls sideways")
        assert not cards["headerShown"], (url, "the table's header row is shown")
        assert cards["rowsAsCards"], (url, "rows are not cards")
        assert cards["cells"], url
        for cell in cards["cells"]:
            assert cell["label"] == f'"{cell["expected"]}"', (url, cell)
            assert cell["right"] <= cards["frameRight"] + 1, (url, "a cell is cut off", cell)
        save(page, f"{name}-phone-{language}")


# Words of the results' cells that the browser broke across two lines (a hyphen may end a line).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.results td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_list_stays_a_table_with_headings_on_a_desktop(
    live_server, article_data, browser_page, language
):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, language)
    for url in LISTS:
        page.goto(f"{live_server.url}{url}")
        cards = page.evaluate(CARDS)
        assert cards["headerShown"] and not cards["rowsAsCards"], url
        assert cards["pageWidth"] <= 1366, url
        # A column narrows to its longest word, not below: "Convention", not "Conven/tion".
        assert page.evaluate(BROKEN_WORDS) == [], url
        save(page, f"{url.strip('/')}-desktop-{language}")


def timeline_labels(page):
    # The periods' names along the axis (the counts beside it are anchored at their end).
    periods = "text.period, text.tick[text-anchor=middle]"
    return page.evaluate(
        """() => [...document.querySelectorAll('.timeline svg')]
          .filter(svg => svg.getBoundingClientRect().width > 0)
          .map(svg => [...svg.querySelectorAll(PERIODS)].map(text => {
            const box = text.getBoundingClientRect();
            return {text: text.textContent, left: box.left, right: box.right,
                    top: box.top, bottom: box.bottom, height: box.height};
          }))""".replace("PERIODS", repr(periods))
    )


def monthly_agreements(first_year, last_year):
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            factories.AgreementFactory(signed_on=datetime.date(year, month, 28))


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("years", [(2021, 2021), (2020, 2023), (2010, 2024)])
def test_dashboard_timeline_labels_fit_and_can_be_read(
    live_server, chromium_browser, language, device, years
):
    monthly_agreements(*years)
    viewport = (
        {"width": 1366, "height": 900} if device == "desktop" else {"width": 390, "height": 844}
    )
    context = chromium_browser.new_context(
        viewport=viewport,
        device_scale_factor=2 if device == "phone" else 1,
        is_mobile=device == "phone",
        locale="en-GB",
    )
    page = context.new_page()
    try:
        log_in(page, live_server, language)
        page.goto(f"{live_server.url}/")
        charts = timeline_labels(page)
        assert len(charts) == 1, "exactly one timeline is shown"
        labels = charts[0]
        assert len(labels) >= 2, labels
        for label in labels:
            assert label["height"] >= 10, ("too small to read", label)
        for before, after in zip(labels, labels[1:], strict=False):
            assert before["right"] + 2 <= after["left"], ("labels overlap", before, after)
        assert labels[-1]["right"] <= viewport["width"], "the latest label is cut off"
        if years == (2020, 2023):
            save(page, f"dashboard-{device}-{language}")
    finally:
        context.close()


def map_facts(page):
    return page.evaluate(
        """() => ({
          names: [...document.querySelectorAll('.stakeholder-map svg .nodes a')].map(
            node => {
              const lines = [...node.querySelectorAll('text tspan')].map(line => line.textContent);
              const text = lines.length ? lines.join(' ') : node.querySelector('text').textContent;
              return text.replace(/\\s+/g, ' ').trim();
            }),
          legend: document.querySelector('.map-legend') ?
            document.querySelector('.map-legend').innerText : '',
          sortBy: document.querySelector('.filters [name=ordering]') !== null,
        })"""
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_map_shows_a_legend_and_full_names(
    live_server, article_data, browser_page, phone_page, language
):
    for device, page in (("desktop", browser_page), ("phone", phone_page)):
        log_in(page, live_server, language)
        page.goto(f"{live_server.url}/map/")
        facts = map_facts(page)
        assert "Ministère de la Santé et de la Protection sociale" in facts["names"]
        assert not [name for name in facts["names"] if name.endswith("…")]
        ministry = "Ministry" if language == "en" else "Ministère"
        assert re.search(ministry, facts["legend"]), facts["legend"]
        size = "agreements" if language == "en" else "accords"
        assert size in facts["legend"], facts["legend"]
        assert not facts["sortBy"], "the map has nothing to sort"
        save(page, f"map-{device}-{language}")
