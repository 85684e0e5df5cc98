"""Trigram indexes behind the folded-text search, on PostgreSQL only.

Search filters `search_text LIKE '%word%'`; on PostgreSQL a GIN index with pg_trgm's
operator class answers that without reading every row. SQLite has no such index and
needs none at the sizes it serves, so there this migration does nothing. The indexes are
kept out of the models' state on purpose: they exist on one database only.
"""

from django.db import migrations

SEARCHABLE_TABLES = [
    "tracker_organisation",
    "tracker_person",
    "tracker_agreement",
    "tracker_commitment",
    "tracker_source",
]


def index_name(table):
    return f"{table.removeprefix('tracker_')}_search_trgm"


def extension_available(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone():
            return True
        # pg_trgm is a trusted extension (PostgreSQL 13+): a database's owner may create it.
        # Where the role may not, say so and carry on; a database administrator can run
        # CREATE EXTENSION pg_trgm and then `migrate tracker 0001` and `migrate` again.
        cursor.execute("SAVEPOINT tracker_pg_trgm")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as error:  # noqa: BLE001 - any refusal means the same thing here
            cursor.execute("ROLLBACK TO SAVEPOINT tracker_pg_trgm")
            print(
                "\n  The pg_trgm extension could not be created "
                f"({str(error).strip()}); search works without its indexes, only slower."
            )
            return False
        cursor.execute("RELEASE SAVEPOINT tracker_pg_trgm")
        return True


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not extension_available(schema_editor):
        return
    for table in SEARCHABLE_TABLES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index_name(table)}" '
            f'ON "{table}" USING gin ("search_text" gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SEARCHABLE_TABLES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index_name(table)}"')


class Migration(migrations.Migration):
    dependencies = [("tracker", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
