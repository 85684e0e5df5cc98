"""Who a source talks about: every known organisation and person named in its text.

One Aho–Corasick automaton holds every name the tracker knows (organisations' names, acronyms
and other names, people's names), folded as search folds them (`text.fold`: case, accents,
ligatures, typographic quotes, whitespace). A source's text is folded the same way, keeping
for each folded character the place of the original one it came from, so a match found in
the folded copy is stored with offsets into the text as written. A match counts only on word
boundaries; where matches overlap the longest wins; a name several records share gives one
ambiguous mention per record, none of them chosen.

The automaton is built once per data version (`data_version.py`) and kept by the process;
a name changed in this process (or in the open transaction) makes it stale at once.

Mentions are derived data, stored in `Mention` and kept current:
- a source saved (admin, `loaddata`, the fixtures loader) has its mentions recomputed;
- a name added, changed or removed recomputes only the sources that can contain it: those
  whose folded text (`Source.search_text`) contains the folded name, and those that mention
  the record now;
- bulk writers (the generator) and `restore` call `refresh_all()` once at the end, inside
  `suspended()` so that no per-record work is done on the way.
"""

import logging
import re
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick
from django.db import router, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from . import data_version
from .text import _FOLDS, _TYPOGRAPHIC, fold

# Shorter folded names (a one-letter acronym) would be found in every other sentence.
MIN_NAME_LENGTH = 2
BATCH_SIZE = 2000

logger = logging.getLogger(__name__)

ORGANISATION = "organisation"
PERSON = "person"


class Candidate(NamedTuple):
    """A record a name belongs to."""

    kind: str  # ORGANISATION or PERSON
    pk: int
    slug: str
    name: str


@dataclass(frozen=True)
class Found:
    """A name found in a text: where (offsets into the original text), as written, and whose."""

    start: int
    end: int
    text: str
    records: tuple

    @property
    def ambiguous(self):
        return len(self.records) > 1


# Folding with offsets ---------------------------------------------------------------------

_CHAR_FOLDS = {}


def _fold_char(char):
    piece = _CHAR_FOLDS.get(char)
    if piece is None:
        translated = char.translate(_TYPOGRAPHIC).translate(_FOLDS)
        decomposed = unicodedata.normalize("NFKD", translated)
        piece = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        if len(_CHAR_FOLDS) < 100_000:
            _CHAR_FOLDS[char] = piece
    return piece


def fold_name(name):
    """`text.fold(name)`, faster: a name is folded for each of tens of thousands of records
    each time the matcher is built. Printable ASCII only needs its case folded."""
    collapsed = " ".join(name.translate(_TYPOGRAPHIC).split())
    if collapsed.isascii():
        return collapsed.lower()
    return "".join(map(_fold_char, collapsed))


# Printable ASCII (folded by lowering its case, one character for one), whitespace (one
# space for the run), and any other character (folded on its own, see `_fold_char`).
_SEGMENTS = re.compile(r"([!-~]+)|(\s+)|(.)", re.DOTALL)


def fold_with_offsets(text):
    """`text` folded as `text.fold` folds it (without stripping its ends), with, for each
    folded character, the (start, end) of the original characters it stands for.

    Folding changes lengths: "œ" gives "oe" (two characters from one), a combining accent
    gives nothing (it belongs to the character before it), a run of whitespace gives one space.
    """
    chars, starts, ends = [], [], []
    for match in _SEGMENTS.finditer(text):
        plain, space, other = match.groups()
        index = match.start()
        if plain:
            chars.append(plain.translate(_TYPOGRAPHIC).lower())
            starts.extend(range(index, index + len(plain)))
            ends.extend(range(index + 1, index + len(plain) + 1))
        elif space:
            chars.append(" ")
            starts.append(index)
            ends.append(index + 1)
        else:
            piece = _fold_char(other)
            if not piece:
                if ends:
                    ends[-1] = index + 1
                continue
            chars.append(piece)
            starts.extend([index] * len(piece))
            ends.extend([index + 1] * len(piece))
    return "".join(chars), starts, ends


def _is_word(char):
    return char.isalnum()


