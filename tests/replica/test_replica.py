"""Where each query goes with a real streaming replica, and what a user sees while it lags."""

import time

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tracker import views
from tracker.devtools import factories
from tracker.roles import EDITORS, READERS, assign

from ..test_admin import form_data
from .conftest import replica_query, wait_for_replica

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


class Queries:
    """The SQL each database received during one block."""

    def __enter__(self):
        self.contexts = {
            alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")
        }
        for context in self.contexts.values():
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self.contexts.values():
            context.__exit__(*exc)

    def on(self, alias, table='"tracker_organisation"'):
        return [q["sql"] for q in self.contexts[alias].captured_queries if table in q["sql"]]


def logged_in(django_user_model, name, role):
    user = django_user_model.objects.create_user(name, password="x")
    assign(user, role)
    client = Client()
    client.force_login(user)
    return client


def test_ui_and_api_read_the_replica_while_the_admin_and_writes_use_the_primary(
    live_replica, client, django_user_model
):
    organisation = factories.OrganisationFactory(name="Agence avant")
    client.force_login(django_user_model.objects.create_superuser("boss", password="x"))
    wait_for_replica()

    with Queries() as queries:
        page = client.get("/organisations/")
    assert page.status_code == 200 and "Agence avant" in page.content.decode()
    assert queries.on("replica") and not queries.on("default")

    with Queries() as queries:
        api = client.get("/api/v1/organisations/")
    assert api.status_code == 200 and "Agence avant" in api.content.decode()
    assert queries.on("replica") and not queries.on("default")

    with Queries() as queries:
        admin = client.get("/admin/tracker/organisation/")
        change = client.get(f"/admin/tracker/organisation/{organisation.pk}/change/")
    assert admin.status_code == 200 and change.status_code == 200
    assert queries.on("default") and not queries.contexts["replica"].captured_queries

    data = form_data(change)
    data["name"] = "Agence après"
    with Queries() as queries:
        saved = client.post(f"/admin/tracker/organisation/{organisation.pk}/change/", data)
    assert saved.status_code == 302
    assert any(sql.startswith("UPDATE") for sql in queries.on("default"))
    assert not queries.contexts["replica"].captured_queries


def test_an_editor_sees_their_own_change_at_once_while_the_replica_lags(
    live_replica, django_user_model, monkeypatch
):
    monkeypatch.setattr(views, "KEEP_MAP_FROM", 0)  # every organisation's map is kept
    organisation = factories.OrganisationFactory(name="Agence avant")
    editor = logged_in(django_user_model, "editor", EDITORS)
    reader = logged_in(django_user_model, "reader", READERS)
    detail = f"/organisations/{organisation.slug}/"
    change_url = f"/admin/tracker/organisation/{organisation.pk}/change/"
    data = form_data(editor.get(change_url))
    wait_for_replica()
    assert "Agence avant" in reader.get("/api/v1/organisations/").content.decode()

    # The replica stops replaying: from now on it lags behind every write.
    replica_query("SELECT pg_wal_replay_pause()")
    data["name"] = "Agence après"
    assert editor.post(change_url, data).status_code == 302
    assert replica_query(
        "SELECT name FROM tracker_organisation WHERE id = %s", [organisation.pk]
    ) == ("Agence avant",)

    # The editor who saved reads from the primary: their change, at once.
    with Queries() as queries:
        own = editor.get(detail)
    assert "Agence après" in own.content.decode()
    assert queries.on("default") and not queries.on("replica")

    # Another user reads the lagging replica, the whole page: not the map the editor's view
    # kept from the primary either...
    with Queries() as queries:
        other = reader.get(detail)
    assert "Agence avant" in other.content.decode()
    assert "Agence après" not in other.content.decode()
    assert queries.on("replica") and not queries.on("default")

    # ...but the API's page cache, whose data version has changed, is not filled from it.
    with Queries() as queries:
        api = reader.get("/api/v1/organisations/")
    assert "Agence après" in api.content.decode()
    assert queries.on("default") and not queries.on("replica")

    # Once the replica has caught up, everyone reads the change from it.
    replica_query("SELECT pg_wal_replay_resume()")
    wait_for_replica()
    with Queries() as queries:
        other = reader.get(detail)
    assert "Agence après" in other.content.decode()
    assert queries.on("replica") and not queries.on("default")


def test_healthz_reports_the_replica_and_its_lag(live_replica, client):
    factories.OrganisationFactory()
    wait_for_replica()
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["replica"] == "ok"
    assert health["replica_lag_seconds"] == 0

    replica_query("SELECT pg_wal_replay_pause()")
    factories.OrganisationFactory()
    deadline = time.monotonic() + 10
    while not replica_query("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()")[0]:
        assert time.monotonic() < deadline, "the replica never received the write"
        time.sleep(0.05)
    health = client.get("/healthz").json()
    assert health["replica"] == "ok" and health["replica_lag_seconds"] > 0


def organisations_counted(dashboard):
    (count,) = [n for _label, n, url in dashboard.context["counts"] if "organisation" in url]
    return count


def test_the_dashboards_figures_are_not_kept_from_a_lagging_replica(
    live_replica, django_user_model
):
    """Figures built from a replica that has not replayed the write behind the data version
    would be kept as current: the dashboard would show the old count until the next write."""
    reader = logged_in(django_user_model, "reader", READERS)
    factories.OrganisationFactory()
    wait_for_replica()
    before = organisations_counted(reader.get("/"))

    replica_query("SELECT pg_wal_replay_pause()")
    factories.OrganisationFactory()
    reader.get("/")  # a view while the replica lags
    replica_query("SELECT pg_wal_replay_resume()")
    wait_for_replica()

    assert organisations_counted(reader.get("/")) == before + 1
