"""Arabic, the UI's third language: right to left, translated, dates and numbers localised."""

import datetime
import re
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tracker.choices import DatePrecision, Language, NameKind
from tracker.devtools import factories
from tracker.models import Agreement, Commitment, Organisation, Person, Source

LOCALE = Path(settings.BASE_DIR) / "tracker" / "locale"
ACCORD = "2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
SOURCE_004 = "maroc-booster-fabrication-locale-dispositifs-medicaux"


def get(client, url, language, **params):
    return client.get(url, params, headers={"accept-language": language})


def html_tag(response):
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


def ui_pages():
    """One address of each kind of page of the UI, from the article data."""
    agreement = Agreement.objects.get(slug=ACCORD)
    commitment = Commitment.objects.filter(agreement=agreement).first()
    source = Source.objects.get(slug=SOURCE_004)
    start = source.text.index("ministère de la Santé")
    return {
        "dashboard": "/",
        "agreements": "/agreements/",
        "organisations": "/organisations/",
        "people": "/people/",
        "commitments": "/commitments/",
        "sources": "/sources/",
        "agreement": agreement.get_absolute_url(),
        "organisation": Organisation.objects.get(slug="mmi-cluster").get_absolute_url(),
        "person": Person.objects.first().get_absolute_url(),
        "commitment": commitment.get_absolute_url(),
        "source": source.get_absolute_url(),
        "map": "/map/",
        "changes": "/changes/",
        "disagreements": "/disagreements/",
        "desk": reverse("tracker:desk-new", kwargs={"slug": source.slug, "kind": "organisation"})
        + f"?start={start}&end={start + 21}",
    }


def test_arabic_is_offered_by_the_language_switcher_in_its_own_script(admin_client):
    html = get(admin_client, "/", "en").content.decode()
    assert '<option value="ar" lang="ar">العربيّة</option>' in html
    assert '<option value="fr" lang="fr">Français</option>' in html


def test_every_page_kind_in_arabic_is_right_to_left_with_the_translated_nav(
    admin_client, article_data
):
    for kind, url in ui_pages().items():
        response = get(admin_client, url, "ar")
        assert response.status_code == HTTPStatus.OK, kind
        assert html_tag(response) == '<html lang="ar" dir="rtl">', kind
        html = response.content.decode()
        assert "الاتفاقيات" in html, kind  # "Agreements" in the nav
        assert "الالتزامات" in html, kind  # "Commitments"


def test_the_login_page_in_arabic_is_right_to_left(client):
    response = get(client, "/login/", "ar")
    assert response.status_code == HTTPStatus.OK
    assert html_tag(response) == '<html lang="ar" dir="rtl">'
    assert "تسجيل الدخول" in response.content.decode()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_english_and_french_stay_left_to_right(admin_client, language):
    response = get(admin_client, "/", language)
    assert html_tag(response) == f'<html lang="{language}" dir="ltr">'


def test_the_language_switcher_sets_arabic_for_the_ui_and_the_admin(admin_client):
    response = admin_client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    assert response.status_code == HTTPStatus.FOUND
    assert 'dir="rtl"' in html_tag(admin_client.get("/"))
    admin_page = admin_client.get(reverse("admin:tracker_commitment_changelist"))
    assert 'dir="rtl"' in html_tag(admin_page)
    assert "الالتزامات" in admin_page.content.decode()


def test_the_admin_in_arabic_is_right_to_left_with_its_rtl_stylesheet(admin_client):
    response = get(admin_client, reverse("admin:index"), "ar")
    assert 'lang="ar" dir="rtl"' in html_tag(response)
    assert "admin/css/rtl.css" in response.content.decode()


def test_a_date_in_arabic_has_its_arabic_month_name_and_western_digits(admin_client):
    agreement = factories.AgreementFactory(
        signed_on=datetime.date(2021, 12, 28), signed_on_precision=DatePrecision.DAY
    )
    html = get(admin_client, agreement.get_absolute_url(), "ar").content.decode()
    # Morocco's month names (CLDR ar-MA), not the Middle East's "ديسمبر".
    assert "28 دجنبر 2021" in html
    assert not re.search("[\u0660-\u0669]", html)  # no Arabic-Indic digit anywhere


