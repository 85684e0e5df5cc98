"""Redis as the shared cache: chosen by REDIS_URL, refused when misnamed, never a hang."""

import socket
from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.urls import reverse

from tracker.api import throttling

from .test_settings import start_django

KEY = "k" * 50
READ_CACHES = (
    "from django.conf import settings; import json; "
    "print(json.dumps({alias: settings.CACHES[alias] for alias in ('default', 'throttle')}, "
    "default=str)); print(settings.SESSION_ENGINE)"
)


def cache_settings(**environment):
    import json

    result = start_django(READ_CACHES, DJANGO_SECRET_KEY=KEY, **environment)
    assert result.returncode == 0, result.stderr
    caches_line, session_engine = result.stdout.strip().splitlines()
    return json.loads(caches_line), session_engine


def test_redis_url_puts_pages_data_version_and_throttle_counters_in_redis():
    configured, session_engine = cache_settings(REDIS_URL="redis://127.0.0.1:6390/2")
    for alias in ("default", "throttle"):
        assert configured[alias]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert configured[alias]["LOCATION"] == "redis://127.0.0.1:6390/2"
        # Never a hang when Redis stops answering: every socket operation has a deadline.
        assert 0 < configured[alias]["OPTIONS"]["socket_connect_timeout"] <= 5
        assert 0 < configured[alias]["OPTIONS"]["socket_timeout"] <= 5
    # Two deployments can share one Redis: every key carries the deployment's prefix.
    assert configured["default"]["KEY_PREFIX"] == "tracker"
    assert configured["throttle"]["KEY_PREFIX"] == "tracker:throttle"
    # Sessions stay in the database (README "Deployment" says why).
    assert session_engine == "django.contrib.sessions.backends.db"


def test_the_key_prefix_of_a_deployment_comes_from_the_environment():
    configured, _ = cache_settings(
        REDIS_URL="redis://127.0.0.1:6390/2", TRACKER_CACHE_KEY_PREFIX="ministry"
    )
    assert configured["default"]["KEY_PREFIX"] == "ministry"
    assert configured["throttle"]["KEY_PREFIX"] == "ministry:throttle"


def test_without_redis_url_the_caches_stay_in_the_database():
    configured, session_engine = cache_settings(REDIS_URL="")
    assert configured["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert configured["throttle"]["BACKEND"] == "tracker.api.throttle_store.CounterCache"
    assert session_engine == "django.contrib.sessions.backends.db"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6379/0", "127.0.0.1:6379", "postgres://u:secret@h/db"]
)
def test_a_redis_url_with_the_wrong_scheme_stops_the_start_and_names_the_variable(url):
    result = start_django(DJANGO_SECRET_KEY=KEY, REDIS_URL=url)
    assert result.returncode != 0
    assert "REDIS_URL must" in result.stderr
    assert "secret" not in result.stderr


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    """Both caches on a Redis that does not answer (nothing listens on the port)."""
    location = f"redis://127.0.0.1:{closed_port()}/0"
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {
        alias: {"BACKEND": backend, "LOCATION": location, "OPTIONS": options, "KEY_PREFIX": alias}
        for alias in ("default", "throttle")
    }
    yield location
    for alias in ("default", "throttle"):
        caches[alias].close()


@pytest.mark.django_db
def test_healthz_answers_503_and_names_the_cache_when_redis_is_down(client, redis_down):
    response = client.get(reverse("healthz"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["status"] == "ok"
    assert body["cache"]["status"] == "unreachable"
    assert body["cache"]["backend"] == "redis"
    assert body["cache"]["location"] == redis_down.removeprefix("redis://")


@pytest.mark.django_db
def test_the_api_answers_503_in_its_envelope_when_redis_is_down(client, redis_down, settings):
    settings.TRACKER_PUBLIC_READ = True
    response = client.get("/api/v1/agreements/")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "shared cache" in response.json()["detail"]
    assert response["Retry-After"]


class CountingCache:
    """The throttle cache, recording which of its methods the throttle calls."""

    def __init__(self, cache):
        self.cache = cache
        self.calls = []

    def __getattr__(self, name):
        method = getattr(self.cache, name)

        def record(*args, **kwargs):
            self.calls.append((name, kwargs.get("timeout")))
            return method(*args, **kwargs)

        return record


@pytest.mark.django_db
def test_a_throttle_window_is_opened_once_and_then_only_counted(monkeypatch):
    """`add` opens the window with its expiry, once; every later hit is one atomic `incr`,
    which leaves the expiry alone (a client that keeps knocking cannot keep its window open)."""
    counting = CountingCache(caches["throttle"])
    counting.cache.clear()
    monkeypatch.setattr(throttling, "caches", {"throttle": counting})
    numbers = [throttling.count_request("client:1", timeout=42) for _hit in range(5)]
    assert numbers == [1, 2, 3, 4, 5]
    assert [name for name, _timeout in counting.calls] == ["incr", "add"] + ["incr"] * 4
    assert [timeout for name, timeout in counting.calls if name == "add"] == [42]
    counting.cache.clear()


@pytest.mark.django_db
def test_ui_pages_and_saves_keep_working_when_redis_is_down(
    admin_client, redis_down, django_capture_on_commit_callbacks
):
    """Sessions live in the database, and a write's version change is logged, not raised."""
    from tracker.devtools import factories
    from tracker.models import Organisation

    assert admin_client.get(reverse("tracker:dashboard")).status_code == HTTPStatus.OK
    organisation = factories.OrganisationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        organisation.name = "Renamed while Redis is down"
        organisation.save()
    assert Organisation.objects.get(pk=organisation.pk).name == "Renamed while Redis is down"
