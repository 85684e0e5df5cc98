"""Reads of the UI and the API from a read replica, everything else from the primary.

With `DATABASE_REPLICA_URL` set, settings add a `replica` database and install
`ReplicaRouter` and `ReplicaPinMiddleware`. The middleware decides, once per request, where
that request's reads of the tracker's records go, and keeps the choice in a context variable
the router reads:

- the replica: a GET, HEAD or OPTIONS of a UI page or of the API;
- the primary: every other method, the admin (all of it, its reads too), the reading desk
  and the proposals of a source, login and logout; and every request of a browser that wrote
  less than `TRACKER_REPLICA_PIN_SECONDS` ago (read-your-writes): a request that wrote (any
  method but GET/HEAD/OPTIONS, or a save or delete of a tracker record) answers with a signed
  cookie holding the time, and while that cookie is fresh its browser reads from the primary,
  so an editor sees a change at once, however far the replica lags.

Writes and migrations always go to the primary, and so do reads of anything but the tracker's
own records (users, sessions, permissions, the database cache holding the API's pages and the
data version): a session made at login, or a data version changed by a write, is read where
it was written. Reads outside a request (management commands, the shell) use the primary.

In tests the `replica` alias mirrors `default` (Django points it at the replica's copy of
the test database, which a test's open transaction never reaches): tests/conftest.py turns
`TRACKER_USE_REPLICA` off for every test but those of tests/replica/, which use the real
replica. A replica naming the primary's own database is not used either.

The API's page cache (`tracker/api/cache.py`) reads the data version from the primary's side;
a page about to be built from the replica is built from the primary instead when the replica
has not yet replayed everything the primary had when that version was read
(`replica_behind()`), so a lagging replica never fills the cache with a page older than the
version it is stored under.
"""

import contextvars
import logging
import time

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models.signals import post_delete, post_save

REPLICA_DB_ALIAS = "replica"
PIN_COOKIE = "tracker_primary"
PIN_SALT = "tracker.routers.pin"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# UI pages read from the primary even by GET: where staff edit and read what they just wrote.
PRIMARY_URL_NAMES = {
    "login",
    "logout",
    "desk-new",
    "desk-attach",
    "desk-records",
    "source-proposals",
    "proposal-dismiss",
}
PRIMARY_URL_NAMESPACES = {"admin"}

logger = logging.getLogger(__name__)


class Route:
    """One request's choice: whether its reads may go to the replica, and whether it wrote."""

    def __init__(self, use_replica):
        self.use_replica = use_replica
        self.wrote = False

    def written(self):
        self.wrote = True
        self.use_replica = False


_route = contextvars.ContextVar("tracker_db_route", default=None)


def pin_seconds():
    return settings.TRACKER_REPLICA_PIN_SECONDS


def replica_alias():
    """The replica's alias, or None when there is none distinct from the primary."""
    if REPLICA_DB_ALIAS not in settings.DATABASES or not getattr(
        settings, "TRACKER_USE_REPLICA", True
    ):
        return None
    replica = connections[REPLICA_DB_ALIAS].settings_dict
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    if replica is primary or all(
        replica.get(key) == primary.get(key) for key in ("ENGINE", "NAME", "HOST", "PORT")
    ):
        return None
    return REPLICA_DB_ALIAS


def reads_from_replica():
    route = _route.get()
    return route is not None and route.use_replica and replica_alias() is not None


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label == "tracker" and reads_from_replica():
            return REPLICA_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read from either may join the other.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def pinned(request):
    """Whether the browser behind `request` wrote within the last pin seconds."""
    try:
        request.get_signed_cookie(PIN_COOKIE, salt=PIN_SALT, max_age=pin_seconds())
    except (KeyError, signing.BadSignature):
        return False
    return True


class ReplicaPinMiddleware:
    """Sets the request's route for the router, and the pin cookie on a request that wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        route = Route(use_replica=request.method in SAFE_METHODS and not pinned(request))
        token = _route.set(route)
        try:
            response = self.get_response(request)
        finally:
            _route.reset(token)
        if route.wrote or request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                PIN_COOKIE,
                str(int(time.time())),
                salt=PIN_SALT,
                max_age=pin_seconds(),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and (
            match.url_name in PRIMARY_URL_NAMES
            or PRIMARY_URL_NAMESPACES.intersection(match.namespaces)
        ):
            route = _route.get()
            if route is not None:
                route.use_replica = False
        return None


def record_written(sender, **kwargs):
    route = _route.get()
    if route is not None and sender._meta.app_label == "tracker":
        route.written()


def replica_behind():
    """Whether the replica lacks some of what the primary had committed when the data version
    last changed.

    Only asked while a request would read from the replica; False without one, or on a
    replica that cannot say (it then serves as it would anyway).
    """
    if not reads_from_replica():
        return False
    from .data_version import POSITION_KEY, shared_cache

    try:
        # Where the primary stood when the data version last changed; its position now
        # when that is unknown (later writes of other tables, such as the database cache's,
        # would otherwise count as lag).
        primary_lsn = shared_cache().get(POSITION_KEY) or primary_position(required=True)
        with connections[REPLICA_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                "SELECT pg_last_wal_replay_lsn() IS NULL OR pg_last_wal_replay_lsn() < %s::pg_lsn",
                [primary_lsn],
            )
            return bool(cursor.fetchone()[0])
    except DatabaseError as error:
        logger.warning("Could not compare the replica's position with the primary's: %s", error)
        return True


def primary_position(required=False):
    """The primary's write position now, where a replica reads beside it; else None."""
    if not required and replica_alias() is None:
        return None
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            return cursor.fetchone()[0]
    except DatabaseError:
        if required:
            raise
        logger.warning("Could not read the primary's write position.", exc_info=True)
        return None


def read_from_primary():
    """The rest of this request reads from the primary."""
    route = _route.get()
    if route is not None:
        route.use_replica = False


def replica_status():
    """For /healthz: None without a replica, else whether it answers and its lag in seconds."""
    alias = replica_alias()
    if alias is None:
        return None
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), CASE "
                "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
            )
            in_recovery, lag = cursor.fetchone()
    except DatabaseError as error:
        logger.error("Health check: the read replica does not answer: %s", error)
        return {"replica": "unreachable"}
    return {
        "replica": "ok" if in_recovery else "not-a-replica",
        "replica_lag_seconds": None if lag is None else round(float(lag), 3),
    }


def connect():
    post_save.connect(record_written, dispatch_uid="tracker.routers:save")
    post_delete.connect(record_written, dispatch_uid="tracker.routers:delete")
