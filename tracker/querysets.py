"""Query logic for every model: natural keys, search, and what each page or payload shows."""

import datetime
import hashlib
from typing import NamedTuple

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.text import slugify

from .data_version import cached_figures
from .text import fold

# The most a search may ask of the database. Each different word is one more condition on
# every candidate row; a thousand words is more than SQLite can compile, and minutes of
# work on PostgreSQL. The UI and the API refuse more (an error naming `q`), the admin
# searches the first ones and says what it left out.
MAX_SEARCH_TERMS = 32
MAX_SEARCH_LENGTH = 500


def update_in_bulk(model, rows, fields, using="default", batch_size=1000):
    """Write `fields` of `rows` (instances of `model`) in one UPDATE per batch, joined to the
    batch's values; no signals, as with `bulk_update`.

    Django's `bulk_update` builds a `CASE WHEN id = … THEN …` expression for every field of
    every row, 3.5 ms a row in Python: 100,000 commitments took 400 s. Here each batch is a
    `VALUES` list (SQLite 3.33 and later, PostgreSQL), which the database joins by id."""
    connection = connections[using]
    quote = connection.ops.quote_name
    concrete = [model._meta.get_field(name) for name in fields]
    pk = model._meta.pk
    names = [quote(pk.column), *(quote(field.column) for field in concrete)]

    def assigned(field):
        # PostgreSQL gives a VALUES column of NULLs or of quoted text no type of its own.
        if connection.vendor == "postgresql":
            return f"CAST(v.{quote(field.column)} AS {field.cast_db_type(connection)})"
        return f"v.{quote(field.column)}"

    assignments = ", ".join(f"{quote(field.column)} = {assigned(field)}" for field in concrete)
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(batch))
            params = [
                value
                for row in batch
                for value in (
                    pk.get_db_prep_save(row.pk, connection),
                    *(
                        field.get_db_prep_save(getattr(row, field.attname), connection)
                        for field in concrete
                    ),
                )
            ]
            cursor.execute(
                f"WITH v ({', '.join(names)}) AS (VALUES {placeholders}) "
                f"UPDATE {table} SET {assignments} FROM v "
                f"WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}",
                params,
            )
    return len(rows)


def insert_values(model, fields, rows, using="default"):
    """Write `rows` (tuples of `fields`' database values, in that order) into `model`'s table:
    PostgreSQL's COPY, or one prepared INSERT run for every row on SQLite. No instances, no
    signals, no ids returned: for the bulk writers of many small rows (every source's
    mentions, its fingerprints), where `bulk_create` spent more time compiling each value
    than the database spent writing it."""
    if not rows:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


def related_count(model_name, field):
    """The number of `model_name` rows whose `field` points at the outer row.

    A correlated subquery is evaluated for the rows of one page only, where a `Count` over a
    join groups the whole table before the page is cut.
    """
    rows = (
        apps.get_model("tracker", model_name)
        .objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(rows), 0)


class SearchTerm(NamedTuple):
    """A word of a search: as typed (for columns kept as written) and folded."""

    typed: str
    folded: str


def all_search_terms(query):
    """Every different word of `query`, in order; a null character separates words."""
    terms = {}
    for typed in query.replace("\x00", " ").split():
        for folded in fold(typed).split():
            terms.setdefault(folded, SearchTerm(typed, folded))
    return list(terms.values())


def search_terms(query):
    """The words a search looks for: at most MAX_SEARCH_TERMS, from its first MAX_SEARCH_LENGTH
    characters. Callers that can refuse more say so first (`search_limits_exceeded`)."""
    return all_search_terms(query[:MAX_SEARCH_LENGTH])[:MAX_SEARCH_TERMS]


def search_limits_exceeded(query):
    """How `query` goes past the bounds: (characters, different words) beyond each, or 0."""
    extra_characters = max(0, len(query) - MAX_SEARCH_LENGTH)
    extra_terms = max(0, len(all_search_terms(query[:MAX_SEARCH_LENGTH])) - MAX_SEARCH_TERMS)
    return extra_characters, extra_terms


# What `SearchableModel.compute_search_text` puts between a record's folded terms.
TERM_SEPARATOR = " | "


