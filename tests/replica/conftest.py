"""A real streaming replica of the test database (scripts/with-postgres --replica).

Collected only when DATABASE_REPLICA_URL is set, or when TRACKER_REPLICA_REQUIRED=1 (CI),
where a missing replica fails the tests instead of leaving them out (tests/conftest.py).

The test runner makes the test database on the primary; the replica receives it, as every
other write, through replication, and the `replica` alias (a test mirror of `default`) reads
the replica's copy of it. Other tests never read the replica (tests/conftest.py); these do,
and write through committed transactions, the only ones a replica ever sees.
"""

import os
import time

import pytest
from django.db import OperationalError, connections

WAIT_SECONDS = 30


def replica_url():
    url = os.environ.get("DATABASE_REPLICA_URL", "")
    if not url:
        # Collected without a replica only where TRACKER_REPLICA_REQUIRED=1 asks for them.
        pytest.fail(
            "The read replica tests are required here, but DATABASE_REPLICA_URL is not set: "
            "run them under scripts/with-postgres --replica."
        )
    return url


def pytest_runtest_setup(item):
    # Before the database fixtures, which would fail first, less clearly.
    replica_url()


def replica_query(sql, params=()):
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def wait_for_replica():
    """Until the replica has replayed everything the primary has committed so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            (caught_up,) = replica_query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
        except OperationalError:
            # The test database itself may not have reached the replica yet.
            connections["replica"].close()
            caught_up = False
        if caught_up:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"The replica did not replay the primary's writes within {WAIT_SECONDS} s.")
        time.sleep(0.05)


@pytest.fixture
def live_replica(transactional_db, settings):
    replica_url()
    replica = connections["replica"]
    primary = connections["default"]
    if primary.vendor != "postgresql":
        pytest.fail("The read replica tests need PostgreSQL (DATABASE_URL=postgres://...).")
    # Django's test mirror: the replica's server, the test database's name.
    assert replica.settings_dict["NAME"] == primary.settings_dict["NAME"]
    settings.TRACKER_USE_REPLICA = True
    try:
        wait_for_replica()
        yield replica
    finally:
        try:
            replica_query("SELECT pg_wal_replay_resume()")
        except OperationalError:
            pass
        replica.close()
