import io
import os

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