class SlugQuerySet(models.QuerySet):
    def named(self, name):
        """Records `name` names, folded as a search folds it (case, accents, ligatures): the
        whole of their name or title, not a part of it."""
        folded = fold(name)
        return self.filter(self.name_condition(folded)) if folded else self.none()

    def name_condition(self, folded):
        # A record's name (its title) is the first term of its folded search column.
        return Q(search_text=folded) | Q(search_text__startswith=folded + TERM_SEPARATOR)

    def slug_names(self):
        """(slug, name) of each record, by its name: its title or its name (`name_field`)."""
        name = self.model.name_field
        return self.order_by(name).values_list("slug", name)

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def unique_slug(self, words, max_length=60, taken=()):
        """A slug for `words` that no row has, nor any of `taken`: cut at a word, then -2, -3…"""
        full = slugify(words)
        base = full[:max_length].rstrip("-")
        if "-" in base and len(full) > max_length:
            base = base.rsplit("-", 1)[0]
        base = base or str(self.model._meta.model_name)
        taken = {
            *taken,
            *self.model.objects.filter(slug__startswith=base).values_list("slug", flat=True),
        }
        slug, number = base, 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        return slug


def rows_key(queryset, *parts):
    """A short name for the rows `queryset` selects, and `parts`, for figures kept about them:
    a hash of their ids' query, without the columns and order (compiling a list of
    commitments whole took 3.9 ms, its ids' query 0.2). None when no row can match."""
    rows = queryset.order_by().values("pk")
    try:
        sql, params = rows.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # `.none()`, or a filter no row can meet
        return None
    return hashlib.sha256(repr((*parts, sql, params)).encode()).hexdigest()


class YearsQuerySet(models.QuerySet):
    """`dates(field, "year")` (the admin's date hierarchy before a year is chosen) without
    truncating every row's date: Django's `SELECT DISTINCT` of each row's year read all
    200,000 agreements or 50,000 sources, with their texts on SQLite (0.9–1.5 s at ten times
    the default size). Here each year between the first date and the last is asked whether
    it has a row, in one query of one `EXISTS` per year, each a range of the field's index."""

    def aggregate(self, *args, **kwargs):
        # The admin's date hierarchy asks this queryset for its first and last date just
        # before its years: kept, so `dates` does not ask again.
        result = super().aggregate(*args, **kwargs)
        bounds = [kwargs.get("first"), kwargs.get("last")]
        if not args and len(kwargs) == 2 and all(bounds):
            if isinstance(bounds[0], models.Min) and isinstance(bounds[1], models.Max):
                fields = {
                    getattr(expression.source_expressions[0], "name", None) for expression in bounds
                }
                if len(fields) == 1 and None not in fields:
                    self._date_bounds = (fields.pop(), result)
        return result

    def dates(self, field_name, kind, order="ASC"):
        if kind != "year":
            return super().dates(field_name, kind, order=order)
        kept = getattr(self, "_date_bounds", None)
        if kept and kept[0] == field_name:
            bounds = kept[1]
        else:
            bounds = self.aggregate(first=models.Min(field_name), last=models.Max(field_name))
        if bounds["first"] is None:
            return []
        years = self._years(field_name, bounds)
        return years if order == "ASC" else years[::-1]

    def _years(self, field_name, bounds):
        """The years from the first date to the last that have a row: kept in the shared
        cache under the data version (compiling a probe a year took 6–10 ms of each page)."""
        key = rows_key(self, field_name)
        if key is None:
            return []
        return cached_figures(f"years:{key}", lambda: self._probe_years(field_name, bounds))

    def _probe_years(self, field_name, bounds):
        probes = {
            f"year_{year}": Exists(
                self.filter(
                    **{
                        f"{field_name}__gte": datetime.date(year, 1, 1),
                        f"{field_name}__lt": datetime.date(year + 1, 1, 1),
                    }
                )
            )
            for year in range(bounds["first"].year, bounds["last"].year + 1)
        }
        found = self.model._default_manager.using(self.db).annotate(**probes).values(*probes)[:1]
        held = next(iter(found), {})
        return [datetime.date(int(name[5:]), 1, 1) for name, there in held.items() if there]


