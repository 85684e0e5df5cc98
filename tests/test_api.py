import datetime
import io
import time
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tracker import roles
from tracker.api import throttle_store, throttling
from tracker.choices import (
    AgreementKind,
    CommitmentCategory,
    CommitmentStatus,
    Language,
    LinkKind,
    NameKind,
    PartyRole,
)
from tracker.devtools import factories
from tracker.models import Citation

pytestmark = pytest.mark.django_db

API = "/api/v1"
ACCORD = "2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    """Pages and throttle counts live in tables no transactional test flushes."""
    cache.clear()
    caches["throttle"].clear()
    yield
    cache.clear()
    caches["throttle"].clear()


@pytest.fixture(autouse=True)
def throttle_clock(monkeypatch):
    """Counts are per clock window (a minute for "2/minute"): a test must not straddle two.

    The clock stops at the start of the current minute: a cache server (Redis) expires a
    window's counter on its own clock, a whole window after the counter is opened, never
    within the test.
    """
    now = time.time() // 60 * 60
    monkeypatch.setattr(
        throttling.WindowCountMixin, "timer", staticmethod(lambda: now), raising=False
    )


@pytest.fixture
def partner(django_user_model):
    user = django_user_model.objects.create_user("partner")
    roles.assign(user, roles.PARTNERS)
    return user


@pytest.fixture
def api(partner):
    """A client with a token, as a partner's script would send it."""
    token = Token.objects.create(user=partner)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.fixture
def anonymous():
    return APIClient()


