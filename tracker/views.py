"""The staff web UI: thin pages over the shared FilterSets and querysets."""

import csv
import datetime
import math
from itertools import chain
from types import SimpleNamespace

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.db.models.functions import TruncMonth
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView

from . import columns, graph, roles
from .attention import attention_groups
from .choices import ClaimField, CommitmentStatus
from .claims import load_disputes
from .data_version import cached_figures
from .dates import EARLIEST_DATE, LATEST_DATE, periods
from .desk import desk_context
from .filtersets import (
    AgreementFilterSet,
    CommitmentFilterSet,
    OrganisationFilterSet,
    PersonFilterSet,
    SearchField,
    SourceFilterSet,
)
from .forms import SUGGESTED_MODELS, prepare_filter_form
from .highlight import ambiguous_names, group_mentions, highlight, mentioned_records
from .models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    Organisation,
    Person,
    Source,
)
from .pagination import EstimatedCountPaginator
from .querysets import cited_about


class ReadAccessMixin(AccessMixin):
    """Users whose role reads the web UI (readers, editors, administrators), unless the
    deployment opens reading to everyone. Visitors are sent to log in; partners, who read
    the API only, and accounts with no role get 403."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.TRACKER_PUBLIC_READ:
            if not request.user.is_authenticated:
                return self.handle_no_permission()
            if not request.user.has_perm(roles.READ_UI):
                raise PermissionDenied(_("This account may not read the web UI."))
        return super().dispatch(request, *args, **kwargs)


# Signing in -------------------------------------------------------------------------------


class LoginForm(AuthenticationForm):
    """The admin's login refuses all but staff; this one refuses all but the UI's roles.

    An account that may not read the UI gets the same answer as a wrong password, as the
    admin does for non-staff, so the form does not tell whether a password was right.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Please enter the correct username and password of an account that may read "
            "the tracker. Both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.has_perm(roles.READ_UI):
            raise self.get_invalid_login_error()


class LoginView(auth_views.LoginView):
    """The UI's login; without a safe `next` it lands on the dashboard (LOGIN_REDIRECT_URL)."""

    template_name = "tracker/login.html"
    authentication_form = LoginForm


class LogoutView(auth_views.LogoutView):
    next_page = "tracker:login"


# Lists ------------------------------------------------------------------------------------


class FilteredListView(ReadAccessMixin, TemplateView):
    """A list filtered by its model's FilterSet, sorted, paginated, and exportable as CSV.

    Its `table` (tracker.columns) declares the columns of the HTML table and of the CSV, and
    what the rows must load for them. Bad filter input shows the form's errors and no rows
    (never every row, which is what ignoring the bad field would do); a page past the end
    says so and links to the last.
    """

    model = None
    filterset_class = None
    table = None
    template_name = "tracker/list_base.html"
    paginate_by = 25

    def get_queryset(self):
        return self.table.queryset(self.model.objects.all())

    def get(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        prepare_filter_form(filterset.form)  # before validation: the widgets read the query
        valid = filterset.is_valid()
        rows = filterset.qs if valid else self.model.objects.none()
        if request.GET.get("format") == "csv":
            return self.render_csv(filterset, rows, valid)
        context = self.get_context_data(filterset=filterset, filter_valid=valid, **kwargs)
        context.update(self.paginate(request, rows))
        context.update(
            table_columns=self.table.table_columns,
            table_rows=self.table.rows(context["object_list"]),
        )
        return self.render_to_response(context)

    def paginate(self, request, rows):
        paginator = EstimatedCountPaginator(rows, self.paginate_by)
        raw = request.GET.get("page") or "1"
        page_error = None
        try:
            number = int(raw)
            if number < 1:
                raise ValueError
        except ValueError:
            page_error = _("“%(page)s” is not a page number; showing the first page.") % {
                "page": raw
            }
            number = 1
        try:
            page = paginator.page(number)
        except EmptyPage:
            return {
                "paginator": paginator,
                "page_obj": None,
                "object_list": [],
                "result_count": paginator.count,
                "page_error": ngettext(
                    "There is no page %(page)s: these results fill %(pages)s page.",
                    "There is no page %(page)s: these results fill %(pages)s pages.",
                    paginator.num_pages,
                )
                % {"page": number, "pages": paginator.num_pages},
                "last_page": paginator.num_pages,
            }
        return {
            "paginator": paginator,
            "page_obj": page,
            "object_list": page.object_list,
            "result_count": paginator.count,
            "page_error": page_error,
        }

    def render_csv(self, filterset, rows, valid):
        if not valid:
            return csv_refusal(filterset.form)
        return csv_response(
            self.csv_name,
            self.table.csv_header(),
            self.table.csv_rows(rows.iterator(chunk_size=500), self.request),
        )


def csv_refusal(form):
    """A CSV request with bad filters: 400, one line per field naming what was wrong."""
    lines = [
        f"{form.fields[name].label if name in form.fields else name}: "
        f"{' '.join(str(message) for message in messages)}"
        for name, messages in form.errors.items()
    ]
    return HttpResponse(
        "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
    )


class Echo:
    """A file that hands back what is written to it, for streaming csv.writer's lines."""

    def write(self, value):
        return value


def csv_response(name, header, rows):
    """`rows` streamed as a dated CSV download, every cell neutralised for spreadsheets."""
    writer = csv.writer(Echo())
    stream = chain(
        ["\ufeff"],  # lets spreadsheet programs read the file as UTF-8
        (writer.writerow(spreadsheet_row(header)),),
        (writer.writerow(spreadsheet_row(row)) for row in rows),
    )
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# Injection"); numbers are written as numbers, so only text can carry one.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_row(row):
    """The row with every text cell a spreadsheet would evaluate turned into plain text.

    A leading single quote is what spreadsheets themselves use to mark a cell as text, so
    the value stays readable; the backup (JSON) is not written through this and keeps exact
    values.
    """
    return [
        f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS) else cell
        for cell in row
    ]


