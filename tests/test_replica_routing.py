"""Which database each read and write goes to with a read replica (tracker/routers.py).

These run on any database: the replica's alias is declared present, and the router's and the
middleware's choices are read where a query would be sent. tests/replica/ proves the same
against a real streaming replica.
"""

import json
import time

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import OperationalError, connection

from tracker import routers
from tracker.models import Organisation
from tracker.roles import EDITORS, assign

from .test_admin import form_data
from .test_settings import start_django

PIN_MIDDLEWARE = "tracker.routers.ReplicaPinMiddleware"


@pytest.fixture
def with_replica(monkeypatch, settings):
    """A replica declared present, and the pin middleware where settings put it."""
    monkeypatch.setattr(routers, "replica_alias", lambda: routers.REPLICA_DB_ALIAS)
    # Choices are read, never followed: no query goes to a replica here.
    settings.DATABASE_ROUTERS = []
    if PIN_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(
            middleware.index("django.contrib.sessions.middleware.SessionMiddleware"),
            PIN_MIDDLEWARE,
        )
        settings.MIDDLEWARE = middleware
    settings.TRACKER_REPLICA_PIN_SECONDS = 5


@pytest.fixture
def routes_of_tracker_reads():
    """Each SQL statement reading tracker records during requests, with where it would go
    (the database cache's and the throttle's tables are not records: they stay on the
    connection they name)."""
    seen = []

    def record(execute, sql, params, many, context):
        if (
            routers._route.get() is not None
            and sql.lstrip().upper().startswith("SELECT")
            and '"tracker_' in sql.replace('"tracker_cache"', "").replace('"tracker_throttle"', "")
        ):
            seen.append(routers.ReplicaRouter().db_for_read(Organisation))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def in_route(use_replica, wrote=False):
    route = routers.Route(use_replica)
    if wrote:
        route.written()
    return routers._route.set(route)


@pytest.mark.parametrize(
    "use_replica, wrote, model, expected",
    [
        (True, False, Organisation, "replica"),
        (True, True, Organisation, "default"),
        (False, False, Organisation, "default"),
        (None, False, Organisation, "default"),
        (True, False, Session, "default"),
        (True, False, Group, "default"),
    ],
)
def test_router_sends_only_tracker_reads_of_an_unpinned_request_to_the_replica(
    with_replica, use_replica, wrote, model, expected
):
    router = routers.ReplicaRouter()
    token = None if use_replica is None else in_route(use_replica, wrote)
    try:
        assert router.db_for_read(model) == expected
        assert router.db_for_write(model) == "default"
    finally:
        if token is not None:
            routers._route.reset(token)


def test_router_migrates_only_the_primary():
    router = routers.ReplicaRouter()
    assert router.allow_migrate("default", "tracker")
    assert not router.allow_migrate("replica", "tracker")


def test_router_reads_the_primary_when_the_replica_is_the_primary_itself():
    # Tests see one database: the replica mirrors `default`, or is not configured at all.
    token = in_route(True)
    try:
        assert routers.replica_alias() is None
        assert routers.ReplicaRouter().db_for_read(Organisation) == "default"
    finally:
        routers._route.reset(token)


@pytest.mark.django_db
def test_ui_and_api_reads_go_to_the_replica(
    with_replica, routes_of_tracker_reads, admin_user, client, organisation
):
    client.force_login(admin_user)
    assert client.get("/organisations/").status_code == 200
    assert client.get("/api/v1/organisations/").status_code == 200
    assert routes_of_tracker_reads and set(routes_of_tracker_reads) == {"replica"}
    assert routers.PIN_COOKIE not in client.cookies


@pytest.mark.django_db
def test_admin_desk_and_login_read_from_the_primary(
    with_replica, routes_of_tracker_reads, admin_user, client, organisation
):
    client.force_login(admin_user)
    assert client.get("/admin/tracker/organisation/").status_code == 200
    assert client.get(f"/admin/tracker/organisation/{organisation.pk}/change/").status_code == 200
    assert routes_of_tracker_reads and set(routes_of_tracker_reads) == {"default"}


