"""The API's page cache: same bytes from the cache, never stale, never past the gatekeepers.

These tests commit their writes (`transaction=True`), as a deployment does: the data version
changes when a transaction commits, and inside a test's own rolled-back transaction nothing
ever commits.
"""

import io
import time
from http import HTTPStatus

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tracker import data_version, models, roles
from tracker.api import throttle_store, throttling
from tracker.api.cache import local_pages
from tracker.choices import AgreementKind, CommitmentStatus
from tracker.devtools import factories

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1"
AGREEMENTS = f"{API}/agreements/"


@pytest.fixture(autouse=True)
def empty_cache(settings):
    """Pages, the data version and throttle counts live in a cache table no test flushes."""
    settings.TRACKER_API_CACHE_SECONDS = 300
    cache.clear()
    caches["throttle"].clear()
    local_pages.clear()
    yield
    cache.clear()
    caches["throttle"].clear()
    local_pages.clear()


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
    token = Token.objects.create(user=partner)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.fixture
def agreement():
    agreement = factories.AgreementFactory(title="Accord on sterile supplies")
    party = factories.AgreementPartyFactory(agreement=agreement)
    factories.CommitmentFactory(
        agreement=agreement, party=party.organisation, description="Build a plant"
    )
    return agreement


def tracker_queries(captured):
    """Queries that read tracker records (not the token, the throttle or the cache table)."""
    tables = (getattr(cache, "_table", "tracker_cache"), throttle_store.TABLE)
    return [
        query["sql"]
        for query in captured.captured_queries
        if '"tracker_' in query["sql"] and not any(table in query["sql"] for table in tables)
    ]


def fetch(api, url, **extra):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, **extra)
    return response, captured


def test_a_second_identical_request_is_answered_from_the_cache(api, agreement):
    first, first_queries = fetch(api, AGREEMENTS)
    second, second_queries = fetch(api, AGREEMENTS)

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    assert second["Vary"] == first["Vary"]
    assert tracker_queries(first_queries)
    assert tracker_queries(second_queries) == []
    assert len(second_queries) < len(first_queries)
    assert first.json()["results"][0]["title"] == "Accord on sterile supplies"


def test_a_page_stored_by_another_app_server_is_used(api, agreement):
    """Pages live in the shared cache: a process that never built one reads it from there."""
    first, _ = fetch(api, AGREEMENTS)
    local_pages.clear()
    second, queries = fetch(api, AGREEMENTS)
    assert second.content == first.content
    assert tracker_queries(queries) == []


def test_a_page_is_not_kept_past_its_term(api, agreement, monkeypatch):
    """A write the tracker cannot see (raw SQL) shows once the page's term has passed."""
    import time

    from tracker.api import cache as page_cache

    api.get(AGREEMENTS)
    models.Agreement.objects.filter(pk=agreement.pk).update(title="Changed by hand")
    assert titles(api) == ["Accord on sterile supplies"]
    later = time.time() + 301
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    assert titles(api) == ["Changed by hand"]


def test_a_detail_page_is_cached_too(api, agreement):
    url = f"{AGREEMENTS}{agreement.slug}/"
    first, _ = fetch(api, url)
    second, queries = fetch(api, url)
    assert second.status_code == HTTPStatus.OK
    assert second.content == first.content
    assert tracker_queries(queries) == []


def test_the_page_comes_from_the_cache_not_the_database(api, agreement):
    """A write that bypasses the models' signals is not seen until the version changes."""
    api.get(AGREEMENTS)
    models.Agreement.objects.filter(pk=agreement.pk).update(title="Renamed behind its back")
    assert api.get(AGREEMENTS).json()["results"][0]["title"] == "Accord on sterile supplies"

    data_version.change()
    assert api.get(AGREEMENTS).json()["results"][0]["title"] == "Renamed behind its back"


def test_a_lost_version_never_brings_back_an_old_page(api, agreement):
    """If the version is evicted, the next one is new: pages stored before are not used."""
    cache.delete(data_version.VERSION_KEY)
    api.get(AGREEMENTS)
    models.Agreement.objects.filter(pk=agreement.pk).update(title="Renamed while evicted")
    cache.delete(data_version.VERSION_KEY)
    assert api.get(AGREEMENTS).json()["results"][0]["title"] == "Renamed while evicted"


def titles(api):
    return [record["title"] for record in api.get(AGREEMENTS).json()["results"]]


def commitments_of_first(api):
    return [c["description"] for c in api.get(AGREEMENTS).json()["results"][0]["commitments"]]


