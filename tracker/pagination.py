"""A paginator that does not count a whole large table for every page.

Counting every row of an unfiltered list costs a scan of the table on each page view:
milliseconds at the default size, a large part of the page with a million commitments or
citations. On PostgreSQL the planner's own estimate of a table's rows (`pg_class.reltuples`,
kept by autovacuum and `ANALYZE`) answers at once; it is used for an unfiltered list of a
table it estimates at `ESTIMATE_FROM` rows or more, where being off by a few rows does not
matter to anyone reading "100,000 results" (a `COUNT(*)` of 200,000 agreements took 36 ms of
a 151 ms page). Anything filtered, any smaller table, and
every table on SQLite (where `COUNT(*)` reads the smallest index, no estimate is kept, and a
deployment stays far smaller) is counted exactly.

A filtered list of `KEEP_COUNT_FROM` rows or more keeps its count in the shared cache while
the data version stays the same (`kept_count`): the next page of the same list, or the same
page for another reader, is not counted again, and any write counts it afresh.

On SQLite a page is chosen by id before its rows are read (`page_rows`): SQLite sorts whole
rows, with their text, joined names and subqueries, to keep the 25 shown, which cost most of a
filtered list whose order no index gives (60,000 commitments with no news: 330 ms; 30 ms by
id first). PostgreSQL computes such columns after its own top-N sort already, and with the
id subquery it joined every row of a list of many joins before keeping the page's (the
citation changelist: 3 s at the default size; at a tenth, 345 ms against 171 ms), so it cuts
as Django does.
"""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

from .data_version import cached_figures
from .querysets import rows_key

ESTIMATE_FROM = 40_000
# A filtered list this long keeps its count while the data is unchanged: reading the next
# page of 600,000 commitments with no news counted them all again (150 ms of a 240 ms page).
KEEP_COUNT_FROM = 10_000


def kept_count(queryset):
    """`queryset.count()`, kept in the shared cache under the data version when it is
    `KEEP_COUNT_FROM` or more, so that any write makes it counted again."""
    key = rows_key(queryset)  # keyed by the rows it counts
    if key is None:
        return 0
    return cached_figures(
        f"count:{key}", queryset.count, keep=lambda count: count >= KEEP_COUNT_FROM
    )


def estimated_rows(queryset):
    """The planner's estimate of the rows of `queryset`'s table, or None where there is none
    to trust: another database, a filtered or combined queryset, a table never analysed."""
    query = queryset.query
    if query.where or query.combinator or query.distinct or query.is_sliced:
        return None
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:  # -1: never vacuumed nor analysed
        return None
    return int(row[0])


class EstimatedCountPaginator(Paginator):
    """Django's paginator, counting a large unfiltered table by the planner's estimate, and
    reading a page's rows by id (`page_rows`).

    An estimate may fall short of the rows there are, or pass them: where the count is one,
    a page exists when it has rows, whatever the estimate says. Each page reads one row more
    than it shows, to know whether another follows, so following "next" reaches every row;
    a page past the last row is refused (`EmptyPage`) as Django's paginator refuses it."""

    @cached_property
    def estimate(self):
        if hasattr(self.object_list, "query"):
            rows = estimated_rows(self.object_list)
            if rows is not None and rows >= ESTIMATE_FROM:
                return rows
        return None

    @cached_property
    def count(self):
        if self.estimate is not None:
            return self.estimate
        if isinstance(self.object_list, QuerySet):
            return kept_count(self.object_list)
        return super().count

    def validate_number(self, number):
        if self.estimate is None:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if self.estimate is not None:
            rows = list(page_rows(self.object_list, bottom, bottom + self.per_page + 1))
            if not rows and number > 1:
                raise EmptyPage(self.error_messages["no_results"])
            shown, following = rows[: self.per_page], rows[self.per_page :]
            # What the rows say beats the estimate: the last page knows the count, and a
            # page past an estimate that fell short shows that more follow.
            seen = bottom + len(shown)
            if not following or seen >= self.count:
                self.__dict__["count"] = seen + len(following)
                self.__dict__.pop("num_pages", None)
            return EstimatedPage(shown, number, self, following)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(page_rows(self.object_list, bottom, top), number, self)


class EstimatedPage(Page):
    """A page of an estimated count: whether another follows is known from its rows."""

    def __init__(self, object_list, number, paginator, following):
        super().__init__(object_list, number, paginator)
        self.following = bool(following)

    def has_next(self):
        return self.following

    def end_index(self):
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


def page_rows(object_list, bottom, top):
    """Rows `bottom`..`top` of `object_list`, in its order: for an ordered queryset on SQLite,
    the page's ids are sorted and cut by a subquery, and only their rows are read whole, in
    one query."""
    if not isinstance(object_list, QuerySet):
        return object_list[bottom:top]
    query = object_list.query
    if (
        connections[object_list.db].vendor != "sqlite"
        or not object_list.ordered
        or query.distinct
        or query.combinator
        or query.is_sliced
        or query.group_by is not None
    ):
        return object_list[bottom:top]
    return object_list.filter(pk__in=object_list.values("pk")[bottom:top])
