"""The API throttle's counters (`tracker/api/throttle_store.py`), in a table of their own.

Not a model: nothing but the counter cache reads or writes it, with one statement per count.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0004_dates_in_range"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "CREATE TABLE tracker_throttle ("
                "counter_key varchar(255) NOT NULL PRIMARY KEY, "
                "hits bigint NOT NULL, "
                "expires_at double precision NOT NULL)",
                "CREATE INDEX tracker_throttle_expires_at ON tracker_throttle (expires_at)",
            ],
            reverse_sql=["DROP TABLE tracker_throttle"],
        ),
    ]