class AgreementListView(FilteredListView):
    model = Agreement
    filterset_class = AgreementFilterSet
    table = columns.AGREEMENTS
    template_name = "tracker/agreement_list.html"
    csv_name = "agreements"


class OrganisationListView(FilteredListView):
    model = Organisation
    filterset_class = OrganisationFilterSet
    table = columns.ORGANISATIONS
    template_name = "tracker/organisation_list.html"
    csv_name = "organisations"


class PersonListView(FilteredListView):
    model = Person
    filterset_class = PersonFilterSet
    table = columns.PEOPLE
    template_name = "tracker/person_list.html"
    csv_name = "people"


class CommitmentListView(FilteredListView):
    model = Commitment
    filterset_class = CommitmentFilterSet
    table = columns.COMMITMENTS
    template_name = "tracker/commitment_list.html"
    csv_name = "commitments"


class SourceListView(FilteredListView):
    model = Source
    filterset_class = SourceFilterSet
    table = columns.SOURCES
    template_name = "tracker/source_list.html"
    csv_name = "sources"

    def get_queryset(self):
        return self.table.queryset(Source.objects.listed())


class AgreementMapView(FilteredListView):
    """The stakeholder map of the agreements the current filter selects."""

    model = Agreement
    filterset_class = AgreementFilterSet
    template_name = "tracker/map.html"

    def get_queryset(self):
        return Agreement.objects.all()

    def get(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        filterset.filters.pop("ordering")  # a map has no order: the form offers no "Sort by"
        prepare_filter_form(filterset.form)  # before validation: the widgets read the query
        valid = filterset.is_valid()
        rows = filterset.qs if valid else Agreement.objects.none()
        stakeholders = graph.agreements_map(rows)
        context = self.get_context_data(
            filterset=filterset,
            filter_valid=valid,
            graph=stakeholders,
            drawing=graph.layout(stakeholders),
            max_agreements=graph.MAX_AGREEMENTS,
        )
        return self.render_to_response(context)


class SuggestView(ReadAccessMixin, TemplateView):
    """Slugs and names matching what is typed in a filter's record input."""

    limit = 15

    def get(self, request, kind):
        models = {name: model for model, name in SUGGESTED_MODELS.items()}
        model = models.get(kind)
        if model is None:
            return JsonResponse(
                {"error": _("Unknown kind of record: %(kind)s") % {"kind": kind}}, status=404
            )
        try:
            query = SearchField().clean(request.GET.get("q", ""))
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        rows = model.objects.search(query).slug_names()[: self.limit] if query else []
        return JsonResponse({"results": [{"value": slug, "label": name} for slug, name in rows]})


# Detail pages -----------------------------------------------------------------------------


def cited():
    """Prefetch of a record's citations with their sources, for records shown on another's page."""
    return Prefetch("citations", queryset=Citation.objects.with_source())


class RecordDetailView(ReadAccessMixin, DetailView):
    def get_queryset(self):
        return self.model.objects.with_related()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if hasattr(self.model, "citation_target"):
            # The fields on which the record's sources disagree, each value with its quotes.
            context["disputes"] = load_disputes([self.object])[0].disputes
        return context


class OrganisationDetailView(RecordDetailView):
    model = Organisation
    template_name = "tracker/organisation_detail.html"
    shown = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.object
        links = [*organisation.links_out.all(), *organisation.links_in.all()]
        prefetch_related_objects(links, cited())
        parts = (
            AgreementParty.objects.filter(organisation=organisation)
            .select_related("agreement", "signed_by")
            .order_by("-agreement__signed_on", "agreement__title")
        )
        commitments = (
            Commitment.objects.filter(party=organisation)
            .select_related("agreement", "beneficiary")
            .order_by("-agreement__signed_on", "id")
        )
        context.update(
            agreement_parts=parts[: self.shown],
            agreement_count=parts.count(),
            commitments=commitments[: self.shown],
            commitment_count=commitments.count(),
            shown=self.shown,
            map=neighbourhood_map(organisation),
        )
        context.update(mentioned_in(organisation, self.shown))
        return context


# A drawn map this long (some 16 organisations or more, and their agreements) took 25–100 ms
# to build and draw at the default size; shorter ones are drawn afresh, so kept maps stay few.
KEEP_MAP_FROM = 40_000


def neighbourhood_map(organisation):
    """The organisation's map, drawn, in the active language: kept in the shared cache while
    the data version stays the same (`cached_figures`), when it is a large one.

    Its three queries, the layout and the drawing of its links took about half of the page
    of a busy organisation; any write draws it afresh.
    """

    def draw():
        neighbourhood = graph.neighbourhood(organisation)
        return render_to_string(
            "tracker/includes/map.html",
            {
                "graph": neighbourhood,
                "drawing": graph.layout(neighbourhood),
                "map_id": "neighbourhood",
                "map_title": _("Stakeholder map around this organisation"),
            },
        )

    html = cached_figures(
        f"map:organisation:{organisation.pk}:{get_language()}",
        draw,
        keep=lambda html: len(html) >= KEEP_MAP_FROM,
        page_part=True,
    )
    return mark_safe(html)  # drawn by the template above, escaped there


def mentioned_in(record, shown):
    """The sources that name `record`, newest first, those that cite nothing about it yet
    flagged (`cites_it` false): that is where the work is."""
    sources = (
        Source.objects.mentioning(record)
        .defer("text", "search_text")
        .order_by("-published_on", "title")
    )
    page = list(sources[:shown])
    # Asked of the page's sources only: their citations, by the source index.
    citing = set(
        cited_about(record).filter(source__in=page).values_list("source_id", flat=True)
        if page
        else ()
    )
    for source in page:
        source.cites_it = source.pk in citing
    return {"mentioned_in": page, "mentioned_in_count": sources.count()}


class PersonDetailView(RecordDetailView):
    model = Person
    template_name = "tracker/person_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        prefetch_related_objects(list(self.object.positions.all()), cited())
        context["signatures"] = AgreementParty.objects.filter(signed_by=self.object).select_related(
            "agreement", "organisation"
        )
        context.update(mentioned_in(self.object, OrganisationDetailView.shown))
        return context


class AgreementDetailView(RecordDetailView):
    model = Agreement
    template_name = "tracker/agreement_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        return context


class CommitmentDetailView(RecordDetailView):
    model = Commitment
    template_name = "tracker/commitment_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        return context


def citation_record(citation):
    """(address, label) of the record a citation supports, for the source page's links."""
    target_name = citation.target_name
    target = citation.target
    if target is None:
        return "#", ""
    kind = Citation._meta.get_field(target_name).verbose_name
    return target.get_absolute_url(), f"{str(kind).capitalize()}: {citation.target_label()}"


class SourceDetailView(RecordDetailView):
    model = Source
    template_name = "tracker/source_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mentioned = group_mentions(self.object.mentions.select_related("organisation", "person"))
        highlighted = highlight(
            self.object.text, self.object.citations.all(), citation_record, mentioned
        )
        for item in highlighted.citations:
            item.record_url, item.record_label = citation_record(item.citation)
        context["highlighted"] = highlighted
        context["desk"] = desk_context(self.request, self.object)
        context["mentioned"] = mentioned
        context["mentioned_records"] = mentioned_records(mentioned)
        context["ambiguous_names"] = ambiguous_names(mentioned, self.object.text)
        return context


# Disagreements ----------------------------------------------------------------------------

CLAIMED_MODELS = {"agreement": Agreement, "commitment": Commitment, "organisation": Organisation}


class DisagreementFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of record"),
        required=False,
        choices=[("", gettext_lazy("Any"))]
        + [(target, model._meta.verbose_name) for target, model in CLAIMED_MODELS.items()],
    )
    field = forms.ChoiceField(
        label=gettext_lazy("Field"),
        required=False,
        choices=[("", gettext_lazy("Any")), *ClaimField.choices],
    )