class SearchQuerySet(models.QuerySet):
    """Case-, accent- and ligature-insensitive search on folded `search_text` columns.

    Every word must occur in one of `search_paths`: the row's own folded column, or that of
    a record it points to (one join each, however many words). A model that searches rows
    pointing at it overrides `search_condition` with a subquery per word, never a join.
    """

    search_paths = ("search_text",)

    def search_condition(self, term):
        condition = Q()
        for path in self.search_paths:
            condition |= Q(**{f"{path}__contains": term.folded})
        return condition

    def search(self, query):
        condition = Q()
        for term in search_terms(query):
            condition &= self.search_condition(term)
        return self.filter(condition) if condition else self

    def refresh_search_text(self):
        """Recompute the folded search column of every row (for bulk writers)."""
        rows = list(self.prefetch_related(*self.model.search_prefetch))
        for row in rows:
            row.search_text = row.compute_search_text()
        update_in_bulk(self.model, rows, ["search_text"], using=router.db_for_write(self.model))
        # bulk_update sends no signals: what is cached from the old rows must go.
        from .data_version import changed_on_commit

        changed_on_commit(self.db)
        return len(rows)


def _model(name):
    return apps.get_model("tracker", name)


# What a source says about a record, directly or through a record that belongs to it.
CITED_ABOUT = {
    "organisation": (
        "organisation",
        "organisation_link__from_organisation",
        "organisation_link__to_organisation",
        "position__organisation",
        "agreement_party__organisation",
        "commitment__party",
    ),
    "person": ("person", "position__person", "agreement_party__signed_by"),
}


def cited_about(record):
    """The citations about `record` (an organisation or a person): of it, or of its links,
    positions, parties or commitments. Each path is an `IN` of the record's own rows, found
    by their index; joining every citation to its records made PostgreSQL read them all."""
    citation = _model("Citation")
    about = Q()
    for path in CITED_ABOUT[record._meta.model_name]:
        relation, _, rest = path.partition("__")
        if rest:
            related = citation._meta.get_field(relation).related_model
            about |= Q(**{f"{relation}__in": related.objects.filter(**{rest: record}).values("pk")})
        else:
            about |= Q(**{relation: record})
    return citation.objects.filter(about)


class MentionedQuerySet(models.QuerySet):
    """Records (organisations or people) named in a source's text (tracker/mentions.py)."""

    def mentioned_in(self, source):
        return self.filter(
            Exists(
                _model("Mention").objects.filter(
                    source=source, **{self.model._meta.model_name: OuterRef("pk")}
                )
            )
        )


class SourceQuerySet(SlugQuerySet, SearchQuerySet, YearsQuerySet):
    def mentioning(self, record):
        """The sources that name `record` (an organisation or a person), each with
        `mention_count`. Which of them cite it yet: `cited_about(record)` on the page's."""
        kind = record._meta.model_name
        mentions = _model("Mention").objects.filter(**{kind: record}).order_by()
        # `id IN (its mentions' sources)`, not `EXISTS` per source: the record's own mentions
        # are found by their index, where EXISTS made SQLite test every source in the table.
        return self.filter(pk__in=mentions.values("source")).annotate(
            mention_count=Subquery(
                mentions.filter(source=OuterRef("pk"))
                .values("source")
                .annotate(total=Count("pk"))
                .values("total")
            )
        )

    def with_citation_count(self):
        """Each source with `citation_count`, how many quotes the tracker takes from it.

        Counted per row by a subquery: a Count over the join would group every citation.
        """
        return self.annotate(citation_count=related_count("Citation", "source"))

    def listed(self):
        """Sources as a list shows them: their citation count, not their full text."""
        return self.with_citation_count().defer("text", "search_text")

    def with_related(self):
        return self.prefetch_related(
            Prefetch("citations", queryset=_model("Citation").objects.with_targets())
        )


class DisputedQuerySet(models.QuerySet):
    """Records whose citations report different values for one of their fields.

    The model names the citation key that points at it (`citation_target`).
    """

    def disputed(self, disputed=True):
        target = self.model.citation_target
        condition = Exists(
            _model("Citation").objects.disputes(target).filter(**{target: OuterRef("pk")})
        )
        return self.filter(condition if disputed else ~condition)


