"""A statement timeout for web requests, and the 503 that answers a statement it cancelled.

With `TRACKER_STATEMENT_TIMEOUT_MS` set (config/gunicorn.py sets it for `make serve`), no SQL
statement of a web request runs longer than that: PostgreSQL cancels it itself
(`statement_timeout`), SQLite is interrupted by a progress handler that looks at the clock.
The timeout is set by the WSGI application (config/wsgi.py) on each connection it opens, so
management commands (migrate, backup, restore, generate_data) are never cut short by it.
`StatementTimeoutMiddleware` answers a cancelled statement with 503 and `Retry-After`: JSON
in the API's error envelope under /api/, a page elsewhere, instead of a worker killed.
"""

import logging
import sqlite3
import time

from django.conf import settings
from django.db import OperationalError, connections
from django.db.backends.signals import connection_created
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# SQLite virtual-machine steps between two looks at the clock: often enough to stop within
# milliseconds, rare enough to cost nothing measurable.
PROGRESS_STEPS = 20_000
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by the timeout
_DISPATCH_UID = "tracker.timeouts.statement_timeout"


def limit_statements():
    """Bound the statements of every connection from now on (and of those already open)."""
    if not settings.TRACKER_STATEMENT_TIMEOUT_MS:
        return
    connection_created.connect(_on_connection_created, dispatch_uid=_DISPATCH_UID)
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            set_statement_timeout(connection, settings.TRACKER_STATEMENT_TIMEOUT_MS)


def unlimit_statements():
    connection_created.disconnect(dispatch_uid=_DISPATCH_UID)
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            set_statement_timeout(connection, 0)


def _on_connection_created(sender, connection, **kwargs):
    set_statement_timeout(connection, settings.TRACKER_STATEMENT_TIMEOUT_MS)


def set_statement_timeout(connection, milliseconds):
    """Cancel any statement of `connection` that runs longer than `milliseconds` (0: never)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(milliseconds)}")
    elif connection.vendor == "sqlite":
        _set_sqlite_deadline(connection, milliseconds / 1000)


def _set_sqlite_deadline(connection, seconds):
    # The clock starts with each statement (a wrapper around every execute); the progress
    # handler interrupts the statement, rows still being fetched included, once it has run
    # past the limit. SQLite then raises "interrupted".
    previous = getattr(connection, "_statement_clock", None)
    if previous in connection.execute_wrappers:
        connection.execute_wrappers.remove(previous)
    if seconds <= 0:
        connection.connection.set_progress_handler(None, 0)
        connection._statement_clock = None
        return
    started = [None]

    def statement_clock(execute, sql, params, many, context):
        started[0] = time.monotonic()
        return execute(sql, params, many, context)

    def past_deadline():
        return started[0] is not None and time.monotonic() - started[0] > seconds

    connection.execute_wrappers.append(statement_clock)
    connection._statement_clock = statement_clock
    connection.connection.set_progress_handler(past_deadline, PROGRESS_STEPS)


def is_statement_timeout(error):
    """Whether `error` is a statement the timeout cancelled, on PostgreSQL or SQLite."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == QUERY_CANCELED:
        return True
    return isinstance(cause, sqlite3.OperationalError) and str(cause) == "interrupted"


def unavailable(request, message, retry_after):
    """A 503 answer saying `message`, in the API's envelope or as a page, with Retry-After."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = render(request, "tracker/503.html", {"message": message}, status=503)
    response["Retry-After"] = str(retry_after)
    return response


class StatementTimeoutMiddleware:
    """A view whose statement was cancelled answers 503 with Retry-After, never a 500.

    The API's own exception handler leaves database errors to Django, so they reach
    `process_exception` here like any view's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_statement_timeout(exception):
            return None
        logger.warning(
            "Statement timeout (%s ms): %s %s",
            settings.TRACKER_STATEMENT_TIMEOUT_MS,
            request.method,
            request.get_full_path(),
        )
        message = _(
            "The database took too long to answer this request and it was stopped. "
            "Try again in a moment; if it happens again, narrow the search or the filters."
        )
        return unavailable(request, message, RETRY_AFTER_SECONDS)
