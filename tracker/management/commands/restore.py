"""`manage.py restore`: a backup into an empty database, all or nothing (backup.py)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.backup import BackupError, read_backup, restore_backup, rows_present


class Command(BaseCommand):
    help = (
        "Load a file written by `backup` into an empty, migrated database: every record, its "
        "history, users and the admin's log, with their primary keys. Every record is checked "
        "first; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A backup file (.json or .json.gz).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such backup file: {path}")
        present = rows_present()
        if present:
            listed = ", ".join(f"{label} ({count})" for label, count in sorted(present.items()))
            raise CommandError(
                "Restore loads into an empty database only, and this one holds rows already: "
                f"{listed}. Restore into a new database (create it, then `migrate`)."
            )
        try:
            restored, version_change = restore_backup(path, read_backup(path))
        except BackupError as error:
            raise CommandError(f"Nothing was restored: {error}") from error
        # Committed: from here on nothing may say otherwise.
        self.stdout.write(f"Restored {restored} rows from {path}.")
        failure = version_change.failure()
        if failure:
            self.stderr.write(
                self.style.WARNING(
                    f"Warning: the {restored} rows are restored and committed, but the shared "
                    f"cache ({settings.TRACKER_API_CACHE_ALIAS!r}) could not be told that the "
                    f"data changed: {failure}. API pages it cached before the restore may be "
                    "served until they expire; once the cache works (`migrate` creates a "
                    "missing cache table), clear it or wait."
                )
            )
