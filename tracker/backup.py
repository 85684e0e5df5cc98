"""Backup and restore of the whole tracker: records, history, users and the admin's log.

The backup is a Django JSON fixture, so `loaddata` alone can also read it. Primary keys are
kept: history rows and the admin's log refer to records by primary key, so a restore that
renumbered records would detach them from their history. Content types and permissions are
referred to by natural keys, because a new database numbers them in its own way when it is
migrated; for the same reason they are not in the backup, and neither are sessions (people
log in again after a restore) nor the cache.
"""

import datetime
import gzip
import json
from itertools import islice

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Max
from simple_history.models import HistoricalChanges

NOT_BACKED_UP = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
BATCH_SIZE = 2000


class FullPrecisionEncoder(DjangoJSONEncoder):
    """Django's encoder, but keeping microseconds, which it cuts to milliseconds.

    History is ordered by its timestamps; rounding them could make two changes tie.
    """

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def backed_up_models():
    """Every model whose rows a backup holds, in an order a restore can load them in."""
    app_list = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in NOT_BACKED_UP or model._meta.proxy or not model._meta.managed:
            continue
        app_list.setdefault(model._meta.app_config, []).append(model)
    return serializers.sort_dependencies(app_list.items(), allow_cycles=True)


def is_history(model):
    return issubclass(model, HistoricalChanges)


def open_for_writing(path):
    if str(path).endswith(".gz"):
        return gzip.open(path, "wt", encoding="utf-8")
    return open(path, "w", encoding="utf-8")


def write_backup(stream):
    """Write every backed-up row to `stream` as one JSON list; return row counts by model."""
    python_serializer = serializers.get_serializer("python")()
    counts = {}
    first = True
    stream.write("[")
    for model in backed_up_models():
        # History rows keep their raw ids: they may name records deleted since, which have
        # no natural key left to look up.
        natural = not is_history(model)
        rows = model._default_manager.order_by("pk").iterator(chunk_size=BATCH_SIZE)
        count = 0
        while batch := list(islice(rows, BATCH_SIZE)):
            for entry in python_serializer.serialize(batch, use_natural_foreign_keys=natural):
                stream.write("\n" if first else ",\n")
                stream.write(json.dumps(entry, cls=FullPrecisionEncoder, ensure_ascii=False))
                first = False
            count += len(batch)
        counts[model._meta.label] = count
    stream.write("\n]\n")
    return counts


def rows_present():
    """Models that already hold rows, with their counts (a restore needs none)."""
    present = {}
    for model in backed_up_models():
        count = model._default_manager.count()
        if count:
            present[model._meta.label] = count
    return present


def advance_id_sequences():
    """Make new records take ids above every id the restored history has seen.

    `loaddata` sets each table's id sequence to its highest row; a record deleted before the
    backup has no row, only history, and a new record given its old id would inherit that
    history. The original database never reuses an id; nor must the restored one.
    """
    for model in apps.get_models():
        history = getattr(model, "history", None)
        if history is None or not hasattr(history, "model") or not is_history(history.model):
            continue
        pk = model._meta.pk
        if not pk.get_internal_type().endswith("AutoField"):
            continue
        highest = max(
            model._default_manager.aggregate(top=Max("pk"))["top"] or 0,
            history.model._default_manager.aggregate(top=Max(pk.attname))["top"] or 0,
        )
        if highest:
            set_id_sequence(model._meta.db_table, pk.column, highest)


def set_id_sequence(table, column, highest):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # `highest` is at least the table's own highest id, where loaddata left it.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                [connection.ops.quote_name(table), column, highest],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, highest]
                )
            elif row[0] < highest:
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [highest, table]
                )
