import json

from django.core.management.base import BaseCommand, CommandError

from tracker.mentions import find_mentions
from tracker.models import Source


class Command(BaseCommand):
    help = (
        "The known organisations and people a source names (with character offsets into its "
        "text), the ambiguous names, and the names proposed as possibly new records."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="The source's slug.")
        parser.add_argument(
            "--json",
            action="store_true",
            help='Print {"known": [...], "ambiguous": [...], "proposed": [...]} as JSON.',
        )

    def handle(self, *args, **options):
        from tracker.proposals import propose  # built apart; imported only when asked for

        slug = options["source"]
        source = Source.objects.filter(slug=slug).first()
        if source is None:
            raise CommandError(f"No source has the slug {slug!r}.")
        known, ambiguous = [], []
        for found in find_mentions(source.text):
            for record in found.records:
                entry = {
                    "kind": record.kind,
                    "slug": record.slug,
                    "text": found.text,
                    "start": found.start,
                    "end": found.end,
                }
                (ambiguous if found.ambiguous else known).append(entry)
        proposed = [
            {key: item[key] for key in ("kind", "text", "start", "end", "sentence")}
            for item in propose(source)
        ]
        if options["json"]:
            contract = {"known": known, "ambiguous": ambiguous, "proposed": proposed}
            self.stdout.write(json.dumps(contract, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{source.title} ({source.slug})")
        for heading, entries in (
            ("Known", known),
            ("Ambiguous (one line per record the name may stand for)", ambiguous),
        ):
            self.stdout.write(f"\n{heading}: {len(entries)}")
            for entry in entries:
                self.stdout.write(
                    f"  {entry['start']:>7}–{entry['end']:<7} {entry['text']!r} → "
                    f"{entry['kind']} {entry['slug']}"
                )
        self.stdout.write(f"\nProposed as possibly new: {len(proposed)}")
        for entry in proposed:
            self.stdout.write(
                f"  {entry['start']:>7}–{entry['end']:<7} {entry['text']!r} ({entry['kind']})"
            )
