"""Each UI list's columns, declared once: its HTML table, sortable headings, CSV and loading.

A `Column` names its CSV heading, the value a spreadsheet gets, how the table shows it (the
escaped value unless it says otherwise), the FilterSet ordering its heading sorts by, and
what its rows must load. A `Table` is a list's columns; the list view asks it for the
queryset, the table's headings and cells, and the CSV's header and rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import CommitmentStatus
from .dates import format_partial_date
from .models import AgreementParty, Position
from .querysets import latest_report_annotations, related_count
from .templatetags.tracker import is_overdue


@dataclass(frozen=True)
class Column:
    """One column of a list: `value(row)` for the CSV, and the table's cell unless `html`.

    `in_table` / `in_csv` leave a column out of one of them (slugs and addresses are for
    spreadsheets; the table links names instead). `load` holds what its value reads beyond
    the row's own fields: `select_related` paths, `Prefetch`es, and `{name: expression}`
    annotations.
    """

    name: Any
    value: Callable
    html: Callable | None = None
    heading: Any = None
    sort: str | None = None
    css: str = ""
    load: tuple = ()
    in_table: bool = True
    in_csv: bool = True

    @property
    def label(self):
        return self.heading if self.heading is not None else capfirst(self.name)

    def cell(self, row):
        if self.html is not None:
            return self.html(row)
        value = self.value(row)
        return "" if value is None else conditional_escape(value)

    def csv_value(self, row, request):
        value = self.value(row)
        return "" if value is None else value


@dataclass(frozen=True)
class AddressColumn(Column):
    """The row's page in the tracker, as an absolute address (CSV only)."""

    name: Any = _("address")
    value: Callable = field(default=lambda row: row.get_absolute_url())
    in_table: bool = False

    def csv_value(self, row, request):
        return request.build_absolute_uri(self.value(row))


class Table:
    """A list's columns, in order, for its table and its CSV."""

    def __init__(self, *columns):
        self.columns = columns

    @property
    def table_columns(self):
        return [column for column in self.columns if column.in_table]

    @property
    def csv_columns(self):
        return [column for column in self.columns if column.in_csv]

    def queryset(self, queryset):
        """`queryset` loading what the columns read, each relation once."""
        selects, prefetches, annotations = [], {}, {}
        for column in self.columns:
            for need in column.load:
                if isinstance(need, str):
                    if need not in selects:
                        selects.append(need)
                elif isinstance(need, Prefetch):
                    prefetches.setdefault(need.prefetch_to, need)
                else:
                    annotations.update(need)
        if selects:
            queryset = queryset.select_related(*selects)
        if prefetches:
            queryset = queryset.prefetch_related(*prefetches.values())
        if annotations:
            queryset = queryset.annotate(**annotations)
        return queryset

    def rows(self, rows):
        """The table's cells, row by row, each with its column (for the phone's labels)."""
        columns = self.table_columns
        return [[(column, column.cell(row)) for column in columns] for row in rows]

    def csv_header(self):
        return [str(column.name) for column in self.csv_columns]

    def csv_rows(self, rows, request):
        columns = self.csv_columns
        for row in rows:
            yield [column.csv_value(row, request) for column in columns]


# Cells ------------------------------------------------------------------------------------


def link(record, text):
    return format_html('<a href="{}">{}</a>', record.get_absolute_url(), text)


def badge(value, label):
    return format_html('<span class="badge status-{}">{}</span>', value, label)


def iso(value):
    return value.isoformat() if value else ""


def short_name(organisation):
    return organisation.acronym or organisation.name


def joined(values):
    return "; ".join(str(value) for value in values)


def slug_column():
    return Column(_("slug"), lambda row: row.slug, in_table=False)


# Agreements -------------------------------------------------------------------------------

PARTIES = Prefetch("parties", queryset=AgreementParty.objects.select_related("organisation"))


def party_cells(agreement):
    return format_html(
        '<ul class="inline-list">{}</ul>',
        format_html_join(
            "",
            "<li>{}{}</li>",
            (
                (
                    link(party.organisation, short_name(party.organisation)),
                    ""
                    if party.role == "signatory"
                    else format_html(' <span class="muted">({})</span>', party.get_role_display()),
                )
                for party in agreement.parties.all()
            ),
        ),
    )