def disagreements(pairs):
    """The disputes of `pairs` (rows of `Citation.objects.disputes()`), in their order: a
    few queries per kind of record, whatever the number of rows."""
    wanted = {target: set() for target in CLAIMED_MODELS}
    for row in pairs:
        target = next(name for name in CLAIMED_MODELS if row[name] is not None)
        wanted[target].add(row[target])
    found = {}
    for target, ids in wanted.items():
        if not ids:
            continue
        records = CLAIMED_MODELS[target].objects.filter(pk__in=ids)
        if target == "commitment":
            records = records.select_related("party")
        for record in load_disputes(records):
            for dispute in record.disputes:
                found[target, record.pk, dispute.field] = dispute
    shown = []
    for row in pairs:
        target = next(name for name in CLAIMED_MODELS if row[name] is not None)
        dispute = found.get((target, row[target], row["field"]))
        if dispute is not None:
            dispute.kind_label = CLAIMED_MODELS[target]._meta.verbose_name
            dispute.quote_count = row["quote_count"]
            shown.append(dispute)
    return shown


class DisagreementListView(ReadAccessMixin, TemplateView):
    """Every record and field on which sources disagree, with the values and their quotes."""

    template_name = "tracker/disagreement_list.html"
    paginate_by = 25
    paginate = FilteredListView.paginate

    def get(self, request, *args, **kwargs):
        form = DisagreementFilterForm(request.GET)
        valid = form.is_valid()
        rows = Citation.objects.none()
        if valid:
            kind, field = form.cleaned_data["kind"], form.cleaned_data["field"]
            rows = Citation.objects.disputes()
            if kind:
                rows = rows.filter(**{f"{kind}__isnull": False})
            if field:
                rows = rows.filter(field=field)
            rows = rows.order_by("field", *CLAIMED_MODELS)
        if request.GET.get("format") == "csv":
            return self.render_csv(form, rows, valid)
        context = self.get_context_data(
            filterset=SimpleNamespace(form=form), filter_valid=valid, **kwargs
        )
        context.update(self.paginate(request, rows))
        context["object_list"] = context["disagreements"] = disagreements(
            list(context["object_list"])
        )
        return self.render_to_response(context)

    def render_csv(self, form, rows, valid):
        if not valid:
            return csv_refusal(form)
        header = [
            _("kind"),
            _("record"),
            _("record key"),
            _("field"),
            _("value held"),
            _("values reported"),
            _("quotes"),
        ]

        def lines():
            pairs = list(rows)
            for start in range(0, len(pairs), 500):
                for dispute in disagreements(pairs[start : start + 500]):
                    record = dispute.record
                    yield [
                        str(dispute.kind_label),
                        str(record),
                        getattr(record, "slug", None) or record.pk,
                        str(dispute.field_label),
                        dispute.held_label,
                        "; ".join(
                            f"{value.label} ({len(value.citations)})" for value in dispute.values
                        ),
                        dispute.quote_count,
                    ]

        return csv_response("disagreements", header, lines())


