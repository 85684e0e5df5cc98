"""`manage.py backup`: the whole tracker as one JSON file (backup.py) for `restore`."""

from django.core.management.base import BaseCommand, CommandError

from tracker.backup import open_for_writing, write_backup


class RawOutput:
    """Standard output as the JSON writer needs it: no line ending added to each write."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, ending="")


class Command(BaseCommand):
    help = (
        "Write the whole tracker (records, their history, users, groups, API tokens, the "
        "admin's log) as one JSON file that `restore` loads into an empty database. "
        "It holds password hashes and API tokens: keep it as safe as the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            help="File to write (compressed when it ends in .gz); standard output by default.",
        )

    def handle(self, *args, **options):
        path = options["output"]
        if not path:
            counts = write_backup(RawOutput(self.stdout))
        else:
            try:
                with open_for_writing(path) as stream:
                    counts = write_backup(stream)
            except OSError as error:
                message = f"Cannot write the backup to {path}: {error.strerror}."
                raise CommandError(message) from error
        total = sum(counts.values())
        self.stderr.write(f"Backed up {total} rows of {len(counts)} tables.")