@pytest.mark.parametrize(
    ("day", "month"),
    [(datetime.date(2022, 5, 1), "ماي 2022"), (datetime.date(2022, 8, 1), "غشت 2022")],
)
def test_a_month_in_arabic_is_named_as_morocco_names_it(admin_client, day, month):
    agreement = factories.AgreementFactory(signed_on=day, signed_on_precision=DatePrecision.MONTH)
    html = get(admin_client, agreement.get_absolute_url(), "ar").content.decode()
    assert month in html


def test_a_date_in_french_reads_day_month_year(admin_client):
    agreement = factories.AgreementFactory(
        signed_on=datetime.date(2021, 12, 28), signed_on_precision=DatePrecision.DAY
    )
    assert (
        "28 décembre 2021" in get(admin_client, agreement.get_absolute_url(), "fr").content.decode()
    )


@pytest.mark.parametrize(
    ("language", "shown"), [("ar", "9.648"), ("fr", "9\u202f648"), ("en", "9,648")]
)
def test_a_number_is_grouped_as_its_language_groups_it(admin_client, language, shown):
    organisation = factories.OrganisationFactory(members=9648)
    html = get(admin_client, organisation.get_absolute_url(), language).content.decode()
    assert re.search(rf"<dd>{re.escape(shown)}</dd>", html.replace("\xa0", "\u202f"))


def test_the_csv_keeps_iso_dates_and_plain_numbers_in_arabic(admin_client):
    factories.AgreementFactory(
        signed_on=datetime.date(2021, 12, 28), signed_on_precision=DatePrecision.DAY
    )
    response = get(admin_client, "/agreements/", "ar", format="csv")
    text = (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )
    assert "2021-12-28" in text
    assert "دجنبر" not in text


def po_entries(path):
    """{msgid (or (msgid, msgid_plural)): [msgstr, ...]} of a .po file, header left out."""
    entries, current, key = {}, None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
        if match:
            key = match.group(1)
            if key == "msgid":
                current = {"msgid": "", "msgstr": []}
                entries.setdefault("_pending", []).append(current)
            if key.startswith("msgstr"):
                current["msgstr"].append("")
            current_value = match.group(2)
        elif line.startswith('"') and current is not None:
            current_value = line[1:-1]
        else:
            continue
        if key.startswith("msgstr"):
            current["msgstr"][-1] += current_value
        else:
            current[key] = current.get(key, "") + current_value
    result = {}
    for entry in entries.get("_pending", []):
        if entry["msgid"]:
            result[(entry["msgid"], entry.get("msgid_plural"))] = entry["msgstr"]
    return result


def test_the_arabic_catalogue_translates_every_french_msgid():
    french = po_entries(LOCALE / "fr" / "LC_MESSAGES" / "django.po")
    arabic = po_entries(LOCALE / "ar" / "LC_MESSAGES" / "django.po")
    assert set(french) - set(arabic) == set()
    untranslated = [msgid for msgid, forms in arabic.items() if not all(forms)]
    assert untranslated == []
    plurals = {msgid: forms for msgid, forms in arabic.items() if msgid[1]}
    assert plurals and all(len(forms) == 6 for forms in plurals.values())


def test_placeholders_survive_the_arabic_translation():
    arabic = po_entries(LOCALE / "ar" / "LC_MESSAGES" / "django.po")
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for (msgid, plural), forms in arabic.items():
        expected = set(placeholder.findall(msgid)) | set(placeholder.findall(plural or ""))
        for form in forms:
            assert set(placeholder.findall(form)) <= expected, msgid
            if not plural:
                assert set(placeholder.findall(form)) == expected, msgid


@pytest.mark.parametrize(
    "count, shown",
    [(1, "إشارة واحدة"), (2, "إشارتان"), (5, "5 إشارات"), (11, "11 إشارةً"), (100, "100 إشارة")],
)
def test_a_record_page_counts_mentions_with_the_arabic_word_for_a_mention(count, shown):
    """A source's mentions of a record are إشارات (references); the word used before, أذكار,
    means religious litanies."""
    template = Template(
        "{% load i18n %}{% blocktranslate count counter=count %}{{ counter }} mention"
        "{% plural %}{{ counter }} mentions{% endblocktranslate %}"
    )
    with translation.override("ar"):
        assert template.render(Context({"count": count})) == shown