def get_ok(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def slugs(api, url, **params):
    return [record["slug"] for record in get_ok(api, url, **params)["results"]]


def ids(api, url, **params):
    return [record["id"] for record in get_ok(api, url, **params)["results"]]


def cite(record, source=None, **fields):
    """A citation of `record`, quoting the start of a source."""
    field = {
        "Organisation": "organisation",
        "OrganisationLink": "organisation_link",
        "Person": "person",
        "Position": "position",
        "Agreement": "agreement",
        "AgreementParty": "agreement_party",
        "Commitment": "commitment",
        "CommitmentReport": "report",
    }[type(record).__name__]
    source = source or factories.SourceFactory()
    return factories.CitationFactory(
        **{"source": source, "organisation": None, field: record, **fields}
    )


def full_agreement(parties=2, **fields):
    """An agreement with parties, a commitment per party, and evidence for each of them."""
    agreement = factories.AgreementFactory(**fields)
    source = factories.SourceFactory()
    cite(agreement, source)
    for _ in range(parties):
        party = factories.AgreementPartyFactory(
            agreement=agreement, signed_by=factories.PersonFactory()
        )
        cite(party, source)
        cite(factories.CommitmentFactory(agreement=agreement, party=party.organisation), source)
    return agreement


def full_organisation(**fields):
    organisation = factories.OrganisationFactory(**fields)
    factories.OrganisationNameFactory(organisation=organisation)
    factories.OrganisationLinkFactory(from_organisation=organisation)
    factories.OrganisationLinkFactory(to_organisation=organisation)
    factories.PositionFactory(organisation=organisation)
    cite(organisation)
    return organisation


def full_person(**fields):
    person = factories.PersonFactory(**fields)
    factories.PositionFactory(person=person)
    cite(person)
    return person


def full_commitment(**fields):
    commitment = factories.CommitmentFactory(**fields)
    cite(commitment)
    return commitment


def reported_commitment(**fields):
    """A cited commitment with two cited progress reports."""
    commitment = full_commitment(**fields)
    signed = commitment.agreement.signed_on
    for days, status in ((30, CommitmentStatus.IN_PROGRESS), (400, CommitmentStatus.MET)):
        report = factories.CommitmentReportFactory(
            commitment=commitment, reported_on=signed + datetime.timedelta(days=days), status=status
        )
        cite(report)
    return commitment


def full_source(**fields):
    source = factories.SourceFactory(**fields)
    cite(factories.OrganisationFactory(), source)
    return source


ENDPOINTS = {
    "organisations": full_organisation,
    "people": full_person,
    "agreements": full_agreement,
    "commitments": reported_commitment,
    "sources": full_source,
}


def detail_url(endpoint, record):
    key = record.pk if endpoint == "commitments" else record.slug
    return f"{API}/{endpoint}/{key}/"


# Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_reading_without_credentials_is_refused(anonymous, endpoint):
    record = ENDPOINTS[endpoint]()
    for url in (f"{API}/{endpoint}/", detail_url(endpoint, record)):
        response = anonymous.get(url)
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response["WWW-Authenticate"] == "Token"
        assert "credentials" in response.json()["detail"]


def test_a_wrong_token_is_refused(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = anonymous.get(f"{API}/agreements/")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Invalid token."}


def test_a_signed_in_user_reads_with_their_session(client, partner):
    full_agreement()
    client.force_login(partner)
    response = client.get(f"{API}/agreements/")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == 1


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_public_read_setting_opens_reading_to_anyone(anonymous, settings, endpoint):
    settings.TRACKER_PUBLIC_READ = True
    record = ENDPOINTS[endpoint]()
    assert get_ok(anonymous, f"{API}/{endpoint}/")["count"] >= 1
    get_ok(anonymous, detail_url(endpoint, record))


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_write_answers_405(api, endpoint, method):
    record = ENDPOINTS[endpoint]()
    for url in (f"{API}/{endpoint}/", detail_url(endpoint, record)):
        response = getattr(api, method)(url, {"title": "changed"}, format="json")
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert method.upper() in response.json()["detail"]
        assert "GET" in response["Allow"]


def test_writes_answer_405_without_credentials_too(anonymous):
    # No credentials would make a write work, so the answer does not suggest any.
    response = anonymous.post(f"{API}/agreements/", {}, format="json")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_anonymous_and_signed_in_clients_are_throttled(api, anonymous, settings):
    settings.TRACKER_PUBLIC_READ = True
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    for client, allowed in ((anonymous, 2), (api, 3)):
        for _ in range(allowed):
            assert client.get(f"{API}/sources/").status_code == HTTPStatus.OK
        response = client.get(f"{API}/sources/")
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert int(response["Retry-After"]) > 0
        assert "throttled" in response.json()["detail"]


# Representations ---------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_record_links_to_its_web_page(api, client, django_user_model, endpoint):
    record = ENDPOINTS[endpoint]()
    listed = get_ok(api, f"{API}/{endpoint}/")["results"][0]
    shown = get_ok(api, detail_url(endpoint, record))
    expected = f"http://testserver{record.get_absolute_url()}"
    assert listed["url"] == shown["url"] == expected
    reader = django_user_model.objects.create_user("reader")
    roles.assign(reader, roles.READERS)
    client.force_login(reader)  # a partner reads the API only
    assert client.get(expected).status_code == HTTPStatus.OK


def test_agreement_shows_parties_commitments_and_their_evidence(api):
    source = factories.SourceFactory(slug="the-article", title="The article")
    agreement = factories.AgreementFactory(
        slug="the-accord",
        title="The accord",
        kind=AgreementKind.MEMORANDUM,
        signed_on=datetime.date(2021, 12, 28),
    )
    cite(agreement, source, quote=" ".join(source.text.split()[:3]))
    ministry = factories.OrganisationFactory(slug="ministry", name="Ministry")
    cluster = factories.OrganisationFactory(slug="cluster", name="Cluster")
    signer = factories.PersonFactory(slug="signer", name="A Signer")
    party = factories.AgreementPartyFactory(
        agreement=agreement, organisation=ministry, role=PartyRole.SIGNATORY, signed_by=signer
    )
    factories.AgreementPartyFactory(
        agreement=agreement, organisation=cluster, role=PartyRole.PATRON
    )
    cite(party, source, quote=" ".join(source.text.split()[:4]))
    commitment = factories.CommitmentFactory(
        agreement=agreement,
        party=ministry,
        beneficiary=cluster,
        description="Certify products.",
        category=CommitmentCategory.CERTIFICATION,
        due_on=datetime.date(2023, 6, 30),
    )
    cite(commitment, source, quote=" ".join(source.text.split()[:5]))

    shown = get_ok(api, f"{API}/agreements/the-accord/")

    words = source.text.split()

    def evidence(n):
        (citation,) = Citation.objects.filter(quote=" ".join(words[:n]))
        return [
            {
                "source": {"slug": "the-article", "title": "The article"},
                "quote": " ".join(words[:n]),
                "note": "",
                "url": f"http://testserver/sources/the-article/#citation-{citation.pk}",
                "field": None,
                "value": None,
            }
        ]

    assert shown["slug"] == "the-accord"
    assert shown["kind"] == "memorandum"
    assert shown["signed_on"] == "2021-12-28"
    assert shown["citations"] == evidence(3)
    assert shown["disputed_fields"] == []
    assert shown["parties"] == [
        {
            "organisation": {"slug": "cluster", "name": "Cluster"},
            "role": "patron",
            "signed_by": None,
            "citations": [],
        },
        {
            "organisation": {"slug": "ministry", "name": "Ministry"},
            "role": "signatory",
            "signed_by": {"slug": "signer", "name": "A Signer"},
            "citations": evidence(4),
        },
    ]
    assert shown["commitments"] == [
        {
            "id": commitment.pk,
            "url": f"http://testserver/commitments/{commitment.pk}/",
            "party": {"slug": "ministry", "name": "Ministry"},
            "beneficiary": {"slug": "cluster", "name": "Cluster"},
            "beneficiary_description": "",
            "description": "Certify products.",
            "category": "certification",
            "status": "announced",
            "due_on": "2023-06-30",
            "met_on": None,
            "latest_news_on": None,
            "status_changed_on": None,
            "citations": evidence(5),
        }
    ]
    assert get_ok(api, f"{API}/agreements/")["results"] == [shown]


def test_organisation_shows_other_names_links_current_people_and_evidence(api):
    cluster = factories.OrganisationFactory(slug="cluster", name="Cluster", acronym="CM")
    factories.OrganisationNameFactory(
        organisation=cluster,
        name="Cluster médical",
        kind=NameKind.TRANSLATION,
        language=Language.FRENCH,
    )
    member = factories.OrganisationFactory(slug="member", name="Member")
    ministry = factories.OrganisationFactory(slug="ministry", name="Ministry")
    factories.OrganisationLinkFactory(
        from_organisation=member, to_organisation=cluster, kind=LinkKind.MEMBER_OF
    )
    factories.OrganisationLinkFactory(
        from_organisation=cluster,
        to_organisation=ministry,
        kind=LinkKind.PARTNER_OF,
        started_on=datetime.date(2020, 7, 1),
    )
    director = factories.PersonFactory(slug="director", name="Director")
    former = factories.PersonFactory(slug="former", name="Former")
    factories.PositionFactory(person=director, organisation=cluster, title="General director")
    factories.PositionFactory(
        person=former, organisation=cluster, title="Chair", ended_on=datetime.date(2020, 1, 1)
    )
    cite(cluster)

    shown = get_ok(api, f"{API}/organisations/cluster/")

    assert shown["acronym"] == "CM"
    assert shown["other_names"] == [
        {"name": "Cluster médical", "kind": "translation", "language": "fr"}
    ]
    assert shown["links"] == [
        {
            "direction": "outgoing",
            "kind": "partner_of",
            "organisation": {"slug": "ministry", "name": "Ministry"},
            "started_on": "2020-07-01",
            "ended_on": None,
        },
        {
            "direction": "incoming",
            "kind": "member_of",
            "organisation": {"slug": "member", "name": "Member"},
            "started_on": None,
            "ended_on": None,
        },
    ]
    assert shown["current_people"] == [
        {
            "person": {"slug": "director", "name": "Director"},
            "title": "General director",
            "started_on": None,
        }
    ]
    assert len(shown["citations"]) == 1


def test_person_shows_positions_past_and_present(api):
    person = factories.PersonFactory(slug="someone")
    factories.PositionFactory(person=person, organisation=factories.OrganisationFactory(name="A"))
    factories.PositionFactory(
        person=person,
        organisation=factories.OrganisationFactory(name="B"),
        ended_on=datetime.date(2021, 1, 1),
    )
    positions = get_ok(api, f"{API}/people/someone/")["positions"]
    assert [(p["organisation"]["name"], p["current"], p["ended_on"]) for p in positions] == [
        ("A", True, None),
        ("B", False, "2021-01-01"),
    ]


def test_commitment_is_looked_up_by_id_and_names_its_agreement(api):
    commitment = full_commitment(status=CommitmentStatus.MET, met_on=datetime.date(2022, 5, 1))
    shown = get_ok(api, f"{API}/commitments/{commitment.pk}/")
    assert shown["id"] == commitment.pk
    assert shown["slug"] == commitment.slug
    assert shown["agreement"] == {
        "slug": commitment.agreement.slug,
        "title": commitment.agreement.title,
    }
    assert shown["party"]["slug"] == commitment.party.slug
    assert (shown["status"], shown["met_on"]) == ("met", "2022-05-01")
    assert len(shown["citations"]) == 1


def test_commitment_carries_its_reports_with_their_quotes_earliest_first(api):
    commitment = reported_commitment()
    first, last = commitment.reports.order_by("reported_on")
    shown = get_ok(api, f"{API}/commitments/{commitment.pk}/")
    assert [(r["reported_on"], r["status"]) for r in shown["reports"]] == [
        (first.reported_on.isoformat(), "in_progress"),
        (last.reported_on.isoformat(), "met"),
    ]
    assert shown["reports"][0]["reported_on_precision"] == "day"
    assert shown["reports"][0]["summary"] == first.summary
    citation = last.citations.get()
    assert shown["reports"][1]["citations"] == [
        {
            "source": {"slug": citation.source.slug, "title": citation.source.title},
            "quote": citation.quote,
            "note": citation.note,
            "url": f"http://testserver{citation.get_absolute_url()}",
            "field": None,
            "value": None,
        }
    ]
    assert (shown["status"], shown["met_on"]) == ("met", last.reported_on.isoformat())


@pytest.mark.parametrize("endpoint", ["organisations", "agreements"])
def test_nested_citations_carry_their_note_and_the_link_to_the_highlighted_quote(api, endpoint):
    record = full_organisation() if endpoint == "organisations" else full_agreement()
    citation = cite(record, note="Says who signed.")
    shown = get_ok(api, f"{API}/{endpoint}/{record.slug}/")["citations"]
    listed = [
        listed
        for shown_record in get_ok(api, f"{API}/{endpoint}/")["results"]
        for listed in shown_record["citations"]
    ]
    expected = {
        "source": {"slug": citation.source.slug, "title": citation.source.title},
        "quote": citation.quote,
        "note": "Says who signed.",
        "url": f"http://testserver{citation.get_absolute_url()}",
        "field": None,
        "value": None,
    }
    assert expected in shown and expected in listed
    assert citation.get_absolute_url().endswith(f"#citation-{citation.pk}")


def test_commitment_list_filters_on_status_changes_and_news(api):
    changed = reported_commitment()
    quiet = full_commitment()
    since = changed.reports.order_by("reported_on").last().reported_on.isoformat()
    listed = get_ok(api, f"{API}/commitments/", status_changed_after=since)["results"]
    assert [c["id"] for c in listed] == [changed.pk]
    later = (changed.reports.order_by("reported_on").last().reported_on).replace(year=2099)
    no_news = get_ok(api, f"{API}/commitments/", no_news_since=later.isoformat())["results"]
    assert {c["id"] for c in no_news} == {changed.pk, quiet.pk}
    response = api.get(f"{API}/commitments/", {"no_news_since": "soon"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "no_news_since" in response.json()["errors"]


def test_source_list_counts_quotes_and_detail_gives_text_and_what_each_quote_backs(api):
    source = factories.SourceFactory(slug="article")
    organisation = factories.OrganisationFactory(name="Cluster")
    cite(organisation, source)
    commitment = factories.CommitmentFactory()
    cite(commitment, source)

    listed = get_ok(api, f"{API}/sources/")["results"][0]
    assert listed["citation_count"] == 2
    assert "text" not in listed

    shown = get_ok(api, f"{API}/sources/article/")
    assert shown["text"] == source.text
    assert {(q["supports"], q["record_url"]) for q in shown["quotes"]} == {
        ("organisation", f"http://testserver{organisation.get_absolute_url()}"),
        ("commitment", f"http://testserver{commitment.get_absolute_url()}"),
    }
    assert all(q["quote"] in source.text for q in shown["quotes"])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_record_answers_404_in_json(api, endpoint):
    key = "999999" if endpoint == "commitments" else "no-such-record"
    response = api.get(f"{API}/{endpoint}/{key}/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "matches the given query" in response.json()["detail"]


def test_unknown_address_under_the_api_answers_404_in_json(api):
    for url in (f"{API}/treaties/", f"{API}/commitments/not-a-number/"):
        response = api.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {"detail": f"There is no API endpoint at {url}."}


def test_api_root_lists_the_endpoints(api):
    root = get_ok(api, f"{API}/")
    assert set(root) == set(ENDPOINTS)
    assert root["agreements"] == "http://testserver/api/v1/agreements/"


# Filters: each FilterSet is tested on its own in test_filters.py; here, that each endpoint
# applies its own to what a client sends.

SEARCHED_FIELD = {
    "organisations": "name",
    "people": "name",
    "agreements": "title",
    "commitments": "description",
    "sources": "title",
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_list_applies_its_filterset_to_the_query_string(api, endpoint):
    wanted = ENDPOINTS[endpoint](**{SEARCHED_FIELD[endpoint]: "Zéphyrine"})
    ENDPOINTS[endpoint]()
    body = get_ok(api, f"{API}/{endpoint}/", q="ZEPHYRINE")
    key = "id" if endpoint == "commitments" else "slug"
    assert [record[key] for record in body["results"]] == [getattr(wanted, key)]


def test_a_repeated_parameter_reaches_the_filterset_with_every_value(api):
    ministry = factories.OrganisationFactory(slug="ministry")
    cluster = factories.OrganisationFactory(slug="cluster")
    both = factories.AgreementFactory(slug="both")
    only_ministry = factories.AgreementFactory(slug="only-ministry")
    for agreement, organisation in ((both, ministry), (both, cluster), (only_ministry, ministry)):
        factories.AgreementPartyFactory(agreement=agreement, organisation=organisation)
    assert slugs(api, f"{API}/agreements/", party=["ministry", "cluster"]) == ["both"]


# Pagination ---------------------------------------------------------------------------------


def test_pagination_gives_count_and_links(api):
    for number in range(5):
        factories.SourceFactory(slug=f"source-{number}", title=f"Source {number}")
    first = get_ok(api, f"{API}/sources/", page_size=2, ordering="title")
    assert first["count"] == 5
    assert [s["slug"] for s in first["results"]] == ["source-0", "source-1"]
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/sources/?ordering=title&page=2&page_size=2"
    last = get_ok(api, f"{API}/sources/", page_size=2, ordering="title", page=3)
    assert [s["slug"] for s in last["results"]] == ["source-4"]
    assert last["next"] is None
    assert last["previous"].endswith("page=2&page_size=2")


def test_default_page_size_is_50_and_200_is_allowed(api):
    factories.SourceFactory.create_batch(51)
    assert len(get_ok(api, f"{API}/sources/")["results"]) == 50
    assert len(get_ok(api, f"{API}/sources/", page_size=200)["results"]) == 51


def test_page_out_of_range_answers_404_with_a_message(api):
    factories.SourceFactory.create_batch(3)
    response = api.get(f"{API}/sources/", {"page": 3, "page_size": 2})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {
        "detail": "Page 3 does not exist; the last is page 2 (3 results, 2 per page)."
    }


@pytest.mark.parametrize(
    ("records", "params", "message"),
    [
        (2, {"page": 2}, "Page 2 does not exist; the last is page 1 (2 results, 50 per page)."),
        (1, {"page": 3}, "Page 3 does not exist; the last is page 1 (1 result, 50 per page)."),
        (
            5,
            {"page": 9, "page_size": 2},
            "Page 9 does not exist; the last is page 3 (5 results, 2 per page).",
        ),
    ],
)
def test_page_past_the_last_counts_pages_and_results_in_words(api, records, params, message):
    factories.SourceFactory.create_batch(records)
    response = api.get(f"{API}/sources/", params)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": message}


def test_an_empty_list_is_one_empty_page(api):
    assert get_ok(api, f"{API}/agreements/") == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


# Bad input ----------------------------------------------------------------------------------

BAD_PARAMETERS = [
    # What each FilterSet refuses is in test_filters.py; here, one per endpoint to show its
    # form errors become the 400 envelope, then what the API itself refuses.
    ("organisations", {"related_to": "nobody"}, "related_to", "not one of the available"),
    ("people", {"organisation": "nobody"}, "organisation", "not one of the available"),
    ("agreements", {"signed_after": "28/12/2021"}, "signed_after", "valid date"),
    ("commitments", {"category": "gifts"}, "category", "not one of the available choices"),
    ("sources", {"language": "klingon"}, "language", "not one of the available choices"),
    ("agreements", {"q": "nul\x00byte"}, "q", "Null characters"),
    ("commitments", {"overdue": "maybe"}, "overdue", "true or false"),
    ("agreements", {"page_size": "201"}, "page_size", "from 1 to 200, not '201'"),
    ("agreements", {"page_size": "0"}, "page_size", "from 1 to 200"),
    ("agreements", {"page_size": "many"}, "page_size", "whole number"),
    ("agreements", {"page": "last"}, "page", "whole number"),
    ("agreements", {"page": ""}, "page", "whole number"),
    ("agreements", {"signed_after": ""}, "signed_after", "Empty value"),
    ("sources", {"ordering": ""}, "ordering", "Empty value"),
    ("sources", {"ordering": "title,"}, "ordering", "Empty value"),
    ("agreements", {"party": ""}, "party", "Empty value"),
    ("agreements", {"page": "-1"}, "page", "whole number"),
    (
        "agreements",
        {"partie": "amgs"},
        "partie",
        "Unknown parameter; this endpoint accepts: q, party",
    ),
]


@pytest.mark.parametrize(("endpoint", "params", "name", "message"), BAD_PARAMETERS)
def test_bad_parameter_answers_400_naming_it(api, endpoint, params, name, message):
    response = api.get(f"{API}/{endpoint}/", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["detail"] == f"Invalid parameter: {name}."
    assert message in " ".join(body["errors"][name])


@pytest.mark.parametrize(
    "endpoint", ["organisations", "people", "agreements", "commitments", "sources"]
)
def test_a_list_asked_for_no_filter_is_the_list_an_empty_search_gives(api, article_data, endpoint):
    """Without a filter parameter the list skips the FilterSet: same records, same order,
    as when a filter that keeps everything runs (`q=`), paged or not."""
    url = f"{API}/{endpoint}/"
    key = "id" if endpoint == "commitments" else "slug"
    unfiltered = [record[key] for record in get_ok(api, url)["results"]]
    assert len(unfiltered) > 1
    assert unfiltered == [record[key] for record in get_ok(api, url, q="")["results"]]
    paged = [record[key] for record in get_ok(api, url, page_size=1, page=2)["results"]]
    assert paged == unfiltered[1:2]


@pytest.mark.parametrize("estimate", [2, 40])
def test_an_estimated_count_still_leads_to_every_row_once_and_no_further(
    api, monkeypatch, estimate
):
    """A large table's unfiltered list is counted by PostgreSQL's estimate, which may fall
    short of the rows there are (2 for 7) or pass them (40): following `next` reaches every
    row, once, and stops at the last; a page past it is refused."""
    from tracker import pagination

    made = {commitment.pk for commitment in factories.CommitmentFactory.create_batch(7)}
    monkeypatch.setattr(pagination, "ESTIMATE_FROM", 1)
    monkeypatch.setattr(pagination, "estimated_rows", lambda queryset: estimate)
    url, seen, counts = f"{API}/commitments/?page_size=3", [], []
    while url:
        body = get_ok(api, url)
        counts.append(body["count"])
        seen += [record["id"] for record in body["results"]]
        url = body["next"]
    assert len(seen) == 7 and set(seen) == made
    # The estimate until the rows pass it (then one past what was read); the last page's
    # count is exact.
    assert counts == ([4, 7, 7] if estimate == 2 else [40, 40, 7])
    assert api.get(f"{API}/commitments/", {"page_size": 3, "page": 4}).status_code == 404


@pytest.mark.parametrize("rows, counted", [(50_000, False), (30_000, True)])
def test_a_table_of_tens_of_thousands_of_rows_is_counted_by_its_estimate(
    api, monkeypatch, rows, counted
):
    """Counting every row of a table of 50,000 or more is left to PostgreSQL's estimate (its
    `COUNT(*)` was a quarter of a page's time at 200,000 rows); a smaller one is counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracker import pagination

    factories.CommitmentFactory.create_batch(3)
    monkeypatch.setattr(pagination, "estimated_rows", lambda queryset: rows)
    with CaptureQueriesContext(connection) as captured:
        body = get_ok(api, f"{API}/commitments/")
    assert body["count"] == 3  # the rows of a first page that is the last are the count
    counts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    assert bool(counts) == counted, counts


def test_a_party_named_by_name_or_acronym_filters_the_api(api):
    cluster = factories.OrganisationFactory(name="Moroccan Medical Industry Cluster", acronym="MMI")
    agreement = factories.AgreementPartyFactory(organisation=cluster).agreement
    factories.AgreementPartyFactory()
    for typed in ("MMI", "moroccan medical industry cluster", cluster.slug):
        assert slugs(api, f"{API}/agreements/", party=typed) == [agreement.slug], typed


def test_a_name_several_records_share_answers_400_listing_them(api):
    first = factories.OrganisationFactory(name="Santé Groupe", slug="sante-groupe", acronym="SG")
    second = factories.OrganisationFactory(name="SG", slug="societe-generale", acronym="")
    response = api.get(f"{API}/commitments/", {"party": "sg"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    message = " ".join(response.json()["errors"]["party"])
    assert "“sg” names several organisations" in message
    assert f"{first.slug} ({first.name})" in message and f"{second.slug} ({second.name})" in message


def test_a_period_ending_before_it_starts_answers_400_naming_both_parameters(api):
    factories.AgreementFactory(signed_on=datetime.date(2022, 1, 1))
    response = api.get(
        f"{API}/agreements/", {"signed_after": "2023-01-01", "signed_before": "2022-01-01"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = response.json()["errors"]
    assert set(errors) == {"signed_after", "signed_before"}
    assert "Signed on or after" in errors["signed_before"][0]
    assert "Signed on or before" in errors["signed_before"][0]


def test_empty_free_text_is_no_filter(api):
    full_agreement()
    assert get_ok(api, f"{API}/agreements/", q="")["count"] == 1


def test_page_size_over_the_cap_is_refused_not_clamped(api):
    factories.SourceFactory.create_batch(3)
    assert api.get(f"{API}/sources/", {"page_size": 500}).status_code == HTTPStatus.BAD_REQUEST


def test_detail_takes_no_parameters(api):
    agreement = full_agreement()
    response = api.get(f"{API}/agreements/{agreement.slug}/", {"kind": "other"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "no parameters" in response.json()["errors"]["kind"][0]


# Queries: bounded, and the same for one row as for fifty -----------------------------------

# The token, then the account's permissions (its own and its groups': the role), once each.
ACCESS_QUERIES = 3
LIST_QUERIES = {
    # access, count, page, then one per kind of nested row, and the disputed fields
    "organisations": ACCESS_QUERIES + 8,
    "people": ACCESS_QUERIES + 4,
    "agreements": ACCESS_QUERIES + 8,
    "commitments": ACCESS_QUERIES + 6,
    "sources": ACCESS_QUERIES + 2,
}
# A source's detail also shows its quotes and its mentions: one query for each kind.
DETAIL_QUERIES = {**LIST_QUERIES, "sources": ACCESS_QUERIES + 3}


def record_queries(captured):
    """The queries that read tracker data, without the page cache's and the throttle's (the
    cache is a database table by default, written in a savepoint of its own)."""
    tables = (settings.CACHES["default"].get("LOCATION", ""), throttle_store.TABLE)
    return [
        query
        for query in captured.captured_queries
        if not any(table in query["sql"] for table in tables) and "SAVEPOINT" not in query["sql"]
    ]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_queries_do_not_grow_with_rows(api, endpoint):
    for _ in range(50):
        ENDPOINTS[endpoint]()
    # The client's first request opens its throttle window (two more writes): not measured.
    api.get(f"{API}/")
    counts, totals = [], []
    for page_size in (1, 50):
        with CaptureQueriesContext(connection) as captured:
            body = get_ok(api, f"{API}/{endpoint}/", page_size=page_size)
        assert len(body["results"]) == page_size
        counts.append(len(record_queries(captured)))
        totals.append(len(captured))
    assert counts[0] == counts[1] <= LIST_QUERIES[endpoint]
    assert totals[0] == totals[1]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_detail_queries_are_bounded(api, endpoint):
    record = ENDPOINTS[endpoint]()
    # token, the record, then one per kind of nested row
    with CaptureQueriesContext(connection) as captured:
        get_ok(api, detail_url(endpoint, record))
    assert len(record_queries(captured)) <= DETAIL_QUERIES[endpoint]


def test_filtered_agreement_list_queries_do_not_grow_with_rows(api):
    ministry = factories.OrganisationFactory(slug="ministry")
    for _ in range(50):
        factories.AgreementPartyFactory(agreement=full_agreement(), organisation=ministry)
    params = {"party": "ministry", "q": "agreement", "signed_before": TODAY.isoformat()}
    counts = []
    for page_size in (1, 50):
        with CaptureQueriesContext(connection) as captured:
            get_ok(api, f"{API}/agreements/", page_size=page_size, **params)
        counts.append(len(record_queries(captured)))
    assert counts[0] == counts[1] <= LIST_QUERIES["agreements"] + 1  # + the party lookup


# The article data ------------------------------------------------------------------------


def test_the_28_december_2021_accord_lists_its_four_parties(api, article_data):
    accord = get_ok(api, f"{API}/agreements/{ACCORD}/")
    assert accord["signed_on"] == "2021-12-28"
    assert sorted(party["organisation"]["slug"] for party in accord["parties"]) == [
        "amgs",
        "ministere-industrie-commerce",
        "ministere-sante-protection-sociale",
        "mmi-cluster",
    ]


def test_one_request_tells_what_each_party_promised_and_which_sentence_says_so(api, article_data):
    accord = get_ok(api, f"{API}/agreements/{ACCORD}/")
    promised = {}
    for commitment in accord["commitments"]:
        assert commitment["citations"], commitment["description"]
        promised.setdefault(commitment["party"]["slug"], []).append(commitment)
    assert set(promised) == {
        "amgs",
        "ministere-industrie-commerce",
        "ministere-sante-protection-sociale",
        "mmi-cluster",
    }
    texts = {source["slug"]: source for source in get_ok(api, f"{API}/sources/")["results"]}
    for commitments in promised.values():
        for commitment in commitments:
            for citation in commitment["citations"]:
                assert citation["source"]["slug"] in texts
                article = get_ok(api, f"{API}/sources/{citation['source']['slug']}/")["text"]
                assert " ".join(citation["quote"].split()) in " ".join(article.split())


def test_searching_ministere_de_la_sante_finds_the_ministry_of_health(api, article_data):
    found = slugs(api, f"{API}/organisations/", q="ministere de la sante")
    assert "ministere-sante-protection-sociale" in found
    assert "ministere-industrie-commerce" not in found


def test_agreements_between_the_two_ministries(api, article_data):
    found = slugs(
        api,
        f"{API}/agreements/",
        party=["ministere-industrie-commerce", "ministere-sante-protection-sociale"],
    )
    assert ACCORD in found


# Tokens -------------------------------------------------------------------------------------


def run_issue_token(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_issue_token_prints_a_working_token_and_the_same_one_again(partner, anonymous):
    key, message = run_issue_token("partner")
    assert "Issued a new token" in message
    assert run_issue_token("partner")[0] == key
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert anonymous.get(f"{API}/agreements/").status_code == HTTPStatus.OK


def test_issue_token_rotate_revokes_the_old_token(partner, anonymous):
    old, _ = run_issue_token("partner")
    new, _ = run_issue_token("partner", "--rotate")
    assert new != old
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert anonymous.get(f"{API}/agreements/").status_code == HTTPStatus.UNAUTHORIZED


def test_issue_token_for_an_unknown_user_says_how_to_create_one(db):
    with pytest.raises(CommandError, match="--create"):
        run_issue_token("nobody")


def test_issue_token_create_makes_a_read_only_account(django_user_model, anonymous):
    key, message = run_issue_token("analyst", "--create")
    analyst = django_user_model.objects.get(username="analyst")
    assert not analyst.has_usable_password()
    assert not analyst.is_staff
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert anonymous.get(f"{API}/sources/").status_code == HTTPStatus.OK


def test_tokens_are_issued_in_the_admin(admin_client, partner):
    response = admin_client.post(
        "/admin/authtoken/tokenproxy/add/", {"user": partner.pk}, follow=True
    )
    assert response.status_code == HTTPStatus.OK
    assert Token.objects.filter(user=partner).exists()


# Throttling: counters of their own, counted atomically, per client address -----------------


def limit_rates(settings, anon=None, user=None, **extra):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user},
        **extra,
    }


def test_a_throttled_client_stays_throttled_however_many_pages_are_cached(api, anonymous, settings):
    """Pages fill the page cache; the counters must not be what it evicts to make room."""
    settings.TRACKER_PUBLIC_READ = True
    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        # The database cache culls by count (Redis evicts by memory, least recently used).
        settings.CACHES = {
            **settings.CACHES,
            "default": {**settings.CACHES["default"], "OPTIONS": {"MAX_ENTRIES": 10}},
        }
    limit_rates(settings, user="2/minute")
    for _ in range(2):
        assert api.get(f"{API}/sources/").status_code == HTTPStatus.OK
    assert api.get(f"{API}/sources/").status_code == HTTPStatus.TOO_MANY_REQUESTS
    for n in range(30):
        # Thirty visitors, one request each: thirty pages stored.
        response = anonymous.get(f"{API}/sources/", {"q": f"word{n}"}, REMOTE_ADDR=f"10.0.0.{n}")
        assert response.status_code == HTTPStatus.OK
    assert api.get(f"{API}/sources/").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_forwarded_addresses_do_not_escape_anonymous_throttling(anonymous, settings):
    settings.TRACKER_PUBLIC_READ = True
    limit_rates(settings, anon="3/minute")
    answers = [
        anonymous.get(f"{API}/sources/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(10)
    ]
    assert answers == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS] * 7


def test_behind_a_trusted_proxy_each_client_address_is_counted_apart(anonymous, settings):
    """With one trusted proxy, the address it saw (the last one it appended) is the client."""
    settings.TRACKER_PUBLIC_READ = True
    limit_rates(settings, anon="1/minute", NUM_PROXIES=1)

    def read(forwarded_for):
        return anonymous.get(f"{API}/sources/", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert read("198.51.100.7, 203.0.113.1") == HTTPStatus.OK
    assert read("198.51.100.8, 203.0.113.2") == HTTPStatus.OK
    # What the client wrote itself before the proxy's entry changes nothing.
    assert read("198.51.100.9, 203.0.113.1") == HTTPStatus.TOO_MANY_REQUESTS


def test_trusted_proxies_are_none_unless_configured():
    from tests.test_settings import start_django

    code = "from rest_framework.settings import api_settings; print(api_settings.NUM_PROXIES)"
    assert start_django(code, DJANGO_DEBUG="1").stdout.split() == ["0"]
    assert start_django(code, DJANGO_DEBUG="1", TRACKER_TRUSTED_PROXIES="2").stdout.split() == ["2"]
    result = start_django(code, DJANGO_DEBUG="1", TRACKER_TRUSTED_PROXIES="-1")
    assert result.returncode != 0
    assert "TRACKER_TRUSTED_PROXIES must be 0 (no proxy) or more" in result.stderr


COUNTING_PROCESS = """
import sys
import django

django.setup()
from tracker.api.throttling import count_request

print("ready", flush=True)
sys.stdin.readline()
print(*(count_request("user_1:0", timeout=3600) for _ in range(5)), flush=True)
"""


def test_parallel_processes_each_get_a_count_of_their_own_on_a_sqlite_file(tmp_path):
    """Eight server processes count one client's requests in one SQLite file, as `make serve`
    on SQLite does, five requests each, all let go at once: 40 counts, no two the same."""
    import importlib
    import os
    import sqlite3
    import subprocess
    import sys

    database = tmp_path / "counters.sqlite3"
    migration = importlib.import_module("tracker.migrations.0005_throttle_counters")
    with sqlite3.connect(database) as schema:
        for statement in migration.Migration.operations[0].sql:
            schema.execute(statement)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRACKER_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="k" * 50,
        DATABASE_URL=f"sqlite:///{database}",
    )
    servers = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTING_PROCESS],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    try:
        for server in servers:
            assert server.stdout.readline() == "ready\n"
        for server in servers:
            server.stdin.write("go\n")
            server.stdin.flush()
        counts = [int(n) for server in servers for n in server.stdout.readline().split()]
    finally:
        for server in servers:
            server.kill()
            server.wait()
    assert sorted(counts) == list(range(1, 41))


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_under_parallel_requests_to_a_real_server(live_server, settings):
    """Eight clients share one token and send 40 requests at once to a threaded HTTP server
    against a limit of 20: exactly 20 pass, whatever the interleaving (the server runs in
    this process, so `throttle_clock` keeps all 40 in one window).

    On PostgreSQL only: on SQLite the test server's threads share the test's one in-memory
    connection, which no deployment does (the test above covers SQLite with processes)."""
    if connection.vendor != "postgresql":
        pytest.skip("the test server shares one SQLite connection between its threads")
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from django.contrib.auth import get_user_model

    limit_rates(settings, user="20/hour")
    settings.TRACKER_API_CACHE_SECONDS = 0
    partner = get_user_model().objects.create_user("busy-partner")
    roles.assign(partner, roles.PARTNERS)
    token = Token.objects.create(user=partner)

    def read(_):
        request = urllib.request.Request(
            f"{live_server.url}{API}/sources/", headers={"Authorization": f"Token {token.key}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(read, range(40)))
    assert answers.count(HTTPStatus.OK) == 20, answers
    assert answers.count(HTTPStatus.TOO_MANY_REQUESTS) == 20, answers


# Every error under the API is JSON in the API's envelope ------------------------------------

TOO_MANY_PARAMETERS = "&".join(f"p{n}=1" for n in range(1001))
ERRORS_UNDER_THE_API = [
    # (signed in with a browser session, method, address, headers, status, detail)
    (True, "post", f"{API}/treaties/", {}, HTTPStatus.NOT_FOUND, "There is no API endpoint"),
    (False, "delete", f"{API}/agreements/x/y/", {}, HTTPStatus.NOT_FOUND, "no API endpoint"),
    (True, "get", f"{API}/sources/?{TOO_MANY_PARAMETERS}", {}, HTTPStatus.BAD_REQUEST, "at most"),
    (True, "post", f"{API}/schema/", {}, HTTPStatus.FORBIDDEN, "CSRF Failed"),
    (False, "post", f"{API}/schema/", {}, HTTPStatus.METHOD_NOT_ALLOWED, '"POST" not allowed'),
    (False, "get", f"{API}/schema/", {"HTTP_ACCEPT": "text/html"}, 406, "Accept header"),
    (False, "post", f"{API}/docs/", {}, HTTPStatus.METHOD_NOT_ALLOWED, '"POST" not allowed'),
    (False, "put", f"{API}/redoc/", {}, HTTPStatus.METHOD_NOT_ALLOWED, '"PUT" not allowed'),
]


@pytest.mark.parametrize(
    ("signed_in", "method", "url", "headers", "status", "message"), ERRORS_UNDER_THE_API
)
def test_every_error_under_the_api_is_json_in_the_envelope(
    partner, signed_in, method, url, headers, status, message
):
    """With Django's CSRF checks on, as a real browser meets them."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    if signed_in:
        browser.force_login(partner)
    response = getattr(browser, method)(url, **headers)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["detail"]


def test_a_refused_csrf_check_under_the_api_is_json(rf):
    from tracker.api.exceptions import csrf_failure

    response = csrf_failure(rf.post(f"{API}/anything/"), reason="CSRF cookie not set.")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Content-Type"] == "application/json"
    assert "CSRF cookie not set" in json_of(response)["detail"]
    assert "application/json" not in csrf_failure(rf.post("/agreements/"))["Content-Type"]


def json_of(response):
    import json

    return json.loads(response.content)


def test_an_unexpected_failure_under_the_api_is_a_json_500(api, monkeypatch):
    from tracker.api import views

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views.SourceViewSet, "list", fail)
    api.raise_request_exception = False
    response = api.get(f"{API}/sources/")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Server error: the request could not be answered."}
    # Outside the API, the site's own error page.
    assert "application/json" not in APIClient().get("/no-such-page/")["Content-Type"]


def test_a_thousand_word_search_is_answered_in_json(api):
    """Whatever the database makes of it (SQLite fails on so large an expression)."""
    api.raise_request_exception = False
    response = api.get(f"{API}/agreements/", {"q": " ".join(f"w{n}" for n in range(1000))})
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] if response.status_code >= 400 else body["count"] == 0


# Sources that disagree ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "factory", "field", "values"),
    [
        ("agreements", factories.AgreementFactory, "signed_on", ("2021-12-28", "2021-12-27")),
        ("commitments", factories.CommitmentFactory, "status", ("met", "in_progress")),
        ("organisations", factories.OrganisationFactory, "members", (">40", "45")),
    ],
)
def test_disputed_filter_finds_records_whose_sources_disagree_and_names_the_field(
    api, endpoint, factory, field, values
):
    disputed, quiet = factory(), factory()
    for value in values:
        cite(disputed, factories.SourceFactory(), field=field, value=value)
    cite(quiet, factories.SourceFactory(), field=field, value=values[0])
    key = "id" if endpoint == "commitments" else "slug"
    listed = get_ok(api, f"{API}/{endpoint}/", disputed="true")["results"]
    assert [record[key] for record in listed] == [getattr(disputed, key)]
    assert listed[0]["disputed_fields"] == [field]
    assert sorted(c["value"] for c in listed[0]["citations"]) == sorted(values)
    assert {c["field"] for c in listed[0]["citations"]} == {field}
    others = get_ok(api, f"{API}/{endpoint}/", disputed="false")["results"]
    assert getattr(quiet, key) in [record[key] for record in others]
    assert getattr(disputed, key) not in [record[key] for record in others]
    response = api.get(f"{API}/{endpoint}/", {"disputed": "perhaps"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "disputed" in response.json()["errors"]


def test_planted_disagreement_shows_both_dates_with_their_quotes_in_the_api(api, article_data):
    planted = factories.plant_accord_disagreement()
    shown = get_ok(api, f"{API}/agreements/{ACCORD}/")
    assert shown["signed_on"] == "2021-12-28"  # the value staff chose
    assert shown["disputed_fields"] == ["signed_on"]
    claims = sorted(
        (c["value"], c["source"]["slug"], c["quote"])
        for c in shown["citations"]
        if c["field"] == "signed_on"
    )
    assert [value for value, _slug, _quote in claims] == ["2021-12-27", "2021-12-28", "2021-12-28"]
    assert ("2021-12-27", planted.source.slug, planted.quote) in claims
    listed = get_ok(api, f"{API}/agreements/", disputed="true")
    assert [record["slug"] for record in listed["results"]] == [ACCORD]
    assert listed["results"][0] == shown


def test_an_organisations_country_is_its_iso_code_and_a_code_that_is_no_country_is_refused(api):
    factories.OrganisationFactory(slug="sanofi-france", country="FR")
    factories.OrganisationFactory(slug="unknown-country", country="")
    body = get_ok(api, f"{API}/organisations/", country="fr")
    assert [(o["slug"], o["country"]) for o in body["results"]] == [("sanofi-france", "FR")]
    unknown = get_ok(api, f"{API}/organisations/unknown-country/")
    assert unknown["country"] == ""
    response = api.get(f"{API}/organisations/", {"country": "ZZ"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["country"] == [
        "“ZZ” is not an ISO 3166 country code, such as MA or FR."
    ]
