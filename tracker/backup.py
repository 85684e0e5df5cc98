"""Backup and restore of the whole tracker: records, history, users and the admin's log.

The backup is a Django JSON fixture, so `loaddata` alone can also read it. Primary keys are
kept: history rows and the admin's log refer to records by primary key, so a restore that
renumbered records would detach them from their history. Content types and permissions are
referred to by natural keys, because a new database numbers them in its own way when it is
migrated; for the same reason they are not in the backup, and neither are sessions (people
log in again after a restore) nor the cache.

A restore reads the file itself (compressed or not, told by its content) and checks every
record as the models do (`full_clean`) and as PostgreSQL would (no NUL characters, integers
in range) before saving it, so SQLite and PostgreSQL accept and refuse the same files; the
whole file is restored in one transaction or not at all.
"""

import datetime
import gzip
import json
import zlib
from itertools import islice
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Max
from simple_history.models import HistoricalChanges

from . import roles
from .data_version import changed_on_commit
from .models import Commitment
from .reports import follow_reports_in_bulk

# Mentions are derived from the sources' texts and the tracker's names: a restore finds them
# again (`mentions.refresh_all`) rather than trusting a file for them.
DERIVED = {"tracker.mention"}
NOT_BACKED_UP = {"contenttypes.contenttype", "auth.permission", "sessions.session", *DERIVED}
BATCH_SIZE = 2000
GZIP_MAGIC = b"\x1f\x8b"
# The SQL standard's integer ranges, which PostgreSQL enforces and SQLite does not.
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges


class BackupError(Exception):
    """A backup file that cannot be restored; the message says where and why."""


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
        rows = model._default_manager.all()
        if model._meta.label_lower == "auth.group":
            rows = rows.exclude(name__in=roles.ROLES)  # `migrate` makes these
        count = rows.count()
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


def read_backup(path):
    """The records of the backup at `path`: a non-empty JSON list, gzip-compressed or not.

    Whether it is compressed is told by its first bytes, not by its name.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BackupError(f"{path}: cannot be read: {error.strerror}.") from error
    compressed = data.startswith(GZIP_MAGIC)
    if compressed:
        try:
            data = gzip.decompress(data)
        except EOFError as error:
            raise BackupError(
                f"{path}: the compressed file is truncated (it ends before its end marker); "
                "it was cut short while being written or copied."
            ) from error
        except (gzip.BadGzipFile, zlib.error, OSError) as error:
            raise BackupError(f"{path}: not a valid gzip file: {error}.") from error
    try:
        entries = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        if not compressed and path.name.endswith(".gz"):
            raise BackupError(f"{path}: neither gzip-compressed nor JSON text.") from error
        content = "its decompressed content" if compressed else "it"
        raise BackupError(f"{path}: {content} is not valid JSON text: {error}.") from error
    if not isinstance(entries, list):
        raise BackupError(
            f"{path}: a backup is a JSON list of records, and this file holds a JSON "
            f"{type(entries).__name__}."
        )
    if not entries:
        raise BackupError(f"{path}: the file holds no records.")
    return entries


def describe(path, number, entry):
    if not isinstance(entry, dict):
        return f"{path}, record {number}"
    return f"{path}, record {number} ({entry.get('model', '?')}, id {entry.get('pk', '?')})"


def restore_backup(path, entries):
    """Check and save every record of a backup, in one transaction: all or nothing.

    Returns the number of records restored and the data version change the commit makes,
    which says afterwards whether the shared cache took it.
    """
    from . import mentions

    loaded_models = set()
    with_forward_references = []
    with transaction.atomic(), mentions.suspended():
        version_change = changed_on_commit()
        # `migrate` made the roles' groups; the backup's own (same names) take their place.
        Group.objects.filter(name__in=roles.ROLES).delete()
        held_roles = any(
            isinstance(entry, dict)
            and entry.get("model") == "auth.group"
            and isinstance(entry.get("fields"), dict)
            and entry["fields"].get("name") in roles.ROLES
            for entry in entries
        )
        for number, entry in enumerate(entries, start=1):
            where = describe(path, number, entry)
            if isinstance(entry, dict) and entry.get("model") in DERIVED:
                continue  # a backup made before they were left out: found again below
            record = deserialize(entry, where)
            check(record.object, where)
            try:
                # The database was empty: an insert, without the update Django tries first.
                record.save(force_insert=True)
            except DatabaseError as error:
                raise BackupError(f"{where}: the database refused it: {error}") from error
            loaded_models.add(type(record.object))
            if record.deferred_fields:
                with_forward_references.append((where, record))
        for where, record in with_forward_references:
            try:
                record.save_deferred_fields()
            except (DeserializationError, ObjectDoesNotExist) as error:
                raise BackupError(f"{where}: {error}") from error
        reset_id_sequences(loaded_models)
        advance_id_sequences()
        try:
            connection.check_constraints(table_names=[m._meta.db_table for m in loaded_models])
        except DatabaseError as error:
            raise BackupError(
                f"{path}: a record refers to another that the backup does not hold: {error}"
            ) from error
        mentions.names_changed()
        mentions.refresh_all()
        # Records were saved raw: each commitment follows its latest restored report.
        follow_reports_in_bulk(Commitment.objects.all())
        # A backup from before the roles holds none of their groups: `migrate` would make them,
        # and place the accounts of that time in them.
        roles.sync_roles()
        if not held_roles:
            roles.place_accounts_made_before_roles()
    return len(entries), version_change


def deserialize(entry, where):
    if not isinstance(entry, dict) or "model" not in entry or "fields" not in entry:
        raise BackupError(f"{where}: a record needs a 'model' and its 'fields'.")
    try:
        (record,) = serializers.deserialize("python", [entry], handle_forward_references=True)
    except (DeserializationError, ObjectDoesNotExist, LookupError, ValueError, TypeError) as error:
        cause = error.__cause__ or error
        raise BackupError(f"{where}: {cause}") from error
    return record


def check(instance, where):
    """Refuse a record that either database, or the model's own rules, would refuse.

    Relations are checked by the database, at the end of the restore: history rows may
    rightly name records deleted before the backup, which a lookup here would refuse.
    """
    errors = {}
    relations = []  # and NULLs where allowed: the fields full_clean leaves alone
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if value is None and field.null:
            # A column that may be NULL: what simple-history's own fields (never blank=True)
            # hold when unset, and what both databases store.
            relations.append(field.name)
        elif field.is_relation:
            relations.append(field.name)
            if value is None and not field.null:
                errors[field.name] = ["This field cannot be null."]
        elif isinstance(value, str) and "\x00" in value:
            errors[field.name] = ["contains a NUL character, which PostgreSQL cannot store."]
        elif isinstance(value, int) and not isinstance(value, bool):
            low, high = INTEGER_RANGES.get(field.get_internal_type(), (None, None))
            if low is not None and not low <= value <= high:
                errors[field.name] = [f"{value} is outside the range {low} to {high}."]
    try:
        instance.full_clean(
            exclude=[*relations, *errors], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    except ObjectDoesNotExist as error:
        errors.setdefault("__all__", []).append(str(error))
    if errors:
        details = "; ".join(
            f"{'record' if name == '__all__' else name}: {' '.join(messages)}"
            for name, messages in errors.items()
        )
        raise BackupError(f"{where}: {details}")


def reset_id_sequences(models):
    """Set each table's id sequence past its highest restored id, as `loaddata` does."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
