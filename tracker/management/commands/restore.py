from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction

from tracker.backup import advance_id_sequences, rows_present
from tracker.data_version import changed_on_commit

READABLE_SUFFIXES = (".json", ".json.gz")


class Command(BaseCommand):
    help = (
        "Load a file written by `backup` into an empty, migrated database: every record, its "
        "history, users and the admin's log, with their primary keys. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A backup file (.json or .json.gz).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such backup file: {path}")
        if not path.name.endswith(READABLE_SUFFIXES):
            raise CommandError(
                f"{path} is not a backup file: its name must end in .json or .json.gz."
            )
        present = rows_present()
        if present:
            listed = ", ".join(f"{label} ({count})" for label, count in sorted(present.items()))
            raise CommandError(
                "Restore loads into an empty database only, and this one holds rows already: "
                f"{listed}. Restore into a new database (create it, then `migrate`)."
            )
        try:
            with transaction.atomic():
                call_command("loaddata", str(path), verbosity=0)
                advance_id_sequences()
                # loaddata's saves send signals; this covers the rows they might not.
                changed_on_commit()
        except (DeserializationError, DatabaseError, ValueError) as error:
            reason = str(error).strip()
            if error.__cause__ is not None and str(error.__cause__) not in reason:
                reason = f"{reason} {error.__cause__}"
            message = f"Nothing was restored: {path} could not be loaded: {reason}"
            raise CommandError(message) from error
        restored = sum(rows_present().values())
        self.stdout.write(f"Restored {restored} rows from {path}.")