@pytest.mark.django_db
def test_an_editor_who_saved_reads_the_primary_until_the_pin_expires(
    with_replica, routes_of_tracker_reads, django_user_model, client, organisation, monkeypatch
):
    editor = django_user_model.objects.create_user("editor", password="x")
    assign(editor, EDITORS)
    client.force_login(editor)
    change_url = f"/admin/tracker/organisation/{organisation.pk}/change/"
    data = form_data(client.get(change_url))
    data["name"] = "Renamed by the editor"
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert response.cookies[routers.PIN_COOKIE]["max-age"] == 5

    routes_of_tracker_reads.clear()
    page = client.get(f"/organisations/{organisation.slug}/")
    assert page.status_code == 200
    assert "Renamed by the editor" in page.content.decode()
    assert routes_of_tracker_reads and set(routes_of_tracker_reads) == {"default"}

    # Six seconds later the pin has expired: the same browser reads from the replica again.
    later = time.time() + 6
    monkeypatch.setattr(signing.time, "time", lambda: later)
    routes_of_tracker_reads.clear()
    assert client.get(f"/organisations/{organisation.slug}/").status_code == 200
    assert routes_of_tracker_reads and set(routes_of_tracker_reads) == {"replica"}


@pytest.mark.django_db
def test_a_safe_request_that_writes_a_record_pins_its_browser(
    with_replica, rf, organisation, settings
):
    def view(request):
        # A GET that saves a record (as a signal receiver or a view might) reads its own
        # write from then on.
        assert routers.reads_from_replica()
        organisation.save()
        assert not routers.reads_from_replica()
        from django.http import HttpResponse

        return HttpResponse("ok")

    response = routers.ReplicaPinMiddleware(view)(rf.get("/organisations/"))
    assert routers.PIN_COOKIE in response.cookies


@pytest.mark.django_db
def test_a_request_that_saves_only_a_session_is_not_pinned(with_replica, rf):
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    def view(request):
        store = SessionStore()
        store["x"] = 1
        store.save()
        return HttpResponse("ok")

    response = routers.ReplicaPinMiddleware(view)(rf.get("/organisations/"))
    assert routers.PIN_COOKIE not in response.cookies


def test_healthz_says_nothing_of_a_replica_when_there_is_none(client, db):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["database"]["status"] == "ok"
    assert not any(key.startswith("replica") for key in health)


def test_healthz_reports_an_unreachable_replica_without_failing_the_probe(client, db, monkeypatch):
    # Taking every app server out of the load balancer would not bring the replica back; the
    # admin and the desk still work on the primary.
    class Unreachable:
        settings_dict = {}

        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(routers, "replica_alias", lambda: routers.REPLICA_DB_ALIAS)
    monkeypatch.setattr(routers, "connections", {routers.REPLICA_DB_ALIAS: Unreachable()})
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "degraded" and health["database"]["status"] == "ok"
    assert health["replica"] == "unreachable"


def test_database_replica_url_adds_a_mirrored_replica_its_router_and_the_pin():
    read = (
        "from django.conf import settings as s; import json; print(json.dumps(["
        "sorted(s.DATABASES), s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), "
        "getattr(s, 'DATABASE_ROUTERS', []), 'tracker.routers.ReplicaPinMiddleware' in "
        "s.MIDDLEWARE, s.TRACKER_REPLICA_PIN_SECONDS]))"
    )
    key = {"DJANGO_SECRET_KEY": "k" * 50, "DATABASE_URL": "postgres://u:p@primary:5432/t"}
    unset = start_django(read, **key)
    assert json.loads(unset.stdout) == [["default"], None, [], False, 5]
    replica = start_django(read, DATABASE_REPLICA_URL="postgres://u:p@replica:5432/t", **key)
    assert json.loads(replica.stdout) == [
        ["default", "replica"],
        "default",
        ["tracker.routers.ReplicaRouter"],
        True,
        5,
    ]


def test_a_replica_url_that_is_not_postgresql_or_a_negative_pin_is_named():
    key = {"DJANGO_SECRET_KEY": "k" * 50}
    for name, value, message in (
        ("DATABASE_REPLICA_URL", "sqlite:///replica.sqlite3", "must name a PostgreSQL"),
        ("DATABASE_REPLICA_URL", "replica.example.internal", "must name a PostgreSQL"),
        ("TRACKER_REPLICA_PIN_SECONDS", "-1", "TRACKER_REPLICA_PIN_SECONDS must be"),
    ):
        result = start_django(**{name: value}, **key)
        assert result.returncode != 0, value
        assert message in result.stderr, (value, result.stderr[-500:])