# The matcher --------------------------------------------------------------------------------


class Matcher:
    """Every name the tracker knows, in one automaton, found on word boundaries."""

    def __init__(self, names):
        """`names`: (name as written, Candidate) pairs; names fold to the automaton's keys."""
        groups = {}
        for name, candidate in names:
            folded = fold_name(name)
            if len(folded) < MIN_NAME_LENGTH:
                continue
            groups.setdefault(folded, {})[(candidate.kind, candidate.pk)] = candidate
        self.automaton = ahocorasick.Automaton()
        for folded, records in groups.items():
            ordered = tuple(records.values())
            if len(ordered) > 1:
                ordered = tuple(sorted(ordered, key=lambda c: (c.kind, c.name, c.pk)))
            self.automaton.add_word(
                folded, (len(folded), ordered, _is_word(folded[0]), _is_word(folded[-1]))
            )
        self.size = len(groups)
        if self.size:
            self.automaton.make_automaton()

    @classmethod
    def from_database(cls):
        from .models import Organisation, OrganisationName, Person

        organisations = {}
        names = []
        for pk, slug, name, acronym in Organisation.objects.values_list(
            "pk", "slug", "name", "acronym"
        ).iterator(chunk_size=BATCH_SIZE):
            candidate = organisations[pk] = Candidate(ORGANISATION, pk, slug, name)
            names.append((name, candidate))
            if acronym:
                names.append((acronym, candidate))
        for organisation_id, name in OrganisationName.objects.values_list(
            "organisation_id", "name"
        ).iterator(chunk_size=BATCH_SIZE):
            candidate = organisations.get(organisation_id)
            if candidate is not None:
                names.append((name, candidate))
        for pk, slug, name in Person.objects.values_list("pk", "slug", "name").iterator(
            chunk_size=BATCH_SIZE
        ):
            names.append((name, Candidate(PERSON, pk, slug, name)))
        return cls(names)

    def find(self, text):
        """Every name found in `text`, in order: a list of `Found`."""
        if not text or not self.size:
            return []
        folded, starts, ends = fold_with_offsets(text)
        last = len(folded) - 1
        hits = []
        for end, (length, records, word_start, word_end) in self.automaton.iter(folded):
            start = end - length + 1
            if word_start and start > 0 and _is_word(folded[start - 1]):
                continue
            if word_end and end < last and _is_word(folded[end + 1]):
                continue
            hits.append((start, end + 1, records))
        # The longest name wins where names overlap; between equals, the first.
        hits.sort(key=lambda hit: (hit[0] - hit[1], hit[0]))
        taken = bytearray(len(folded))
        chosen = []
        for start, end, records in hits:
            if taken.find(1, start, end) >= 0:
                continue
            taken[start:end] = b"\x01" * (end - start)
            chosen.append((start, end, records))
        chosen.sort()
        found = []
        for start, end, records in chosen:
            original_start, original_end = starts[start], ends[end - 1]
            found.append(
                Found(
                    original_start,
                    original_end,
                    text[original_start:original_end],
                    records,
                )
            )
        return found


_state = threading.local()
_generation = [0]


def names_changed():
    """A name was added, changed or removed in this process: build the matcher again."""
    _generation[0] += 1


def matcher():
    """The matcher of the data as this process and its open transaction see it.

    Kept while the data version, the open transaction's pending change and this process's
    name changes are what they were when it was built. The version is read before the names,
    so a write committed meanwhile can only make it look older than it is.
    """
    try:
        # In a savepoint: a cache kept in the database that fails (a missing table) must not
        # abort the transaction that is saving a source (PostgreSQL refuses every statement
        # after a failed one until the transaction, or a savepoint, is rolled back).
        with transaction.atomic():
            version = data_version.current()
    except Exception:  # any cache backend's failure: names are read afresh, not kept
        logger.warning("The data version cannot be read; the matcher is built for this use only.")
        return Matcher.from_database()
    pending = data_version.pending_change()
    cached = getattr(_state, "cached", None)
    if (
        cached is not None
        and cached[0] == version
        and cached[1] is pending
        and cached[2] == _generation[0]
    ):
        return cached[3]
    generation = _generation[0]
    built = Matcher.from_database()
    _state.cached = (version, pending, generation, built)
    return built


