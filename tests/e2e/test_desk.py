"""The reading desk in a real browser: a new article's sentence becomes a commitment."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tracker.models import Citation, Commitment, Source

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "read-the-desk-42"
ACCORD = "2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
HEALTH = "ministere-sante-protection-sociale"
ARTICLE = "maroc-booster-fabrication-locale-dispositifs-medicaux"
NEW_SOURCE = "le-maroc-veut-booster-la-fabrication-locale"
SENTENCE = (
    "Le ministère de la Santé se chargera de mettre à la disposition des établissements "
    "industriels locaux toute l’expertise institutionnelle, le potentiel humain et technique "
    "qualifié pour les accompagner."
)


SAVED_PAGE = Path(__file__).resolve().parents[1] / "pages" / "004_maroc_dispositifs_medicaux.html"


@pytest.fixture
def article_taken_out(article_data):
    """The tracker with the records the articles name, without the 004 article.

    The article's source, and the Ministry of Health's commitment that only it records, are
    taken out of the loaded data, so that the article can come in as a new source.
    """
    article = Source.objects.get(slug=ARTICLE)
    Citation.objects.filter(source=article).delete()
    Commitment.objects.filter(slug="health-ministry-expertise-for-local-manufacturers").delete()
    text, title = article.text, article.title
    article.delete()
    return text, title


@pytest.fixture
def new_article(article_taken_out):
    """The 004 article back in as a source of its own, with the text the seed gives."""
    text, title = article_taken_out
    return Source.objects.create(
        slug=NEW_SOURCE, title=title, language="fr", text=text, published_on=None
    )


def select_offsets(page, start, end):
    """Select characters start to end of the stored text, as a drag over them would: each
    text run of the page carries the offset of its first character (`data-start`)."""
    page.evaluate(
        """([start, end]) => {
            const place = offset => {
                for (const run of document.querySelectorAll("#source-text [data-start]")) {
                    const first = Number(run.dataset.start);
                    const text = run.firstChild;
                    if (first <= offset && offset <= first + text.data.length)
                        return [text, offset - first];
                }
            };
            const range = document.createRange();
            range.setStart(...place(start));
            range.setEnd(...place(end));
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }""",
        [start, end],
    )


@pytest.mark.parametrize(
    "language, phone, labels",
    [
        ("en-GB", False, {"create": "Commitment", "save": "Save the record and its quote"}),
        ("fr-FR", True, {"create": "Engagement", "save": "Enregistrer la fiche et sa citation"}),
    ],
    ids=["english-desktop", "french-phone"],
)
def test_a_sentence_selected_in_a_new_article_becomes_a_commitment_in_one_save(
    live_server, watched_pages, article_taken_out, screenshot, language, phone, labels
):
    User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    page = watched_pages(language, "phone" if phone else "desktop")
    name = f"desk-{'fr-phone' if phone else 'en-desktop'}"

    # Log in to the admin and add the article from its saved web page.
    page.goto(f"{live_server.url}/admin/tracker/source/add-from/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/add-from/$"))
    page.set_input_files("#id_file", str(SAVED_PAGE))
    screenshot(page, f"{name}-0-add-source")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/tracker/source/\d+/change/$"))
    new_article = Source.objects.get(text__contains="Le ministère de la Santé se chargera")
    assert "Partager" not in new_article.text, "the page's furniture is left out"

    # Its page in the UI shows the organisations it mentions.
    source_path = new_article.get_absolute_url()
    page.goto(f"{live_server.url}{source_path}")
    page.wait_for_url(re.compile(re.escape(source_path) + "$"))
    # The organisations it names are underlined and listed beside the text.
    for slug in ("amgs", "mmi-cluster"):
        assert page.locator(f'#source-text mark.mention[data-slug="{slug}"]').count() >= 1
        assert page.locator(f'#mentions a[href="/organisations/{slug}/"]').count() == 1
    # Names the tracker does not know yet arrive in their panel once found.
    page.locator("#proposals .proposal-list").wait_for(state="attached", timeout=90_000)
    panel = page.locator("#desk-panel")
    assert panel.is_visible()
    assert not page.locator("#desk-controls").is_visible(), "the controls wait for a selection"

    # Select the Ministry of Health's sentence: three clicks take its paragraph.
    page.locator("#source-text span", has_text="qualifié pour les accompagner").click(click_count=3)
    page.locator("#desk-controls").wait_for(state="visible")
    assert " ".join(page.locator("#desk-chosen-text").inner_text().split()) == SENTENCE
    start = int(page.input_value("#desk-start"))
    end = int(page.input_value("#desk-end"))
    assert new_article.text[start:end].strip() == SENTENCE
    box = panel.bounding_box()
    width = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, "the panel fits the screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert panel.evaluate("element => element.scrollWidth <= element.clientWidth")
    screenshot(page, f"{name}-1-selection", full_page=False)

    # Create the commitment from it: the form comes prefilled with the sentence.
    panel.get_by_role("button", name=labels["create"], exact=True).click()
    page.wait_for_url(re.compile(r"/desk/new/commitment/\?"))
    assert page.input_value("#id_description") == SENTENCE
    page.fill("#id_agreement", ACCORD)
    page.fill("#id_party", HEALTH)
    page.select_option("#id_category", "expertise")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"{name}-2-form")
    page.get_by_role("button", name=labels["save"]).click()

    # Back on the source page, the quote is highlighted where it was selected.
    page.wait_for_url(re.compile(re.escape(source_path) + r"#citation-\d+$"))
    commitment = Commitment.objects.get(description=SENTENCE)
    citation = commitment.citations.get()
    assert (citation.quote, citation.start, citation.end) == (SENTENCE, start, end)
    mark = page.locator(f"mark#citation-{citation.pk}")
    mark.wait_for(state="visible")
    # Names inside the quote cut it into pieces; the first carries its id, all its number.
    pieces = page.locator(f'mark[data-citation="{citation.pk}"]').all_inner_texts()
    assert " ".join("".join(pieces).split()) == SENTENCE
    assert "is-target" in mark.get_attribute("class")
    assert page.locator(".desk-messages").is_visible()
    screenshot(page, f"{name}-3-quote-highlighted", full_page=False)

    # The agreement's page lists the commitment, with its quote from the new article.
    page.goto(f"{live_server.url}/agreements/{ACCORD}/")
    entry = page.locator("h3", has_text="Le ministère de la Santé se chargera")
    entry.wait_for(state="visible")
    assert page.locator(f'a[href="{source_path}#citation-{citation.pk}"]').count() == 1
    entry.scroll_into_view_if_needed()
    screenshot(page, f"{name}-4-agreement", full_page=False)
    page.policy_complaints("the desk, from the new source to the agreement")


def test_a_selection_is_cited_for_an_existing_record_found_as_one_types(
    live_server, watched_pages, new_article, screenshot
):
    User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    page = watched_pages()
    source_path = new_article.get_absolute_url()
    page.goto(f"{live_server.url}{source_path}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(source_path) + "$"))

    # The words that name the association, selected inside a longer sentence.
    words = "l’Association marocaine des groupes de santé (AMGS)"
    start = new_article.text.index(words)
    select_offsets(page, start, start + len(words))
    page.locator("#desk-controls").wait_for(state="visible")
    page.fill("#desk-q", "groupes sante")
    organisation = page.locator(
        "#desk-found button", has_text="Organisation: Association marocaine des groupes de santé"
    )
    organisation.wait_for(state="visible")
    screenshot(page, "desk-en-desktop-attach-found", full_page=False)
    organisation.click()
    page.wait_for_url(re.compile(re.escape(source_path) + r"#citation-\d+$"))
    citation = Citation.objects.get(source=new_article)
    assert citation.quote == words and citation.organisation.acronym == "AMGS"
    assert new_article.text[citation.start : citation.end] == words
    page.policy_complaints("citing a selection for a record found")
