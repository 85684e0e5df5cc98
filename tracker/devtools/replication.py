"""The tracker's data N times over, copied in SQL: pages measured at ten times the data without
waiting for the generator to write it.

Each copy is a world of its own: every row of every tracker table (history included) is copied
with its id moved past the table's last, and every foreign key to a tracker table moved by the
same amount as the table it points to, so a copied agreement's parties, commitments, reports,
citations and mentions are the copies of the original's. Slugs take a suffix (`-x2`, `-x3`…) to
stay unique; names, texts and dates stay as they were, so a search finds each record N times and
each copied source's mentions and quotes still match its text. Foreign keys to users (who made a
history row, who dismissed a proposal) are kept as they are.

For benchmarks only: the copies are as realistic as the data copied, with the same fan-out per
record (each organisation's agreements, each source's citations) and N times the rows.
"""

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from tracker.data_version import changed_on_commit

# Bookkeeping of fixtures loaded and of proposals a person dismissed: not data to multiply.
NOT_COPIED = {"loadedfixturerecord", "dismissedproposal", "historicalloadedfixturerecord"}


def copied_models():
    return [
        model
        for model in apps.get_app_config("tracker").get_models()
        if model._meta.model_name not in NOT_COPIED
    ]


def original_of(model):
    """The model a history model records (its `id` is that model's id), or None."""
    return getattr(model, "instance_type", None)


def slug_suffix(copy):
    return f"-x{copy + 1}"


def copy_sql(model, copy, spans):
    """`INSERT … SELECT` of the originals of `model` as copy number `copy` (1 is the first)."""
    quote = connection.ops.quote_name
    pk = model._meta.pk
    columns, values = [], []
    for field in model._meta.concrete_fields:
        column = quote(field.column)
        columns.append(column)
        target = None
        if field.primary_key:
            target = model
        elif field.is_relation and field.related_model in spans:
            target = field.related_model
        elif field.name == "id" and original_of(model) in spans:
            target = original_of(model)  # a history row's record
        if target is not None:
            values.append(f"{column} + {copy * spans[target]}")
        elif field.name == "slug":
            suffix = slug_suffix(copy)
            values.append(f"SUBSTR({column}, 1, {field.max_length - len(suffix)}) || '{suffix}'")
        else:
            values.append(column)
    table = quote(model._meta.db_table)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {table} WHERE {quote(pk.column)} < {spans[model]}"
    )


def set_aside_keys_and_indexes(cursor, tables):
    """PostgreSQL: drop the foreign keys of `tables` and the indexes no constraint owns, and
    return the statements that make them again.

    While rows go in, each such index is searched and updated once a row (a trigram index
    once a word), and each foreign key, being deferred, queues a check of every row for the
    commit. Made again after the copy, an index is one sort of its table and a foreign key
    one join: the copy of the default size nine times took 800 s the first way."""
    cursor.execute(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
        [tables],
    )
    foreign_keys = cursor.fetchall()
    # A table with checks still queued for the commit cannot be altered: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint WHERE conindid = indexrelid AND contype IN ('p', 'u', 'x'))",
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for index, _definition in indexes:
        cursor.execute(f"DROP INDEX {index}")
    return [definition for _index, definition in indexes] + [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        for table, name, definition in foreign_keys
    ]


def replicate(times, progress=lambda message: None):
    """Copy every tracker table `times - 1` times, in one transaction; returns the rows
    written by model label. The ids of table T's copy k are T's ids plus k × (T's largest id
    + 1), and so are the foreign keys that point to T."""
    models = copied_models()
    written = {}
    with transaction.atomic():
        spans = {
            model: (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
            for model in models
        }
        with connection.cursor() as cursor:
            remake = []
            if connection.vendor == "postgresql":
                remake = set_aside_keys_and_indexes(
                    cursor, [model._meta.db_table for model in models]
                )
                progress(f"{len(remake)} indexes and foreign keys set aside for the copy")
            for model in models:
                for copy in range(1, times):
                    cursor.execute(copy_sql(model, copy, spans))
                    written[model._meta.label] = written.get(model._meta.label, 0) + max(
                        cursor.rowcount, 0
                    )
                progress(f"{model._meta.label}: {written[model._meta.label]} rows")
            if remake:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                for statement in remake:
                    cursor.execute(statement)
                progress(f"{len(remake)} indexes and foreign keys made again")
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        changed_on_commit()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The planner's row estimates (and the paginator's, tracker/pagination.py).
            cursor.execute("ANALYZE")
    return written