# Dashboard --------------------------------------------------------------------------------


class DashboardView(ReadAccessMixin, TemplateView):
    template_name = "tracker/dashboard.html"
    latest = 6

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        # Each figure scans a whole table: they are kept while the data is unchanged.
        figures = cached_figures("dashboard", dashboard_figures)
        counts = [
            (model._meta.verbose_name_plural, figures["counts"][model.__name__], url)
            for model, url in (
                (Agreement, "tracker:agreement-list"),
                (Organisation, "tracker:organisation-list"),
                (Person, "tracker:person-list"),
                (Commitment, "tracker:commitment-list"),
                (Source, "tracker:source-list"),
            )
        ]
        by_status = figures["by_status"]
        total = sum(by_status.values()) or 1
        statuses = [
            {
                "value": value,
                "label": label,
                "count": by_status.get(value, 0),
                "percent": round(100 * by_status.get(value, 0) / total),
            }
            for value, label in CommitmentStatus.choices
        ]
        attention = attention_groups(today)
        latest = Agreement.objects.prefetch_related(
            Prefetch("parties", queryset=AgreementParty.objects.select_related("organisation"))
        )[: self.latest]
        context.update(
            counts=counts,
            statuses=statuses,
            attention=attention,
            overdue=attention[0].rows,
            latest=latest,
            **timelines(figures["per_month"]),
            today=today,
        )
        return context