class OrganisationQuerySet(SlugQuerySet, SearchQuerySet, MentionedQuerySet, DisputedQuerySet):
    def name_condition(self, folded):
        # Every term of an organisation's search column is one of its names: its name, its
        # acronym or another name.
        return (
            Q(search_text=folded)
            | Q(search_text__startswith=folded + TERM_SEPARATOR)
            | Q(search_text__endswith=TERM_SEPARATOR + folded)
            | Q(search_text__contains=TERM_SEPARATOR + folded + TERM_SEPARATOR)
        )

    def party_to(self, agreement):
        return self.filter(
            Exists(
                _model("AgreementParty").objects.filter(
                    organisation=OuterRef("pk"), agreement=agreement
                )
            )
        )

    def related_to(self, organisation):
        """Organisations linked to `organisation` either way, or party to one of its agreements."""
        link = _model("OrganisationLink").objects
        party = _model("AgreementParty").objects
        return self.exclude(pk=organisation.pk).filter(
            Exists(link.filter(from_organisation=OuterRef("pk"), to_organisation=organisation))
            | Exists(link.filter(to_organisation=OuterRef("pk"), from_organisation=organisation))
            | Exists(
                party.filter(
                    organisation=OuterRef("pk"),
                    agreement__parties__organisation=organisation,
                )
            )
        )

    def with_related(self):
        position = _model("Position")
        return self.prefetch_related(
            "other_names",
            Prefetch(
                "links_out",
                queryset=_model("OrganisationLink").objects.select_related("to_organisation"),
            ),
            Prefetch(
                "links_in",
                queryset=_model("OrganisationLink").objects.select_related("from_organisation"),
            ),
            Prefetch(
                "positions",
                queryset=position.objects.current().select_related("person"),
                to_attr="current_positions",
            ),
            Prefetch("citations", queryset=_model("Citation").objects.with_source()),
        )


class OrganisationNameQuerySet(SearchQuerySet):
    search_paths = ("organisation__search_text",)

    def get_by_natural_key(self, organisation_slug, name):
        return self.get(organisation__slug=organisation_slug, name=name)


class OrganisationLinkQuerySet(SearchQuerySet):
    search_paths = ("from_organisation__search_text", "to_organisation__search_text")

    def get_by_natural_key(self, from_slug, kind, to_slug):
        return self.get(from_organisation__slug=from_slug, kind=kind, to_organisation__slug=to_slug)

    def current(self):
        return self.filter(ended_on__isnull=True)


class PersonQuerySet(SlugQuerySet, SearchQuerySet, MentionedQuerySet):
    def with_related(self):
        return self.prefetch_related(
            Prefetch(
                "positions",
                queryset=_model("Position").objects.select_related("organisation"),
            ),
            Prefetch("citations", queryset=_model("Citation").objects.with_source()),
        )


class PositionQuerySet(SearchQuerySet):
    search_paths = ("person__search_text", "organisation__search_text")

    def get_by_natural_key(self, person_slug, organisation_slug, title):
        return self.get(person__slug=person_slug, organisation__slug=organisation_slug, title=title)

    def current(self):
        return self.filter(ended_on__isnull=True)


class AgreementQuerySet(SlugQuerySet, SearchQuerySet, DisputedQuerySet, YearsQuerySet):
    def search(self, query):
        """Agreements in whose text, or in one of whose parties' names, each word occurs.

        The longest word selects the candidates: a union of the agreements whose text has it
        and those whose parties' names have it, each half answered from its trigram index on
        PostgreSQL (`text matches OR EXISTS(a party matches)` made it read every agreement).
        Every other word is then checked on those candidates only, so thirty words cost about
        what one does. Parties' names are reached through subqueries, never a join per word.
        """
        terms = sorted(search_terms(query), key=lambda term: len(term.folded), reverse=True)
        if not terms:
            return self
        first, *others = terms
        condition = Q(pk__in=self.matching_text_or_party(first.folded))
        for term in others:
            condition &= Q(search_text__contains=term.folded) | Q(
                Exists(
                    _model("Organisation").objects.filter(
                        search_text__contains=term.folded,
                        pk__in=_model("AgreementParty")
                        .objects.filter(agreement=OuterRef(OuterRef("pk")))
                        .values("organisation_id"),
                    )
                )
            )
        return self.filter(condition)

    def matching_text_or_party(self, word):
        by_text = self.model.objects.order_by().filter(search_text__contains=word).values("pk")
        organisations = _model("Organisation").objects.order_by().filter(search_text__contains=word)
        by_party = (
            _model("AgreementParty")
            .objects.order_by()
            .filter(organisation__in=organisations.values("pk"))
            .values("agreement_id")
        )
        return by_text.union(by_party)

    def between(self, organisations):
        """Agreements to which every one of `organisations` is a party."""
        queryset = self
        party = _model("AgreementParty").objects
        for organisation in organisations:
            queryset = queryset.filter(
                Exists(party.filter(agreement=OuterRef("pk"), organisation=organisation))
            )
        return queryset

    def citing(self, source):
        """Agreements that `source` supports: on the agreement, a party or a commitment."""
        citation = _model("Citation").objects.filter(source=source)
        return self.filter(
            Exists(citation.filter(agreement=OuterRef("pk")))
            | Exists(citation.filter(agreement_party__agreement=OuterRef("pk")))
            | Exists(citation.filter(commitment__agreement=OuterRef("pk")))
        )

    def with_commitment_status(self, statuses):
        commitment = _model("Commitment").objects
        return self.filter(Exists(commitment.filter(agreement=OuterRef("pk"), status__in=statuses)))

    def with_related(self):
        citation = _model("Citation").objects.with_source()
        return self.prefetch_related(
            Prefetch(
                "parties",
                queryset=_model("AgreementParty")
                .objects.select_related("organisation", "signed_by")
                .prefetch_related(Prefetch("citations", queryset=citation)),
            ),
            Prefetch(
                "commitments",
                queryset=_model("Commitment")
                .objects.select_related("party", "beneficiary")
                .prefetch_related(Prefetch("citations", queryset=citation)),
            ),
            Prefetch("citations", queryset=citation),
        )


