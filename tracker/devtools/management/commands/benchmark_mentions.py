from django.core.management.base import BaseCommand

from tracker.devtools.mention_timing import measure
from tracker.devtools.synthetic import Sizes


class Command(BaseCommand):
    help = (
        "Time the mention matcher at the synthetic data's default size: building it from every "
        "organisation's and person's names, and finding the names in a 5,000-word article. "
        "The records are made in a transaction that is rolled back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisations", type=int, default=Sizes.organisations)
        parser.add_argument("--people", type=int, default=Sizes.people)
        parser.add_argument("--words", type=int, default=5000)

    def handle(self, *args, **options):
        sizes = Sizes(organisations=options["organisations"], people=options["people"])
        timing = measure(sizes, words=options["words"], out=self.stdout.write)
        for line in timing.lines():
            self.stdout.write(line)
