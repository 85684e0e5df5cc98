"""Request counters for the API's throttle, in a table of their own, counted atomically.

A cache backend that holds whole-number counters only, so the throttle needs nothing but the
cache API's `add` and `incr`, and runs unchanged on a cache server whose `incr` is atomic
(Django's Redis backend) once the `throttle` alias of `CACHES` names one.

Django's database cache will not do: its `incr` is a read then a write, so parallel requests
of one client each read the same count and all pass; and it shares its entries with the API's
pages, whose culling deletes the lowest keys first, counters included. Here each `incr` is one
`UPDATE ... SET hits = hits + 1 ... RETURNING hits`, which the database applies atomically
(PostgreSQL locks the row; SQLite writes one statement at a time), and `add` is one
`INSERT ... ON CONFLICT` that takes a key only if it is free or expired. The table
(`tracker_throttle`) is made by the tracker's migrations; nothing else writes to it.
"""

import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import DEFAULT_DB_ALIAS, connections

TABLE = "tracker_throttle"
FOREVER = 2.0**53


class CounterCache(BaseCache):
    """Whole-number counters with an expiry; `LOCATION` is the database alias (`default`)."""

    def __init__(self, location, params):
        super().__init__(params)
        self.using = location or DEFAULT_DB_ALIAS

    def _expires(self, timeout):
        timeout = self.get_backend_timeout(timeout)
        return FOREVER if timeout is None else time.time() + timeout

    def _run(self, sql, params):
        """The number of rows written, and the first row returned (or None)."""
        connection = connections[self.using]
        sql = sql.replace("{table}", connection.ops.quote_name(TABLE))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone() if cursor.description else None
            return cursor.rowcount, row

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        _count, row = self._run(
            "UPDATE {table} SET hits = hits + %s WHERE counter_key = %s AND expires_at > %s "
            "RETURNING hits",
            [delta, key, time.time()],
        )
        if row is None:
            raise ValueError(f"Key '{key}' not found.")
        return row[0]

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        now = time.time()
        # RETURNING, not the row count, says whether this call took the key: the count of a
        # connection that another thread uses at the same moment can be that thread's.
        _count, taken = self._run(
            "INSERT INTO {table} (counter_key, hits, expires_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (counter_key) DO UPDATE SET hits = excluded.hits, "
            "expires_at = excluded.expires_at WHERE {table}.expires_at <= %s RETURNING hits",
            [key, int(value), self._expires(timeout), now],
        )
        if taken:
            # A new key is a new window for someone: drop the counters of windows gone by.
            self._run("DELETE FROM {table} WHERE expires_at <= %s", [now])
        return taken is not None

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        _count, row = self._run(
            "SELECT hits FROM {table} WHERE counter_key = %s AND expires_at > %s",
            [key, time.time()],
        )
        return default if row is None else row[0]

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        self._run(
            "INSERT INTO {table} (counter_key, hits, expires_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (counter_key) DO UPDATE SET hits = excluded.hits, "
            "expires_at = excluded.expires_at",
            [key, int(value), self._expires(timeout)],
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        count, _row = self._run(
            "UPDATE {table} SET expires_at = %s WHERE counter_key = %s AND expires_at > %s",
            [self._expires(timeout), key, time.time()],
        )
        return count > 0

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        count, _row = self._run("DELETE FROM {table} WHERE counter_key = %s", [key])
        return count > 0

    def clear(self):
        self._run("DELETE FROM {table}", [])
