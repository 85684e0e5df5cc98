"""The shared cache as operators see it: where it is, whether it answers, and the 503 when not.

With REDIS_URL set (config/settings.py) the API's pages, the data version and the throttle's
counters live in Redis. Every Redis call has a socket deadline, so a Redis that stops
answering raises within it; `SharedCacheUnavailableMiddleware` turns that into a 503 with
Retry-After (the API's JSON envelope under /api/, a page elsewhere), never a 500 or a hung
worker. The API refuses rather than serve without its throttle: a limit that lapses whenever
Redis does is no limit.
"""

import logging
from pathlib import Path
from urllib.parse import urlsplit

from django.core.cache import caches
from django.utils.translation import gettext as _

from .timeouts import unavailable

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
PROBE_KEY = "tracker:healthz"

try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError)
except ImportError:  # pragma: no cover - redis-py is a main dependency
    REDIS_ERRORS = ()


def redis_location(url):
    """host:port/db (or the socket's path) of a Redis URL, without its password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    database = parts.path.lstrip("/") or "0"
    return f"{parts.hostname}:{parts.port or 6379}/{database}"


def describe(alias):
    """Which backend the cache `alias` is and where, in words an operator can check."""
    cache = caches[alias]
    kind = type(cache).__name__
    if kind == "RedisCache":
        return {"backend": "redis", "location": redis_location(cache._servers[0])}
    if kind == "DatabaseCache":
        return {"backend": "database", "location": cache._table}
    if kind == "CounterCache":
        from .api.throttle_store import TABLE

        return {"backend": "database", "location": TABLE}
    return {"backend": kind, "location": str(getattr(cache, "_servers", "") or "")}


def check(alias):
    """`describe(alias)` with its status, from a read made now.

    A read of a key nobody writes: it needs the backend to answer (Redis, or the cache's
    table) and writes nothing, so a load balancer probing every few seconds costs no writes.
    """
    report = describe(alias)
    try:
        caches[alias].get(PROBE_KEY)
    except Exception as error:  # any backend's failure: the probe's answer is "unreachable"
        logger.error("Health check: the %r cache does not answer: %s", alias, error)
        return {"status": "unreachable", **report}
    return {"status": "ok", **report}


def describe_database(connection):
    """The database's vendor and where it is (no user, no password)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        location = Path(str(settings["NAME"])).name
    else:
        location = f"{settings.get('HOST') or 'localhost'}:{settings.get('PORT') or ''}"
        location = f"{location.rstrip(':')}/{settings['NAME']}"
    return {"vendor": connection.vendor, "location": location}


class SharedCacheUnavailableMiddleware:
    """A request that could not reach Redis answers 503 with Retry-After, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not REDIS_ERRORS or not isinstance(exception, REDIS_ERRORS):
            return None
        logger.error(
            "The shared cache (Redis) does not answer: %s %s: %s",
            request.method,
            request.get_full_path(),
            exception,
        )
        message = _(
            "The shared cache (Redis) does not answer, so this request could not be served. "
            "Try again in a moment."
        )
        return unavailable(request, message, RETRY_AFTER_SECONDS)
