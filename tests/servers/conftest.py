"""Two app servers (`make serve`) sharing one PostgreSQL and one Redis, over real HTTP.

They need both servers named by the environment (DATABASE_URL on PostgreSQL, REDIS_URL):

    scripts/with-postgres scripts/with-redis make test-postgres PYTEST_ARGS=tests/servers

Without them the tests here are not collected at all (a SQLite `make test` has no shared
database to prove anything with), so they are never counted as passed; .ci/run runs them
explicitly with TRACKER_SERVERS_REQUIRED=1, which turns a missing server into a failure.
"""

import os

import pytest


def missing_services():
    missing = []
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        missing.append("DATABASE_URL naming a PostgreSQL server")
    if not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL")
    return missing


REQUIRED = os.environ.get("TRACKER_SERVERS_REQUIRED") == "1"
collect_ignore_glob = [] if REQUIRED or not missing_services() else ["test_*.py"]


@pytest.fixture(scope="session")
def shared_services():
    missing = missing_services()
    if missing:
        pytest.fail(f"The two-server tests are required here but need {' and '.join(missing)}.")
    return os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
