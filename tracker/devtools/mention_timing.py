"""Timing the mention matcher at the synthetic data's size (BENCHMARKS.md, "Mentions").

The organisations (with their other names) and the people are made by the generator
(`synthetic.Generator`), inside a transaction that is rolled back; the article is 5,000 words
of the generator's filler sentences with, every few sentences, one of those names.
"""

import random
import statistics
import time
from dataclasses import dataclass

from django.db import transaction

from tracker import mentions, models

from .synthetic import FILLERS, Generator, Sizes


class Rollback(Exception):
    pass


@dataclass
class MentionTiming:
    names: int
    build_seconds: list
    build_cpu_seconds: list
    article_words: int
    mentions_found: int
    find_seconds: list
    find_cpu_seconds: list

    def lines(self):
        return [
            f"names in the matcher: {self.names}",
            f"build (read every name, fold it, make the automaton): median "
            f"{statistics.median(self.build_seconds):.2f} s, worst {max(self.build_seconds):.2f} s "
            f"over {len(self.build_seconds)} (CPU time: median "
            f"{statistics.median(self.build_cpu_seconds):.2f} s)",
            f"find in a {self.article_words}-word article ({self.mentions_found} names found): "
            f"median {statistics.median(self.find_seconds) * 1000:.1f} ms, worst "
            f"{max(self.find_seconds) * 1000:.1f} ms over {len(self.find_seconds)} (CPU time: "
            f"median {statistics.median(self.find_cpu_seconds) * 1000:.1f} ms)",
        ]


def article(words, names, seed=0):
    """About `words` words of filler sentences, a known name in one sentence out of three."""
    rng = random.Random(seed)
    sentences, count = [], 0
    while count < words:
        sentence = rng.choice(FILLERS[rng.random() < 0.3]).format(
            n=rng.randrange(80, 400), p=rng.randrange(60, 95), m=rng.randrange(2, 18), city="Rabat"
        )
        if rng.random() < 1 / 3:
            sentence = f"Selon {rng.choice(names)}, {sentence[0].lower()}{sentence[1:]}"
        sentences.append(sentence)
        count += len(sentence.split())
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return "\n\n".join(paragraphs)


def measure(sizes=None, words=5000, builds=5, finds=30, out=print):
    sizes = sizes or Sizes()
    result = None
    try:
        with transaction.atomic():
            out(
                f"Making {sizes.organisations} organisations (with their other names) and "
                f"{sizes.people} people…"
            )
            generator = Generator(sizes)
            generator.make_organisations()
            generator.make_people()
            names = [
                *models.Organisation.objects.values_list("name", flat=True)[:2000],
                *models.OrganisationName.objects.values_list("name", flat=True)[:2000],
                *models.Person.objects.values_list("name", flat=True)[:2000],
            ]
            build_seconds, build_cpu_seconds = [], []
            for _ in range(builds):
                started, cpu = time.perf_counter(), time.process_time()
                matcher = mentions.Matcher.from_database()
                build_seconds.append(time.perf_counter() - started)
                build_cpu_seconds.append(time.process_time() - cpu)
            text = article(words, names)
            find_seconds, find_cpu_seconds = [], []
            for _ in range(finds):
                started, cpu = time.perf_counter(), time.process_time()
                found = matcher.find(text)
                find_seconds.append(time.perf_counter() - started)
                find_cpu_seconds.append(time.process_time() - cpu)
            result = MentionTiming(
                names=models.Organisation.objects.count()
                + models.Organisation.objects.exclude(acronym="").count()
                + models.OrganisationName.objects.count()
                + models.Person.objects.count(),
                build_seconds=build_seconds,
                build_cpu_seconds=build_cpu_seconds,
                article_words=len(text.split()),
                mentions_found=len(found),
                find_seconds=find_seconds,
                find_cpu_seconds=find_cpu_seconds,
            )
            raise Rollback
    except Rollback:
        pass
    return result
