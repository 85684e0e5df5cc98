"""A statement that outlives the statement timeout is cancelled and answered 503, web only."""

import os
import subprocess
import sys
from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tracker import roles, timeouts
from tracker.api.views import AgreementViewSet
from tracker.views import DashboardView

# Seconds of work on either database, unless something cancels it.
SLOW_SQL = {
    "sqlite": (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) "
        "SELECT count(*) FROM c"
    ),
    "postgresql": "SELECT pg_sleep(3)",
}
# A fraction of a second of work, well past a 1 ms timeout.
BRIEF_SQL = {
    "sqlite": (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) "
        "SELECT count(*) FROM c"
    ),
    "postgresql": "SELECT count(*) FROM (SELECT pg_sleep(0.2)) AS slept",
}


def run_slow_statement():
    with connection.cursor() as cursor:
        cursor.execute(SLOW_SQL[connection.vendor])
        return cursor.fetchone()


@pytest.fixture
def statement_timeout(settings):
    """The timeout the web application runs under, made short; off again afterwards."""
    settings.TRACKER_STATEMENT_TIMEOUT_MS = 200
    timeouts.limit_statements()
    yield
    timeouts.unlimit_statements()


@pytest.fixture
def slow_dashboard(monkeypatch):
    original = DashboardView.get_context_data

    def slow(self, **kwargs):
        run_slow_statement()
        return original(self, **kwargs)

    monkeypatch.setattr(DashboardView, "get_context_data", slow)


@pytest.fixture
def slow_api_list(monkeypatch):
    original = AgreementViewSet.list

    def slow(self, request, *args, **kwargs):
        run_slow_statement()
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(AgreementViewSet, "list", slow)


# The cancelled statement aborts no surrounding test transaction: these run in autocommit, as
# requests do.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_page_whose_query_outlives_the_timeout_answers_503_with_a_clear_page(
    admin_client, statement_timeout, slow_dashboard
):
    response = admin_client.get("/")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == str(timeouts.RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "took too long" in html and "Try again" in html


def test_the_503_page_is_translated(admin_client, statement_timeout, slow_dashboard):
    response = admin_client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "trop de temps" in response.content.decode()


def test_an_api_query_that_outlives_the_timeout_answers_503_in_json(
    statement_timeout, slow_api_list
):
    partner = User.objects.create_user("partner")
    roles.assign(partner, roles.PARTNERS)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=partner).key}")
    response = client.get("/api/v1/agreements/")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(timeouts.RETRY_AFTER_SECONDS)
    assert "took too long" in response.json()["detail"]
    # The connection is usable again at once.
    assert client.get("/api/v1/organisations/").status_code == HTTPStatus.OK


def test_without_the_setting_no_statement_is_cancelled(settings):
    settings.TRACKER_STATEMENT_TIMEOUT_MS = 0
    timeouts.limit_statements()
    try:
        with connection.cursor() as cursor:
            cursor.execute(BRIEF_SQL[connection.vendor])
            assert cursor.fetchone()[0] in (1, 300000)
    finally:
        timeouts.unlimit_statements()


def test_a_cancelled_statement_is_recognised_on_this_database(statement_timeout):
    with pytest.raises(OperationalError) as cancelled:
        run_slow_statement()
    assert timeouts.is_statement_timeout(cancelled.value)


# Web requests only: the WSGI application sets the timeout, management commands never do.


def run_python(code, tmp_path, **environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRACKER_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="k" * 50,
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'scratch.sqlite3'}",
        **environment,
    )
    return subprocess.run(
        [sys.executable, *code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def brief_statement_code(vendor):
    return (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        f"    cursor.execute({BRIEF_SQL[vendor]!r})\n"
        "    print('finished', cursor.fetchone()[0])\n"
    )


def test_the_wsgi_application_cancels_a_statement_past_the_timeout(tmp_path):
    code = "import config.wsgi\n" + brief_statement_code(connection.vendor)
    result = run_python(["-c", code], tmp_path, TRACKER_STATEMENT_TIMEOUT_MS="1")
    assert result.returncode != 0
    assert "finished" not in result.stdout
    assert "interrupted" in result.stderr or "statement timeout" in result.stderr


def test_management_commands_are_not_cut_short_by_the_timeout(tmp_path):
    code = brief_statement_code(connection.vendor)
    result = run_python(
        ["manage.py", "shell", "-c", code], tmp_path, TRACKER_STATEMENT_TIMEOUT_MS="1"
    )
    assert result.returncode == 0, result.stderr
    assert "finished" in result.stdout
