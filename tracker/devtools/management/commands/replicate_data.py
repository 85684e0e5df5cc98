"""`manage.py replicate_data --times N`: the tracker's data N times over (replication.py)."""

import time

from django.core.management.base import BaseCommand, CommandError

from tracker.devtools.replication import replicate
from tracker.devtools.synthetic import tracker_row_counts


class Command(BaseCommand):
    help = (
        "Copy every tracker record and its history N-1 times in SQL, each copy with its own "
        "ids and slugs, for measuring pages at N times the data. For benchmark databases only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--times", type=int, required=True, help="How many times the data there is now."
        )

    def handle(self, *args, **options):
        times = options["times"]
        if times < 2:
            raise CommandError(f"--times must be 2 or more, not {times}.")
        if not any(tracker_row_counts().values()):
            raise CommandError(
                "The database holds no tracker data to replicate: run generate_data first."
            )
        started = time.perf_counter()
        written = replicate(times, progress=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Replicated {times} times in {time.perf_counter() - started:.1f} s: "
                f"{sum(written.values())} rows written."
            )
        )