class AgreementPartyQuerySet(SearchQuerySet):
    search_paths = ("organisation__search_text", "agreement__search_text")

    def get_by_natural_key(self, agreement_slug, organisation_slug):
        return self.get(agreement__slug=agreement_slug, organisation__slug=organisation_slug)


def latest_report_annotations():
    """A commitment's latest progress report (date, precision, status) and its number of
    reports, as correlated subqueries: evaluated for the rows fetched (one page, one CSV chunk),
    where a join would group every report of the table first."""
    latest = (
        _model("CommitmentReport")
        .objects.filter(commitment=OuterRef("pk"))
        .order_by("-reported_on", "-id")
    )
    return {
        "latest_report_on": Subquery(latest.values("reported_on")[:1]),
        "latest_report_precision": Subquery(latest.values("reported_on_precision")[:1]),
        "latest_report_status": Subquery(latest.values("status")[:1]),
        "report_count": related_count("CommitmentReport", "commitment"),
    }


class CommitmentQuerySet(SlugQuerySet, SearchQuerySet, DisputedQuerySet):
    def overdue(self, today=None):
        """Commitments due before today that are still open (`Commitment.is_overdue()`)."""
        from .choices import CommitmentStatus

        today = today or timezone.localdate()
        return self.filter(due_on__lt=today, status__in=CommitmentStatus.open_values())

    def with_related(self):
        citations = Prefetch("citations", queryset=_model("Citation").objects.with_source())
        return self.select_related("agreement", "party", "beneficiary").prefetch_related(
            citations,
            Prefetch(
                "reports",
                queryset=_model("CommitmentReport")
                .objects.order_by("reported_on", "id")
                .prefetch_related(citations),
            ),
        )

    def status_changed(self, after=None, before=None):
        """Commitments a progress report dated `after`..`before` (inclusive) gave a new status:
        one other than the report before it said, or than the commitment's own for its first.

        A change on or after `after` means the latest change is: that is the kept, indexed
        `status_changed_on` (tracker/reports.py). Only a range closed by `before` reads the
        reports, of the commitments that date leaves.
        """
        changed = self.filter(status_changed_on__isnull=False)
        if after is not None:
            changed = changed.filter(status_changed_on__gte=after)
        if before is None:
            return changed
        report = _model("CommitmentReport").objects
        previous = report.filter(
            commitment=OuterRef("commitment"), reported_on__lt=OuterRef("reported_on")
        ).order_by("-reported_on", "-id")
        changes = report.filter(commitment=OuterRef("pk"), reported_on__lte=before).exclude(
            status=Coalesce(Subquery(previous.values("status")[:1]), F("commitment__own_status"))
        )
        if after is not None:
            changes = changes.filter(reported_on__gte=after)
        return changed.filter(Exists(changes))

    def no_news_since(self, day):
        """Commitments nothing was heard of on or after `day`: no report, and not promised then
        (the agreement's signing is their first news); by the kept, indexed `last_heard_on`."""
        return self.filter(Q(last_heard_on__isnull=True) | Q(last_heard_on__lt=day))

    def keep_last_heard(self):
        """Set `last_heard_on` from each commitment's `latest_news_on` and its agreement's
        signing, in one UPDATE: for writers that bypass `Commitment.save`."""
        signed = (
            _model("Agreement").objects.filter(pk=OuterRef("agreement_id")).values("signed_on")[:1]
        )
        # Both databases' GREATEST, whatever they make of a NULL argument.
        return self.update(
            last_heard_on=Greatest(
                Coalesce(F("latest_news_on"), Subquery(signed)),
                Coalesce(Subquery(signed), F("latest_news_on")),
            )
        )

    def with_latest_report(self):
        """Each commitment with its latest report's `latest_report_on`, `..._precision` and
        `..._status`, and its `report_count` (tracker/columns.py and the dashboard show them)."""
        return self.annotate(**latest_report_annotations())