def test_an_arabic_other_name_saves_and_is_found_by_search(admin_client):
    organisation = factories.OrganisationFactory(name="Ministry of Industry and Trade")
    other = factories.OrganisationNameFactory.build(
        organisation=organisation,
        name="وزارة الصناعة والتجارة",
        kind=NameKind.TRANSLATION,
        language=Language.ARABIC,
    )
    other.full_clean()
    other.save()
    organisation.save()  # the search text follows its other names
    response = get(admin_client, "/organisations/", "ar", q="وزارة الصناعة")
    assert organisation.get_absolute_url() in response.content.decode()


def test_the_admin_history_arrow_points_the_way_arabic_reads(admin_client):
    organisation = factories.OrganisationFactory(name="Old name")
    organisation.name = "New name"
    organisation.save()
    url = reverse("admin:tracker_organisation_history", args=[organisation.pk])
    # Each value is isolated, so the arrow takes the page's direction and points from the old
    # value to the new one: leftwards when Arabic reads right to left.
    arabic = get(admin_client, url, "ar").content.decode()
    assert "<bdi>Old name</bdi> ← <bdi>New name</bdi>" in arabic
    english = get(admin_client, url, "en").content.decode()
    assert "<bdi>Old name</bdi> → <bdi>New name</bdi>" in english


STYLESHEETS = sorted((Path(settings.BASE_DIR) / "tracker" / "static" / "tracker").glob("**/*.css"))
PHYSICAL_SIDE = re.compile(
    r"(?<![\w-])(?:margin|padding|border)-(?:left|right)\b|(?<![\w-])(?:left|right)\s*:"
    r"|text-align\s*:\s*(?:left|right)\b|float\s*:\s*(?:left|right)\b"
)


@pytest.mark.parametrize("path", STYLESHEETS, ids=lambda path: path.name)
def test_the_stylesheets_mirror_right_to_left_with_logical_properties(path):
    """One stylesheet serves both directions: no side is named as left or right."""
    css = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    assert PHYSICAL_SIDE.findall(css) == []


def test_map_labels_keep_their_own_scripts_direction_in_arabic(admin_client):
    french = factories.OrganisationFactory(name="Moroccan Medical & Biomedical Industrial Cluster")
    arabic = factories.OrganisationFactory(name="وزارة الصناعة والتجارة")
    agreement = factories.AgreementFactory()
    for organisation in (french, arabic):
        factories.AgreementPartyFactory(agreement=agreement, organisation=organisation)
    html = get(admin_client, "/map/", "ar").content.decode()
    labels = dict(
        (text, direction)
        for direction, text in re.findall(
            r'<text [^>]*direction="(\w+)"[^>]*><tspan[^>]*>([^<]+)', html
        )
    )
    # A French name's "&" stays at the end of its line, not thrown to the start by the page's
    # right-to-left direction; an Arabic name reads right to left.
    assert labels["Moroccan Medical &amp;"] == "ltr"
    assert labels["وزارة الصناعة والتجارة"] == "rtl"


def test_the_admin_offers_every_language_and_brings_the_page_back_in_the_one_chosen(admin_client):
    page = reverse("admin:tracker_agreement_changelist")
    html = admin_client.get(page).content.decode()
    switcher = re.search(r'<form action="/i18n/setlang/".*?</form>', html, re.S)
    assert switcher, "the admin has no language switcher"
    offered = re.findall(r'<option value="(\w+)"', switcher.group(0))
    assert offered == [code for code, _name in settings.LANGUAGES]
    assert f'name="next" type="hidden" value="{page}"' in switcher.group(0)
    response = admin_client.post(reverse("set_language"), {"language": "ar", "next": page})
    assert response.url == page
    assert 'dir="rtl"' in html_tag(admin_client.get(page))