AGREEMENTS = Table(
    slug_column(),
    Column(
        _("title"),
        lambda agreement: agreement.title,
        html=lambda agreement: link(agreement, agreement.title),
        heading=_("Title"),
        sort="title",
    ),
    Column(
        _("signed on"),
        lambda agreement: iso(agreement.signed_on),
        html=lambda agreement: format_partial_date(
            agreement.signed_on, agreement.signed_on_precision
        ),
        heading=_("Signed"),
        sort="signed_on",
        css="nowrap",
    ),
    Column(
        _("precision of the signing date"),
        lambda agreement: agreement.signed_on_precision,
        in_table=False,
    ),
    Column(
        _("kind"),
        lambda agreement: agreement.get_kind_display(),
        heading=_("Kind"),
    ),
    Column(
        _("status"),
        lambda agreement: agreement.get_status_display(),
        html=lambda agreement: badge(agreement.status, agreement.get_status_display()),
        heading=_("Status"),
    ),
    Column(_("place"), lambda agreement: agreement.place, in_table=False),
    Column(
        _("parties"),
        lambda agreement: joined(
            f"{party.organisation.name} ({party.get_role_display()})"
            for party in agreement.parties.all()
        ),
        html=party_cells,
        heading=_("Parties"),
        load=(PARTIES,),
    ),
    Column(
        _("party slugs"),
        lambda agreement: joined(party.organisation.slug for party in agreement.parties.all()),
        in_table=False,
        load=(PARTIES,),
    ),
    Column(
        _("commitments"),
        lambda agreement: agreement.commitment_count,
        html=lambda agreement: intcomma(agreement.commitment_count),
        heading=_("Commitments"),
        css="number",
        load=({"commitment_count": related_count("Commitment", "agreement")},),
    ),
    AddressColumn(),
)


# Organisations ----------------------------------------------------------------------------

ORGANISATIONS = Table(
    slug_column(),
    Column(
        _("name"),
        lambda organisation: organisation.name,
        html=lambda organisation: link(organisation, organisation.name),
        heading=_("Name"),
        sort="name",
    ),
    Column(
        _("acronym"),
        lambda organisation: organisation.acronym,
        heading=_("Acronym"),
        sort="acronym",
    ),
    Column(
        _("kind"),
        lambda organisation: organisation.get_kind_display(),
        heading=_("Kind"),
        sort="kind",
    ),
    Column(
        _("country"),
        # The CSV keeps the ISO code; the table shows the country's name in the page's language.
        lambda organisation: organisation.country.code,
        html=lambda organisation: conditional_escape(organisation.country.name),
        heading=_("Country"),
    ),
    Column(
        _("other names"),
        lambda organisation: joined(other.name for other in organisation.other_names.all()),
        heading=_("Other names"),
        load=(Prefetch("other_names"),),
    ),
    Column(_("founded on"), lambda organisation: iso(organisation.founded_on), in_table=False),
    Column(
        _("precision of the founding date"),
        lambda organisation: organisation.founded_on_precision,
        in_table=False,
    ),
    Column(_("members"), lambda organisation: organisation.members, in_table=False),
    Column(
        _("how exact the number of members is"),
        lambda organisation: organisation.members_qualifier,
        in_table=False,
    ),
    AddressColumn(),
)


# People -----------------------------------------------------------------------------------

POSITIONS = Prefetch("positions", queryset=Position.objects.select_related("organisation"))


def position_cells(person):
    return format_html(
        '<ul class="plain-list">{}</ul>',
        format_html_join(
            "",
            "<li>{}, {}{}</li>",
            (
                (
                    position.title,
                    link(position.organisation, position.organisation),
                    ""
                    if position.is_current
                    else format_html(' <span class="muted">({})</span>', gettext("former")),
                )
                for position in person.positions.all()
            ),
        ),
    )


PEOPLE = Table(
    slug_column(),
    Column(
        _("name"),
        lambda person: person.name,
        html=lambda person: link(person, person.name),
        heading=_("Name"),
        sort="name",
    ),
    Column(
        _("positions"),
        lambda person: joined(
            f"{position.title}, {position.organisation.name}" for position in person.positions.all()
        ),
        html=position_cells,
        heading=_("Positions"),
        load=(POSITIONS,),
    ),
    Column(
        _("organisation slugs"),
        lambda person: joined(position.organisation.slug for position in person.positions.all()),
        in_table=False,
        load=(POSITIONS,),
    ),
    AddressColumn(),
)


