"""`manage.py generate_data`: a synthetic dataset of the sizes asked for (synthetic.py), to
try the tracker at scale."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tracker.devtools.synthetic import Generator, Sizes, delete_tracker_data, tracker_row_counts


class Command(BaseCommand):
    help = (
        "Generate a realistic synthetic dataset (organisations, other names, links, people, "
        "positions, agreements, parties, commitments, sources, citations, and their history) "
        "for trying the tracker at scale. The same --seed and sizes give the same data."
    )

    def add_arguments(self, parser):
        defaults = Sizes()
        for name in (
            "organisations",
            "people",
            "agreements",
            "commitments",
            "citations",
            "sources",
        ):
            parser.add_argument(
                f"--{name}",
                type=int,
                default=getattr(defaults, name),
                help=f"How many {name} to generate (default: {getattr(defaults, name)}).",
            )
        parser.add_argument(
            "--links",
            type=int,
            default=None,
            help="How many links between organisations (default: one per organisation).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the dataset (default: 1).")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--append",
            action="store_true",
            help="Add the synthetic data beside the tracker data already in the database.",
        )
        mode.add_argument(
            "--force",
            action="store_true",
            help="Delete every tracker record and its history first, then generate.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Print no progress bars.")

    def handle(self, *args, **options):
        sizes = Sizes(
            **{
                name: options[name]
                for name in (
                    "organisations",
                    "people",
                    "agreements",
                    "commitments",
                    "citations",
                    "sources",
                    "links",
                )
            }
        )
        problems = sizes.problems()
        if problems:
            raise CommandError(" ".join(problems))

        existing = {name: count for name, count in tracker_row_counts().items() if count}
        if existing and not (options["append"] or options["force"]):
            held = ", ".join(f"{count} {name}" for name, count in existing.items())
            raise CommandError(
                f"The database already holds tracker data ({held}). Nothing was generated. "
                "Run again with --append to add the synthetic data beside it, or with --force "
                "to delete every tracker record and its history first."
            )
        if existing and options["force"]:
            self.stdout.write("Deleting the tracker data already in the database…")
            delete_tracker_data()

        show = not options["no_progress"] and options["verbosity"] > 0

        def progress(label, total):
            return tqdm(
                total=total,
                desc=f"{label:>14}",
                unit=" rows",
                disable=not show,
                file=sys.stderr,
                leave=True,
                dynamic_ncols=True,
            )

        started = time.perf_counter()
        counts = Generator(
            sizes, seed=options["seed"], progress=progress, append=bool(existing)
        ).run()
        elapsed = time.perf_counter() - started
        made = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated in {elapsed:.1f} s (seed {options['seed']}): {made}, "
                "each with its history row."
            )
        )