def find_mentions(text):
    """Every known organisation and person named in `text` (a list of `Found`)."""
    if not text:
        return []
    return matcher().find(text)


# Storing ------------------------------------------------------------------------------------


MENTION_FIELDS = ("source", "organisation", "person", "start", "end", "text", "ambiguous")


def mention_values(source_id, found):
    """The rows of `found` in `source_id`, as tuples of MENTION_FIELDS (`insert_values`)."""
    return [
        (
            source_id,
            record.pk if record.kind == ORGANISATION else None,
            record.pk if record.kind == PERSON else None,
            item.start,
            item.end,
            item.text[:300],
            item.ambiguous,
        )
        for item in found
        for record in item.records
    ]


def mention_rows(source, found):
    """The same rows as `Mention` instances."""
    from .models import Mention

    names = [Mention._meta.get_field(name).attname for name in MENTION_FIELDS]
    rows = mention_values(source.pk, found)
    return [Mention(**dict(zip(names, values, strict=True))) for values in rows]


def _key(row):
    return (row.organisation_id, row.person_id, row.start, row.end, row.text, row.ambiguous)


def refresh_mentions(source, found=None):
    """Store the mentions of `source` as its text and the tracker's names now give them.

    Writes only when they differ from those stored; returns whether they did.
    """
    from .models import Mention

    if found is None:
        found = find_mentions(source.text)
    rows = mention_rows(source, found)
    stored = Mention.objects.filter(source_id=source.pk)
    before = sorted(
        stored.values_list("organisation_id", "person_id", "start", "end", "text", "ambiguous"),
        key=repr,
    )
    if before == sorted(map(_key, rows), key=repr):
        return False
    with transaction.atomic():
        stored.delete()
        Mention.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        data_version.changed_on_commit()
    return True


def refresh_all(sources=None):
    """Recompute the mentions of `sources` (a queryset; every source by default), in bulk,
    with a matcher built for the purpose.

    For the writers that bypass signals: the generator, `restore`. Returns how many sources
    were scanned.
    """
    from .models import Mention, Source
    from .querysets import insert_values

    queryset = Source.objects.all() if sources is None else sources
    # Built afresh: the writers that call this have just changed names in bulk, and the data
    # version (a cache read, which a broken cache would make fail inside their transaction)
    # has nothing to offer them.
    current = Matcher.from_database()
    scanned = 0
    with transaction.atomic():
        ids = list(queryset.values_list("pk", flat=True))
        for offset in range(0, len(ids), BATCH_SIZE):
            batch = ids[offset : offset + BATCH_SIZE]
            Mention.objects.filter(source_id__in=batch).delete()
            rows = []
            for source in Source.objects.filter(pk__in=batch).only("pk", "text"):
                rows.extend(mention_values(source.pk, current.find(source.text)))
                scanned += 1
            insert_values(Mention, MENTION_FIELDS, rows, using=router.db_for_write(Mention))
        data_version.changed_on_commit()
    return scanned


def sources_that_can_mention(names):
    """The sources whose mentions a change to `names` can change: those whose folded text
    contains one of them. A name that comes, goes or changes changes nothing elsewhere; the
    old name of a change is among `names`, so the sources where it was found are looked at
    again (where it gave way, a shorter or an overlapping name may now be found)."""
    from .models import Source

    condition = Q()
    for folded in {fold(name) for name in names if name}:
        if len(folded) >= MIN_NAME_LENGTH:
            condition |= Q(search_text__contains=folded)
    if not condition:
        return Source.objects.none()
    return Source.objects.filter(condition)


def refresh_sources(sources):
    """Recompute the mentions of `sources` (a queryset); returns how many were scanned."""
    scanned = 0
    for source in sources.only("pk", "text").order_by("pk").iterator(chunk_size=BATCH_SIZE):
        refresh_mentions(source)
        scanned += 1
    return scanned


# Keeping them current -----------------------------------------------------------------------

_suspended = threading.local()


