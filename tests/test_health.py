from http import HTTPStatus
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.urls import reverse

from tracker import shared_cache

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_login_when_the_database_answers(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_names_the_database_and_the_caches_it_reached(client):
    body = client.get(reverse("healthz")).json()
    assert body["database"] == {"status": "ok", **shared_cache.describe_database(connection)}
    assert body["database"]["vendor"] == connection.vendor
    redis = "RedisCache" in django_settings.CACHES["default"]["BACKEND"]
    assert body["cache"]["status"] == body["throttle"]["status"] == "ok"
    assert (
        body["cache"]["backend"]
        == body["throttle"]["backend"]
        == ("redis" if redis else "database")
    )
    if redis:
        assert body["cache"]["location"] == shared_cache.redis_location(
            django_settings.CACHES["default"]["LOCATION"]
        )
    else:
        assert body["cache"]["location"] == "tracker_cache"
        assert body["throttle"]["location"] == "tracker_throttle"


def test_healthz_names_a_sqlite_file_and_a_postgresql_server_without_their_secrets():
    sqlite = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": "/srv/tracker/db.sqlite3"})
    assert shared_cache.describe_database(sqlite) == {"vendor": "sqlite", "location": "db.sqlite3"}
    postgresql = SimpleNamespace(
        vendor="postgresql",
        settings_dict={
            "NAME": "tracker",
            "HOST": "db.example",
            "PORT": 5433,
            "USER": "app",
            "PASSWORD": "s3cret",
        },
    )
    assert shared_cache.describe_database(postgresql) == {
        "vendor": "postgresql",
        "location": "db.example:5433/tracker",
    }
    assert shared_cache.redis_location("redis://:s3cret@cache.example:6380/2") == (
        "cache.example:6380/2"
    )


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch(
        "tracker.health.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get(reverse("healthz"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"]["status"] == "unreachable"


def test_healthz_answers_plain_http_even_when_https_is_enforced(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("healthz")).status_code == HTTPStatus.OK
    assert client.get("/admin/login/").status_code == HTTPStatus.MOVED_PERMANENTLY


def test_healthz_refuses_writes(client):
    assert client.post(reverse("healthz")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