# The axis labels are 11 units high (tracker.css, .tick); a character is at most this wide.
TIMELINE_LABEL_CHARACTER_WIDTH = 6.5
# A phone's content column is about 360 px wide: a chart of that many units is drawn about
# life-size there, so its 11-unit labels stay readable; it has room for fewer bars.
PHONE_TIMELINE = {"width": 360, "height": 220, "max_bars": 16}


def dashboard_figures():
    """What the dashboard counts: each list's rows, commitments by status, agreements signed
    per month."""
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (Agreement, Organisation, Person, Commitment, Source)
        },
        "by_status": dict(
            Commitment.objects.order_by().values_list("status").annotate(n=Count("pk"))
        ),
        "per_month": agreements_signed_per_month(),
    }


def timelines(per_month=None):
    """The dashboard's timeline for wide screens (`timeline`) and for phones
    (`phone_timeline`), from one query; the stylesheet shows the one that fits."""
    if per_month is None:
        per_month = agreements_signed_per_month()
    return {
        "timeline": agreement_timeline(per_month=per_month),
        "phone_timeline": agreement_timeline(per_month=per_month, **PHONE_TIMELINE),
    }


def agreements_signed_per_month():
    return list(
        Agreement.objects.filter(signed_on__isnull=False)
        .annotate(month=TruncMonth("signed_on"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("pk"))
    )


def agreement_timeline(width=760, height=200, max_bars=48, per_month=None):
    """Agreements signed per period, as at most `max_bars` bars for an SVG chart.

    The period is a month, else a quarter, else a year, else a run of years, whichever keeps
    the bars within `max_bars` for the span of the data (tracker.dates.periods), so neither
    the page's size nor its date arithmetic depends on how far apart the dates are. Periods
    are named only as often as their names fit side by side.
    """
    if per_month is None:
        per_month = agreements_signed_per_month()
    counts = {}
    for month, n in per_month:
        if isinstance(month, datetime.datetime):
            month = month.date()
        counts[month] = counts.get(month, 0) + n
    if not counts:
        return None
    spans = periods(min(counts), max(counts), max_count=max_bars)
    totals = [0] * len(spans)
    index = 0
    for month in sorted(counts):
        while month not in spans[index]:
            index += 1
        totals[index] += counts[month]
    # Each bar links to the agreements list filtered to its period, within the dates that
    # list accepts (a period may reach past them: the year before a lone month, a decade).
    buckets = [
        (
            max(span.start, EARLIEST_DATE),
            min(span.end, LATEST_DATE),
            total,
            span.label,
        )
        for span, total in zip(spans, totals, strict=True)
    ]
    top = max(n for *_, n, _label in buckets) or 1
    left, bottom, chart_height = 40, 40, height - 60
    widest = max(len(label) for *_, label in buckets) * TIMELINE_LABEL_CHARACTER_WIDTH
    right = max(10, widest / 2)  # room for the latest period's name, centred under its bar
    step = (width - left - right) / len(buckets)
    bar_width = min(max(step * 0.7, 2), 40)
    bars = []
    for index, (start, end, n, label) in enumerate(buckets):
        bar_height = chart_height * n / top
        bars.append(
            {
                "start": start,
                "end": end,
                "count": n,
                "label": label,
                "x": round(left + index * step + (step - bar_width) / 2, 1),
                "y": round(height - bottom - bar_height, 1),
                "width": round(bar_width, 1),
                "height": round(bar_height, 1),
                "label_x": round(left + index * step + step / 2, 1),
                "count_y": round(height - bottom - bar_height - 4, 1),
                "show_count": len(str(n)) * TIMELINE_LABEL_CHARACTER_WIDTH <= step,
            }
        )
    # Name every n-th period, counted back from the latest, so that no two names overlap.
    every = max(1, math.ceil(widest / step))
    for index, bar in enumerate(bars):
        bar["show_label"] = (len(bars) - 1 - index) % every == 0
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "top": top,
        "axis_y": height - bottom,
        "left": left,
        "tick_x": left - 6,
        "top_tick_y": height - bottom - chart_height + 4,
        "zero_tick_y": height - bottom + 4,
        "label_y": height - bottom + 16,
    }