# Commitments ------------------------------------------------------------------------------


def due_cell(commitment):
    if not commitment.due_on:
        return ""
    overdue = (
        format_html(' <span class="badge overdue">{}</span>', gettext("overdue"))
        if is_overdue(commitment, timezone.localdate())
        else ""
    )
    return format_html("{}{}", date_format(commitment.due_on, "DATE_FORMAT"), overdue)


# Each commitment's latest progress report and number of reports, a subquery per row fetched.
LATEST_REPORT = latest_report_annotations()

COMMITMENTS = Table(
    Column(_("id"), lambda commitment: commitment.pk, in_table=False),
    Column(
        _("description"),
        lambda commitment: commitment.description,
        html=lambda commitment: link(commitment, commitment),
        heading=_("Commitment"),
    ),
    Column(
        _("party"),
        lambda commitment: commitment.party.name,
        html=lambda commitment: link(commitment.party, short_name(commitment.party)),
        heading=_("Party"),
        load=("party",),
    ),
    Column(
        _("party slug"), lambda commitment: commitment.party.slug, in_table=False, load=("party",)
    ),
    Column(
        _("agreement"),
        lambda commitment: commitment.agreement.title,
        html=lambda commitment: link(
            commitment.agreement, Truncator(commitment.agreement.title).chars(60)
        ),
        heading=_("Agreement"),
        load=("agreement",),
    ),
    Column(
        _("agreement slug"),
        lambda commitment: commitment.agreement.slug,
        in_table=False,
        load=("agreement",),
    ),
    Column(
        _("beneficiary"),
        lambda commitment: (
            commitment.beneficiary.name
            if commitment.beneficiary
            else commitment.beneficiary_description
        ),
        in_table=False,
        load=("beneficiary",),
    ),
    Column(
        _("beneficiary slug"),
        lambda commitment: commitment.beneficiary.slug if commitment.beneficiary else "",
        in_table=False,
        load=("beneficiary",),
    ),
    Column(
        _("category"), lambda commitment: commitment.get_category_display(), heading=_("Category")
    ),
    Column(
        _("status"),
        lambda commitment: commitment.get_status_display(),
        html=lambda commitment: badge(commitment.status, commitment.get_status_display()),
        heading=_("Status"),
        sort="status",
    ),
    Column(
        _("due on"),
        lambda commitment: iso(commitment.due_on),
        html=due_cell,
        heading=_("Due"),
        sort="due_on",
        css="nowrap",
    ),
    Column(_("met on"), lambda commitment: iso(commitment.met_on), in_table=False),
    Column(
        _("latest report on"),
        lambda commitment: iso(commitment.latest_report_on),
        in_table=False,
        load=(LATEST_REPORT,),
    ),
    Column(
        _("latest report status"),
        lambda commitment: (
            CommitmentStatus(commitment.latest_report_status).label
            if commitment.latest_report_status
            else ""
        ),
        in_table=False,
        load=(LATEST_REPORT,),
    ),
    Column(
        _("reports"),
        lambda commitment: commitment.report_count,
        in_table=False,
        load=(LATEST_REPORT,),
    ),
    AddressColumn(),
)


# Sources ----------------------------------------------------------------------------------

SOURCES = Table(
    slug_column(),
    Column(
        _("title"),
        lambda source: source.title,
        html=lambda source: link(source, source.title),
        heading=_("Title"),
        sort="title",
    ),
    Column(
        _("outlet"),
        lambda source: source.outlet,
        html=lambda source: source.outlet or "—",
        heading=_("Outlet"),
    ),
    Column(_("language"), lambda source: source.get_language_display(), heading=_("Language")),
    Column(
        _("published on"),
        lambda source: iso(source.published_on),
        html=lambda source: format_partial_date(source.published_on, source.published_on_precision),
        heading=_("Published"),
        sort="published_on",
        css="nowrap",
    ),
    Column(
        _("citations"),
        lambda source: source.citation_count,
        html=lambda source: intcomma(source.citation_count),
        heading=_("Citations"),
        css="number",
        # Counted by `Source.objects.listed()`, as the admin and the API count it.
    ),
    # A source's address is the article's own, where readers can check it.
    Column(_("address"), lambda source: source.url, in_table=False),
)