@contextmanager
def suspended():
    """Do no per-record work in this block (its writer calls `refresh_all()` at the end)."""
    previous = getattr(_suspended, "on", False)
    _suspended.on = True
    try:
        yield
    finally:
        _suspended.on = previous


def is_suspended():
    return getattr(_suspended, "on", False)


def source_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if is_suspended():
        return
    if update_fields is not None and "text" not in update_fields:
        return
    if raw:
        # `loaddata` saves without `save()`: the folded text the name changes look in is
        # written here, or a name added later would never find this source.
        search_text = instance.compute_search_text()
        if instance.search_text != search_text:
            instance.search_text = search_text
            sender.objects.filter(pk=instance.pk).update(search_text=search_text)
    refresh_mentions(instance)


def _names_before(sender, instance, fields):
    if instance.pk is None:
        return None
    return sender.objects.filter(pk=instance.pk).values(*fields).first()


def organisation_about_to_save(sender, instance, raw=False, **kwargs):
    if not is_suspended():
        instance._names_before = _names_before(sender, instance, ("name", "acronym"))


def organisation_saved(sender, instance, created, raw=False, **kwargs):
    if is_suspended():
        return
    before = getattr(instance, "_names_before", None) or {}
    names = {instance.name, instance.acronym}
    if not created and before and {before["name"], before["acronym"]} == names:
        return
    names_changed()
    names |= {before.get("name"), before.get("acronym")}
    refresh_sources(sources_that_can_mention(names))


def other_name_about_to_save(sender, instance, raw=False, **kwargs):
    if not is_suspended():
        instance._names_before = _names_before(sender, instance, ("name", "organisation_id"))


def other_name_saved(sender, instance, created, raw=False, **kwargs):
    if is_suspended():
        return
    before = getattr(instance, "_names_before", None) or {}
    if (
        not created
        and before
        and (before["name"], before["organisation_id"]) == (instance.name, instance.organisation_id)
    ):
        return
    names_changed()
    refresh_sources(sources_that_can_mention({instance.name, before.get("name")}))


def person_about_to_save(sender, instance, raw=False, **kwargs):
    if not is_suspended():
        instance._names_before = _names_before(sender, instance, ("name",))


def person_saved(sender, instance, created, raw=False, **kwargs):
    if is_suspended():
        return
    before = getattr(instance, "_names_before", None) or {}
    if not created and before and before["name"] == instance.name:
        return
    names_changed()
    refresh_sources(sources_that_can_mention({instance.name, before.get("name")}))


def _record_names(instance):
    from .models import Organisation

    if isinstance(instance, Organisation):
        return [
            instance.name,
            instance.acronym,
            *instance.other_names.values_list("name", flat=True),
        ]
    return [instance.name]  # a person, or one other name


def record_about_to_go(sender, instance, **kwargs):
    """Before a record or a name is deleted (its mentions with it): the sources to look at
    again once it is gone."""
    if is_suspended():
        return
    instance._mentioning_sources = list(
        sources_that_can_mention(_record_names(instance)).values_list("pk", flat=True)
    )


def record_gone(sender, instance, **kwargs):
    if is_suspended():
        return
    from .models import Source

    names_changed()
    ids = getattr(instance, "_mentioning_sources", [])
    refresh_sources(Source.objects.filter(pk__in=ids))


def connect():
    from .models import Organisation, OrganisationName, Person, Source

    uid = "tracker.mentions"
    post_save.connect(source_saved, sender=Source, dispatch_uid=f"{uid}:source")
    for model, about_to_save, saved in (
        (Organisation, organisation_about_to_save, organisation_saved),
        (OrganisationName, other_name_about_to_save, other_name_saved),
        (Person, person_about_to_save, person_saved),
    ):
        name = model.__name__
        pre_save.connect(about_to_save, sender=model, dispatch_uid=f"{uid}:{name}:pre_save")
        post_save.connect(saved, sender=model, dispatch_uid=f"{uid}:{name}:post_save")
        pre_delete.connect(record_about_to_go, sender=model, dispatch_uid=f"{uid}:{name}:pre")
        post_delete.connect(record_gone, sender=model, dispatch_uid=f"{uid}:{name}:post")
