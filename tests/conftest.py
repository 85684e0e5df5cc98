import io

import pytest
from django.apps import apps

from tracker.data_version import TRACKED_MODELS
from tracker.devtools import factories

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