class CommitmentReportQuerySet(SearchQuerySet):
    """Reports are searched by their summary, as written, and by their commitment's words."""

    search_paths = ("commitment__search_text",)

    def search_condition(self, term):
        return Q(summary__icontains=term.typed) | super().search_condition(term)

    def get_by_natural_key(self, commitment_slug, reported_on, status):
        return self.get(commitment__slug=commitment_slug, reported_on=reported_on, status=status)

    def latest_first(self):
        """Latest dated first; of two reports for one day, the one recorded last."""
        return self.order_by("-reported_on", "-id")


class CitationQuerySet(SearchQuerySet):
    """Citations are searched by their quote, as written, and by their source's folded text."""

    search_paths = ("source__search_text",)

    def search_condition(self, term):
        return Q(quote__icontains=term.typed) | super().search_condition(term)

    def get_by_natural_key(self, source_slug, quote, target_name, *target_key):
        target_field = self.model._meta.get_field(target_name)
        target = target_field.related_model.objects.get_by_natural_key(*target_key)
        return self.get(source__slug=source_slug, quote=quote, **{target_name: target})

    def with_source(self):
        """Citations with their source's title and slug, but not its full text.

        A record page lists a handful of quotes from the same article; loading the article's
        text (and its folded copy) with every quote would move the whole article each time.
        """
        return self.select_related("source").defer("source__text", "source__search_text")

    def with_targets(self):
        """Citations with the record each supports, ready to link to it.

        Each kind of record is read by a query of its own (none for a kind no citation of
        the list supports). Joined to the citations all at once, in one query of 19 tables,
        PostgreSQL took 150 ms to plan what it ran in 10: a list of citations, a source's
        page and its API detail paid that on every view."""

        def targets(relation, *related):
            model = self.model._meta.get_field(relation).related_model
            return Prefetch(relation, model.objects.select_related(*related).order_by())

        return self.select_related("source").prefetch_related(
            targets("organisation"),
            targets("organisation_link", "from_organisation", "to_organisation"),
            targets("person"),
            targets("position", "person", "organisation"),
            targets("agreement"),
            targets("agreement_party", "agreement", "organisation"),
            targets("commitment", "agreement"),
            targets("report", "commitment"),
        )

    def disputes(self, target=None):
        """Every (record, field) whose citations report more than one value: rows of the
        record's key (for `target`, or for each kind of record a field is claimed on), the
        `field`, how many different values (`value_count`) and quotes (`quote_count`).

        This is the one definition of "disputed": the records' `disputed()` filter, their
        pages, the API and the list of disagreements all read it.
        """
        from .claims import CLAIMABLE_FIELDS

        targets = [target] if target else list(CLAIMABLE_FIELDS)
        rows = self.exclude(field="")
        if target:
            rows = rows.filter(**{f"{target}__isnull": False})
        return (
            rows.order_by()
            .values(*targets, "field")
            .annotate(value_count=Count("value", distinct=True), quote_count=Count("pk"))
            .filter(value_count__gt=1)
        )

    def claims_about(self, target, pairs):
        """The citations reporting a value for each (record id, field) of `pairs`, with their
        sources, by field, value and order of entry."""
        condition = Q()
        for record_id, field in pairs:
            condition |= Q(**{f"{target}_id": record_id, "field": field})
        if not condition:
            return self.none()
        return self.with_source().filter(condition).order_by(target, "field", "value", "id")
