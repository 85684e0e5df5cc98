import io
import os
import threading

import pytest
from django.apps import apps

from tracker.data_version import TRACKED_MODELS
from tracker.devtools import factories

# The read replica's tests need a real replica (scripts/with-postgres --replica); CI requires
# them (tests/replica/conftest.py), elsewhere they are left out unless one is configured.
collect_ignore_glob = (
    []
    if os.environ.get("DATABASE_REPLICA_URL") or os.environ.get("TRACKER_REPLICA_REQUIRED") == "1"
    else ["replica/*"]
)


@pytest.fixture(autouse=True)
def one_database(settings):
    """With a read replica configured, tests read the one test database (tests/replica/ turn
    the replica on): the replica never sees a test's open transaction."""
    settings.TRACKER_USE_REPLICA = False


# Every model with history, admin pages and search, as the data version names them.
TRACKED = [apps.get_model("tracker", name) for name in TRACKED_MODELS]


class RequestsInFlight:
    """The live server's application, counting the requests it has not finished yet."""

    def __init__(self, application):
        self.application = application
        self.count = 0
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self.changed:
            self.count += 1
        try:
            response = self.application(environ, start_response)
        except BaseException:
            self.finished()
            raise
        return FinishedOnClose(response, self.finished)

    def finished(self):
        with self.changed:
            self.count -= 1
            self.changed.notify_all()

    def wait(self, timeout=30):
        """Until no request is running; True if none is."""
        with self.changed:
            return self.changed.wait_for(lambda: self.count == 0, timeout)


class FinishedOnClose:
    """A response body that reports its request finished when the server closes it (after the
    last byte, or after the client went away), once Django's own closing work is done."""

    def __init__(self, response, finished):
        self.response = response
        self.report = finished

    def __iter__(self):
        return iter(self.response)

    def close(self):
        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            self.report, report = None, self.report
            if report is not None:
                report()


@pytest.fixture(autouse=True)
def live_server_at_rest(request):
    """With SQLite in memory, the live server's threads share the test's one connection: a
    request still running (a page the last test's browser left loading) would mix its queries
    into the data this test loads or flushes, and one failed query spoils the other's
    transaction. A test using the live server starts, and ends, when no request is running."""
    if "live_server" not in request.fixturenames:
        yield None
        return
    server = request.getfixturevalue("live_server").thread.httpd
    if not isinstance(server.get_app(), RequestsInFlight):
        server.set_app(RequestsInFlight(server.get_app()))
    in_flight = server.get_app()
    in_flight.wait()
    yield in_flight
    in_flight.wait()


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Tests render pages without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def article_data(db):
    """The three articles' facts, loaded the way `make run` loads them."""
    from django.core.management import call_command

    call_command("load_articles", stdout=io.StringIO())


@pytest.fixture
def organisation(db):
    return factories.OrganisationFactory()


@pytest.fixture
def agreement(db):
    return factories.AgreementFactory()
