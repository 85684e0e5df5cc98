"""One version of the tracker's data, changed by every write, kept in the shared cache.

The API's page cache uses a page only while the version it was built under is current
(`tracker/api/cache.py` explains the caching). Every application server reads the version
from the shared cache, so each sees a write made through any of them, for one cache get.

Every write changes it: the `post_save` / `post_delete` receivers below cover each save and
delete through the models (the admin, `load_articles`, `loaddata` and `restore`), and the bulk
writers that bypass signals (`generate_data`, `refresh_search_text`, deleting the generated
data) call `changed_on_commit()` themselves.

Two rules keep a reader from storing old data under a new version:
- the new version is written after the transaction commits (`transaction.on_commit`): a
  reader that saw the new version reads the committed rows;
- a new version is a fresh random token, never a counter's next value: `incr` is a read and a
  write on some backends (the database cache among them), and two writers bumping at once
  could both write the same "next" value, leaving a page read between their commits valid.
  A missing version (never set, evicted, cache cleared) becomes a fresh token too, so it can
  never match a page stored under an earlier one.

Changing the version is the only work done after a write commits, and it must never make a
committed write look failed: a cache that cannot be written then (unreachable, its table
missing) is logged, and the writer can ask the `VersionChange` whether it happened.
"""

import logging
import secrets

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_delete, post_save

VERSION_KEY = "tracker:data-version"
# With a read replica: the primary's write position when the version last changed.
POSITION_KEY = "tracker:data-version-position"

logger = logging.getLogger(__name__)

# The models whose rows the API shows; a write to any of them changes the version.
TRACKED_MODELS = (
    "Source",
    "Organisation",
    "OrganisationName",
    "OrganisationLink",
    "Person",
    "Position",
    "Agreement",
    "AgreementParty",
    "Commitment",
    "CommitmentReport",
    "Citation",
)


def shared_cache():
    return caches[settings.TRACKER_API_CACHE_ALIAS]


def current():
    """The data's version now: one cache get (two more the first time, or after eviction)."""
    cache = shared_cache()
    version = cache.get(VERSION_KEY)
    if version is None:
        version = start()
    return version


def start():
    """A fresh version where none is stored; another server's, if it stored one first."""
    cache = shared_cache()
    cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
    # None only from a cache that keeps nothing: then every read gets a version of its own.
    return cache.get(VERSION_KEY) or secrets.token_hex(8)


def change():
    """A new version, now. Writers call `changed_on_commit()` instead.

    With a read replica, the primary's write position is stored first: a reader who sees the
    new version then finds beside it a position at or after the write that made it, and
    builds from the replica only once the replica has replayed that far
    (`routers.replica_behind`).
    """
    from . import routers

    cache = shared_cache()
    position = routers.primary_position()
    if position is None:
        cache.delete(POSITION_KEY)
    else:
        cache.set(POSITION_KEY, position, timeout=None)
    cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)


class VersionChange:
    """The version change one transaction makes once it commits, and what became of it."""

    def __init__(self):
        self.done = False
        self.error = None

    def __call__(self):
        try:
            change()
        except Exception as error:  # any cache backend's failure: the write stays committed
            self.error = error
            logger.error(
                "The tracker's data changed, but the shared cache could not record a new data "
                "version: %s. Pages cached before the change may be served until they expire.",
                error,
                exc_info=True,
            )
        else:
            self.done = True

    def failure(self):
        """What went wrong, in a sentence, or None when the version was changed."""
        if self.error is None:
            return None
        return f"{type(self.error).__name__}: {str(self.error).strip()}"


def pending_change(using=DEFAULT_DB_ALIAS):
    """The `VersionChange` the open transaction on `using` will make on commit, if any."""
    connection = connections[using]
    if not connection.in_atomic_block:
        return None
    for entry in connection.run_on_commit:
        if isinstance(entry[1], VersionChange):
            return entry[1]
    return None


def pending(using=DEFAULT_DB_ALIAS):
    """Whether the open transaction on `using` has written tracker data not yet committed."""
    return pending_change(using) is not None


def changed_on_commit(using=DEFAULT_DB_ALIAS):
    """Change the version once the current transaction commits (at once outside one).

    A transaction that writes many rows changes it once; a rolled-back one not at all.
    Returns the `VersionChange`, which says after the commit whether it was made.
    """
    version_change = pending_change(using)
    if version_change is None:
        version_change = VersionChange()
        transaction.on_commit(version_change, using=using)
    return version_change


FIGURES_KEY_PREFIX = "tracker:figures:"
# A day at most: figures that depend on the date carry it in their name as well.
FIGURES_SECONDS = 24 * 60 * 60


def cached_figures(name, build, keep=lambda value: True, page_part=False):
    """`build()`'s value, kept in the shared cache while the data version stays the same
    (and `keep(value)` is true: a value cheap to build again need not take a place there).

    With a read replica that lags behind the version, figures are built from the primary
    for the rest of the request. A `page_part` (a part of a page whose other parts read the
    replica) is then built from the replica as they are, neither kept nor taken from the
    cache, so that the page shows one state of the data.

    For figures that cost a scan of whole tables (the dashboard's counts) and that any write
    may change. The version is read before building, so figures built while a write commits
    are stored under the old version and never served after it. Inside a transaction that
    has written tracker data not yet committed, the figures are built from what it sees and
    not stored, as the API's page cache does.
    """
    from . import routers
    from .shared_cache import REDIS_ERRORS

    if pending():
        return build()
    if page_part and routers.replica_behind():
        return build()
    cache = shared_cache()
    key = FIGURES_KEY_PREFIX + name
    try:
        entries = cache.get_many([VERSION_KEY, key])  # one round trip
        version = entries.get(VERSION_KEY) or start()
        entry = entries.get(key)
    except REDIS_ERRORS as error:
        # The page needs only the database: built afresh, as without the cache.
        logger.warning("The shared cache does not answer; figures built afresh: %s", error)
        return build()
    if entry is not None and entry[0] == version:
        return entry[1]
    if not page_part and routers.replica_behind():
        # Built from a replica that lacks the write behind this version, the figures would
        # be kept as current while older.
        routers.read_from_primary()
    value = build()
    if not keep(value):
        return value
    try:
        cache.set(key, (version, value), timeout=FIGURES_SECONDS)
    except REDIS_ERRORS as error:
        logger.warning("The shared cache does not answer; figures not kept: %s", error)
    return value


def record_changed(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    changed_on_commit(using)


def create_cache_tables(using=DEFAULT_DB_ALIAS, **kwargs):
    """Make the table of every database cache in settings.CACHES that `using` lacks.

    Run after every `migrate`, so a migrated database is ready to serve and write, whatever
    cache aliases the settings name (a cache added later gets its table at the next
    `migrate`); existing tables are left as they are.
    """
    call_command("createcachetable", database=using, verbosity=0)


def changed_by_migrate(**kwargs):
    """post_migrate handler: a new version after every `migrate` and `flush`.

    A data migration changes rows without the signals writers send, and `flush` (which ends
    with post_migrate) empties every table without them: pages and figures kept under the
    old version would describe data that is no longer there. A cache that does not answer
    is logged, as after a write; the migration stands.
    """
    VersionChange()()


def connect():
    from django.apps import apps

    for name in TRACKED_MODELS:
        model = apps.get_model("tracker", name)
        uid = f"tracker.data_version:{name}"
        post_save.connect(record_changed, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(record_changed, sender=model, dispatch_uid=uid + ":delete")