def test_saving_a_record_changes_the_next_response(api, agreement):
    assert titles(api) == ["Accord on sterile supplies"]
    agreement.title = "Accord on sterile and single-use supplies"
    agreement.save()
    assert titles(api) == ["Accord on sterile and single-use supplies"]


def test_saving_a_nested_record_changes_the_next_response(api, agreement):
    assert commitments_of_first(api) == ["Build a plant"]
    commitment = agreement.commitments.get()
    commitment.description = "Build two plants"
    commitment.status = CommitmentStatus.MET
    commitment.save()
    assert commitments_of_first(api) == ["Build two plants"]


def test_deleting_a_record_changes_the_next_response(api, agreement):
    assert commitments_of_first(api) == ["Build a plant"]
    agreement.commitments.get().delete()
    assert commitments_of_first(api) == []


def test_creating_a_record_changes_the_next_response(api, agreement):
    assert titles(api) == ["Accord on sterile supplies"]
    factories.AgreementFactory(title="A second accord")
    assert sorted(titles(api)) == ["A second accord", "Accord on sterile supplies"]


def test_an_admin_edit_of_an_organisation_name_changes_the_next_response(api, admin_client):
    other = factories.OrganisationNameFactory(name="Moroccan Medical Devices Cluster")
    url = f"{API}/organisations/{other.organisation.slug}/"

    def other_names():
        return [name["name"] for name in api.get(url).json()["other_names"]]

    assert other_names() == ["Moroccan Medical Devices Cluster"]
    assert other_names() == ["Moroccan Medical Devices Cluster"]  # now from the cache
    response = admin_client.post(
        reverse("admin:tracker_organisationname_change", args=[other.pk]),
        {
            "organisation": other.organisation.pk,
            "name": "Moroccan Cluster of Medical Devices",
            "kind": other.kind,
            "language": other.language,
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content
    assert other_names() == ["Moroccan Cluster of Medical Devices"]


def test_a_transaction_sees_its_own_writes_and_a_rollback_leaves_no_trace(api, agreement):
    assert titles(api) == ["Accord on sterile supplies"]

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        agreement.title = "Never committed"
        agreement.save()
        assert titles(api) == ["Never committed"]
        raise Abandon
    assert titles(api) == ["Accord on sterile supplies"]


def test_generating_data_changes_the_next_response(api):
    assert api.get(AGREEMENTS).json()["count"] == 0
    call_command(
        "generate_data",
        "--organisations=20",
        "--people=5",
        "--agreements=3",
        "--commitments=4",
        "--citations=5",
        "--sources=2",
        "--links=2",
        "--no-progress",
        stdout=io.StringIO(),
    )
    assert api.get(AGREEMENTS).json()["count"] == 3


def test_refreshing_search_text_in_bulk_changes_the_next_response(api):
    organisation = factories.OrganisationFactory(name="Clinique Atlas")
    url = f"{API}/organisations/?q=sahara"
    assert api.get(url).json()["count"] == 0
    models.Organisation.objects.filter(pk=organisation.pk).update(name="Clinique Sahara")
    models.Organisation.objects.filter(pk=organisation.pk).refresh_search_text()
    assert api.get(url).json()["count"] == 1


def test_an_anonymous_request_is_refused_even_when_the_page_is_cached(api, agreement):
    api.get(AGREEMENTS)
    response = APIClient().get(AGREEMENTS)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "results" not in response.json()


def test_a_throttled_client_is_refused_even_when_the_page_is_cached(api, agreement, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "2/minute"},
    }
    assert api.get(AGREEMENTS).status_code == HTTPStatus.OK
    assert api.get(AGREEMENTS).status_code == HTTPStatus.OK
    response = api.get(AGREEMENTS)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "throttled" in response.json()["detail"]


def test_a_bad_parameter_still_answers_400_and_is_never_stored(api, agreement):
    assert api.get(AGREEMENTS).status_code == HTTPStatus.OK
    for _ in range(2):
        response = api.get(AGREEMENTS, {"signed_after": "28/12/2021"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "signed_after" in response.json()["detail"]
    for _ in range(2):
        response = api.get(AGREEMENTS, {"page_size": "500"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "page_size" in response.json()["errors"]


def test_a_missing_record_is_never_stored(api):
    url = f"{AGREEMENTS}accord-to-come/"
    assert api.get(url).status_code == HTTPStatus.NOT_FOUND
    factories.AgreementFactory(slug="accord-to-come")
    assert api.get(url).status_code == HTTPStatus.OK


def test_different_query_strings_are_cached_separately(api):
    factories.AgreementFactory(title="A framework", kind=AgreementKind.FRAMEWORK)
    factories.AgreementFactory(title="A memorandum", kind=AgreementKind.MEMORANDUM)
    for _ in range(2):
        assert titles_for(api, kind=AgreementKind.FRAMEWORK) == ["A framework"]
        assert titles_for(api, kind=AgreementKind.MEMORANDUM) == ["A memorandum"]
        assert api.get(AGREEMENTS, {"page_size": 1}).json()["next"] is not None
        assert api.get(AGREEMENTS, {"page_size": 2}).json()["next"] is None


def titles_for(api, **params):
    return [record["title"] for record in api.get(AGREEMENTS, params).json()["results"]]


def test_the_order_of_parameters_does_not_make_another_page(api, agreement):
    api.get(f"{AGREEMENTS}?page_size=10&ordering=title")
    response, queries = fetch(api, f"{AGREEMENTS}?ordering=title&page_size=10")
    assert response.status_code == HTTPStatus.OK
    assert tracker_queries(queries) == []


def test_pages_for_another_host_are_stored_apart(api, agreement):
    """Records' `url`s are absolute: each host gets its own."""
    local = api.get(AGREEMENTS, HTTP_HOST="localhost").json()
    loopback = api.get(AGREEMENTS, HTTP_HOST="127.0.0.1").json()
    assert local["results"][0]["url"].startswith("http://localhost/")
    assert loopback["results"][0]["url"].startswith("http://127.0.0.1/")


def test_no_caching_when_turned_off(api, agreement, settings):
    settings.TRACKER_API_CACHE_SECONDS = 0
    _, first = fetch(api, AGREEMENTS)
    _, second = fetch(api, AGREEMENTS)
    assert len(tracker_queries(second)) == len(tracker_queries(first)) > 0
    models.Agreement.objects.filter(pk=agreement.pk).update(title="Seen at once")
    assert titles(api) == ["Seen at once"]


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"TRACKER_API_CACHE_SECONDS": "-1"}, "TRACKER_API_CACHE_SECONDS must be 0 (off) or more"),
        ({"TRACKER_API_CACHE_SECONDS": "soon"}, "TRACKER_API_CACHE_SECONDS must be an integer"),
        ({"TRACKER_API_CACHE_ALIAS": "pages"}, "TRACKER_API_CACHE_ALIAS names no cache"),
    ],
)
def test_a_bad_cache_setting_is_named_at_start(environment, message):
    from tests.test_settings import start_django

    result = start_django(DJANGO_DEBUG="1", **environment)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_cache_is_on_for_five_minutes_by_default():
    from tests.test_settings import start_django

    result = start_django(
        "from django.conf import settings; "
        "print(settings.TRACKER_API_CACHE_SECONDS, settings.TRACKER_API_CACHE_ALIAS)",
        DJANGO_DEBUG="1",
    )
    assert result.stdout.split() == ["300", "default"], result.stderr


@pytest.mark.parametrize(
    ("first", "second", "name"),
    [
        ("page_size=1&page=1&page=2", "page_size=1&page=2&page=1", "page"),
        ("q=accord&q=sterile", "q=sterile&q=accord", "q"),
        ("ordering=title&ordering=-title", "ordering=-title&ordering=title", "ordering"),
    ],
)
def test_a_parameter_given_twice_in_another_order_never_gets_the_other_page(
    api, first, second, name
):
    factories.AgreementFactory(title="Accord on sterile supplies")
    factories.AgreementFactory(title="Accord on training")
    for query in (first, second):
        response = api.get(f"{AGREEMENTS}?{query}")
        assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
        assert "given more than once" in response.json()["errors"][name][0]


def test_a_repeatable_parameter_in_another_order_gives_the_same_records(api):
    parties = factories.OrganisationFactory.create_batch(2)
    accord = factories.AgreementFactory(title="Between both")
    for organisation in parties:
        factories.AgreementPartyFactory(agreement=accord, organisation=organisation)
    first, second = (organisation.slug for organisation in parties)
    for query in (f"party={first}&party={second}", f"party={second}&party={first}"):
        response = api.get(f"{AGREEMENTS}?{query}")
        assert response.status_code == HTTPStatus.OK
        assert [r["title"] for r in response.json()["results"]] == ["Between both"]
