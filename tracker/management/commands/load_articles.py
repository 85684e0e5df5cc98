"""`manage.py load_articles`: the article fixtures, loaded once (fixtures.py)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.fixtures import FixtureError, load_fixtures


class Command(BaseCommand):
    help = (
        "Load the article fixtures (fixtures/*.json, in name order). Safe to repeat: records "
        "loaded before, and records staff have edited since, are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "fixtures",
            nargs="*",
            help="Fixture files to load, in dependency order (default: fixtures/*.json).",
        )

    def handle(self, *args, **options):
        paths = [Path(name) for name in options["fixtures"]] or sorted(
            (Path(settings.BASE_DIR) / "fixtures").glob("*.json")
        )
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(f"No such fixture file: {', '.join(missing)}")
        try:
            report = load_fixtures(paths)
        except FixtureError as error:
            raise CommandError(f"Nothing was loaded. {error}") from error
        # Committed: from here on nothing may say otherwise.
        self.stdout.write(
            f"Article data: {len(report.created)} records created, "
            f"{len(report.kept)} already present and kept as they are, "
            f"{report.already_loaded} loaded before."
        )
        failure = report.version_change and report.version_change.failure()
        if failure:
            self.stderr.write(
                self.style.WARNING(
                    f"Warning: the {len(report.created)} records created are committed, but the "
                    f"shared cache ({settings.TRACKER_API_CACHE_ALIAS!r}) could not be told "
                    f"that the data changed: {failure}. API pages it cached before may be "
                    "served until they expire; once the cache works (`migrate` creates a "
                    "missing cache table), clear it or wait."
                )
            )
