"""The admin where staff enter and correct records, each with its history and optimistic
locking (concurrency.py); its lists, searches and autocompletes answer what the database
cannot take (a null character, a date out of range) with a message, never an error page."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NestedObjects, flatten_fieldsets
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models, router
from django.db.models import Q, prefetch_related_objects
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .concurrency import VERSION_FIELD, RecordVersionForm, record_parts
from .dates import EARLIEST_DATE, LATEST_DATE, date_range_message, format_partial_date
from .forms import AddSourceForm
from .history import (
    KINDS,
    CannotRestore,
    deleted_rows,
    describe_values,
    record_history,
    restore,
    revert_reason,
)
from .models import (
    CITATION_TARGETS,
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    CommitmentReport,
    LoadedFixtureRecord,
    Organisation,
    OrganisationLink,
    OrganisationName,
    Person,
    Position,
    Source,
)
from .pagination import EstimatedCountPaginator
from .querysets import (
    MAX_SEARCH_LENGTH,
    MAX_SEARCH_TERMS,
    related_count,
    search_limits_exceeded,
    search_terms,
)
from .text import quote_occurs_in

admin.site.site_header = _("Stakeholder tracker")
admin.site.site_title = _("Stakeholder tracker")
admin.site.index_title = _("Records")


class CheckedChangeList(ChangeList):
    """A changelist that refuses, with a message as Django refuses other bad lookups, what the
    database cannot answer: a null character in a filter (PostgreSQL cannot store one), or a
    date-hierarchy link (`?signed_on__year=9999`) outside the tracker's dates, which would
    overflow a date. The search (`q`) is not a filter: it ignores null characters and says so.
    """

    def get_filters(self, request):
        for name, values in request.GET.lists():
            if name != SEARCH_VAR and any("\x00" in value for value in values):
                message = _("Null characters are not allowed in a list filter (%(name)s).") % {
                    "name": name.replace("\x00", "")
                }
                messages.error(request, message)
                raise IncorrectLookupParameters(message)
        if self.date_hierarchy:
            year = request.GET.getlist(f"{self.date_hierarchy}__year")
            try:
                in_range = all(
                    EARLIEST_DATE.year <= int(value) <= LATEST_DATE.year for value in year
                )
            except ValueError:
                in_range = False
            if not in_range:
                messages.error(request, date_range_message())
                raise IncorrectLookupParameters(date_range_message())
        return super().get_filters(request)


class CheckedListMixin:
    """Admin lists whose filters and search answer bad input with a message (see above)."""

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList

    def changelist_view(self, request, extra_context=None):
        query = request.GET.get(SEARCH_VAR, "")
        for notice in search_notices(query):
            messages.warning(request, notice)
        return super().changelist_view(request, extra_context)

    def action_checkbox(self, obj):
        """Django's checkbox that selects a row for an action, the same HTML written at once:
        rendered through the form widget's template it took 0.2 ms a row, 11 ms a page."""
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class CheckedAutocompleteSelect(AutocompleteSelect):
    """An autocomplete box that redisplays only values that can name a record.

    A crafted value (`abc`, a NUL byte, a number beyond the key's range) is already refused by
    the form field; the stock widget would still look it up to show it again, and fail.
    """

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if self.can_name_record(v)], attr)

    def can_name_record(self, value):
        target = self.field.target_field
        try:
            key = target.to_python(value)
        except ValidationError:
            return False
        if isinstance(key, int):
            ops = connections[self.db or "default"].ops
            low, high = ops.integer_field_range(target.get_internal_type())
            return (low is None or key >= low) and (high is None or key <= high)
        return True


class PartyAutocompleteSelect(CheckedAutocompleteSelect):
    """A commitment's party box that offers only the parties of the commitment's agreement.

    Django's autocomplete sends no other field of the form; this box's script adds the
    agreement chosen in the box `agreement_input` names, or the page's `agreement`, and the
    organisations' admin answers with that agreement's parties only (`party_autocomplete_of`).
    """

    def __init__(self, *args, agreement_input=None, agreement=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement_input, self.agreement = agreement_input, agreement

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        # Django's script sets up every `admin-autocomplete` box; this one has its own.
        attrs["class"] = attrs["class"].replace("admin-autocomplete", "party-autocomplete")
        if self.agreement_input:
            attrs["data-agreement-input"] = self.agreement_input
        elif self.agreement is not None:
            attrs["data-agreement"] = self.agreement
        return attrs

    @property
    def media(self):
        # One list, so the page loads the script after jQuery, Select2 and `django.jQuery`.
        stock = super().media
        return forms.Media(css=stock._css, js=[*stock._js, "tracker/admin/party-autocomplete.js"])


def party_autocomplete_of(request):
    """The agreement whose parties a commitment's party box asks for: its primary key, None
    when the request is not such a box's or names no agreement, or False when what it names
    cannot be an agreement."""
    if (
        request.GET.get("app_label") != Commitment._meta.app_label
        or request.GET.get("model_name") != Commitment._meta.model_name
        or request.GET.get("field_name") != "party"
        or not request.GET.get("agreement")
    ):
        return None
    key_field = Agreement._meta.pk
    try:
        key = key_field.to_python(request.GET["agreement"])
    except ValidationError:
        return False
    low, high = connections["default"].ops.integer_field_range(key_field.get_internal_type())
    if (low is not None and key < low) or (high is not None and key > high):
        return False
    return key


class TabularInline(admin.TabularInline):
    """A tabular inline whose boxes have names: the table shows each field's label only as
    its column's heading, which does not label a box in a cell for a screen reader."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for field in formset.form.base_fields.values():
            field.widget.attrs.setdefault("aria-label", capfirst(field.label))

        def add_fields(formset, form, index):
            super(labelled, formset).add_fields(form, index)
            if DELETION_FIELD_NAME in form.fields:
                form.fields[DELETION_FIELD_NAME].widget.attrs["aria-label"] = _("Delete")

        labelled = type(formset.__name__, (formset,), {"add_fields": add_fields})
        return labelled


class CheckedAutocompleteMixin:
    """Admin pages and inlines whose autocomplete boxes survive crafted values."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            widget = (
                PartyAutocompleteSelect
                if db_field.model is Commitment and db_field.name == "party"
                else CheckedAutocompleteSelect
            )
            kwargs["widget"] = widget(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# An organisation's or a person's texts that a list showing its name leaves out.
WIDE = ("search_text", "description")


def is_changelist(request):
    match = getattr(request, "resolver_match", None)
    return match is not None and (match.url_name or "").endswith("_changelist")


class TrackerAdmin(CheckedListMixin, CheckedAutocompleteMixin, SimpleHistoryAdmin):
    """History, revert, and the records' own search (`queryset.search()`, as the UI and API).

    The search is bounded as everywhere; the admin cannot show a form error, so it searches
    what fits within the bounds and says what it left out. `search_fields` only makes the
    admin show its search box (and allows autocompletion); the search itself ignores it.
    """

    list_per_page = 50
    # A filtered or searched list counts its own rows only, not the whole table besides, and
    # a large unfiltered table is counted by the planner's estimate (tracker/pagination.py).
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    form = RecordVersionForm

    class Media:
        css = {"all": ["tracker/admin/admin.css"]}
        js = ["tracker/admin/autocomplete-names.js"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.record_parts = record_parts(self.model, self.inlines) if obj is not None else ()
        return form

    def get_fieldsets(self, request, obj=None):
        """Every change form carries the version of the record it was opened at, hidden."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or VERSION_FIELD in flatten_fieldsets(fieldsets):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], VERSION_FIELD]}), *rest]

    # Wide columns (texts) that the list's rows carry but none of its columns shows: left out
    # of its page query, so sorting the list does not carry them for every row.
    changelist_defer = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.changelist_defer and is_changelist(request):
            queryset = queryset.defer(*self.changelist_defer)
        return queryset

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term), False

    # History: the whole story of a record, reverts and restores said as such --------------

    object_history_template = "admin/tracker/record_history.html"
    history_list_per_page = 50

    def save_model(self, request, obj, form, change):
        """A revert says which version it went back to; a save that changed nothing of the
        record itself (only rows edited with it, say) writes no empty history row."""
        reverted_to = getattr(request, "tracker_reverted_to", None)
        if reverted_to is not None:
            obj._change_reason = revert_reason(reverted_to)
        elif change and not [name for name in form.changed_data if name != VERSION_FIELD]:
            obj.skip_history_when_saving = True
        try:
            super().save_model(request, obj, form, change)
        finally:
            if hasattr(obj, "skip_history_when_saving"):
                del obj.skip_history_when_saving

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            request.tracker_reverted_to = get_object_or_404(
                self.model.history.model, id=object_id, history_id=version_id
            )
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        """Every change to the record and to what belongs to it (tracker/history.py), newest
        first, with who, when and what; a fixed number of queries per page."""
        try:
            pk = self.model._meta.pk.to_python(object_id)
        except ValidationError:
            raise Http404 from None
        obj = self.get_queryset(request).filter(pk=pk).first()
        changes = record_history(self.model, pk)
        if obj is None:
            if not changes:
                raise Http404
            obj = next((c.row.instance for c in changes if c.own), None)
            if obj is None:
                raise Http404
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        page = Paginator(changes, self.history_list_per_page).get_page(request.GET.get("p"))
        describe_values(page.object_list)
        context = {
            **self.admin_site.each_context(request),
            "title": _("History of %(record)s") % {"record": obj},
            "subtitle": None,
            "object": obj,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "module_name": capfirst(self.model._meta.verbose_name_plural),
            "page_obj": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "revert_disabled": self.revert_disabled(request, obj),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    # Deleted records -----------------------------------------------------------------------

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name=f"{name}_deleted",
            ),
            path(
                "deleted/<int:history_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name=f"{name}_restore",
            ),
            *super().get_urls(),
        ]

    def deleted_view(self, request):
        """The records of this kind deleted and not brought back, newest first."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        page = Paginator(deleted_rows(self.model), self.list_per_page).get_page(
            request.GET.get("p")
        )
        kinds = [
            (
                capfirst(kind._meta.verbose_name_plural),
                reverse(f"admin:tracker_{kind._meta.model_name}_deleted"),
                kind is self.model,
            )
            for kind in KINDS
            if request.user.has_perm(f"tracker.view_{kind._meta.model_name}")
            or request.user.has_perm(f"tracker.change_{kind._meta.model_name}")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Deleted %(kind)s") % {"kind": self.opts.verbose_name_plural},
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "page_obj": page,
            "rows": [(row, row.instance) for row in page.object_list],
            "kinds": kinds,
            "can_restore": self.has_add_permission(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/tracker/deleted_records.html", context)

    def restore_view(self, request, history_id):
        """Bring one deleted record back (POST), under its own id, or say why it cannot."""
        if request.method != "POST":
            return redirect(f"admin:tracker_{self.opts.model_name}_deleted")
        if not self.has_add_permission(request):
            raise PermissionDenied
        row = get_object_or_404(self.model.history.model, history_id=history_id, history_type="-")
        try:
            record = restore(self.model, row, request.user)
        except CannotRestore as refusal:
            messages.error(
                request,
                _("“%(record)s” cannot be restored: %(reason)s")
                % {"record": row.instance, "reason": refusal},
            )
            return redirect(f"admin:tracker_{self.opts.model_name}_deleted")
        self.log_addition(request, record, [{"added": {}}])
        messages.success(
            request,
            _("“%(record)s” was restored, with its history.") % {"record": record},
        )
        return redirect(f"admin:tracker_{self.opts.model_name}_change", record.pk)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            protected = protected_records(objs, self.admin_site)
        return deleted, counts, perms_needed, protected


def protected_records(objs, admin_site):
    """The records that keep `objs` from being deleted, each linked, and a party with its
    agreement: a role alone ("Signatory") does not say which agreement holds the record."""
    collector = NestedObjects(using=router.db_for_write(objs[0]._meta.model), origin=objs)
    collector.collect(objs)
    blocking = list(collector.protected)
    prefetch_related_objects([r for r in blocking if isinstance(r, AgreementParty)], "agreement")
    return [describe_record(record, admin_site) for record in blocking]


def describe_record(record, admin_site):
    opts = record._meta
    kind = capfirst(opts.verbose_name)
    if admin_site.is_registered(type(record)):
        name = format_html(
            '<a href="{}">{}</a>',
            reverse(
                f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[record.pk]
            ),
            record,
        )
    else:
        name = record
    if isinstance(record, AgreementParty):
        agreement = record.agreement
        name = format_html(
            _("{party}, in the agreement {agreement}"),
            party=name,
            agreement=format_html(
                '<a href="{}">{}</a>',
                reverse(f"{admin_site.name}:tracker_agreement_change", args=[agreement.pk]),
                agreement,
            ),
        )
    return format_html("{}: {}", kind, name)


def search_notices(query):
    """What of an admin search was left out, in words for the staff member who typed it."""
    notices = []
    if "\x00" in query:
        notices.append(_("Null characters in the search were ignored."))
    extra_characters, extra_terms = search_limits_exceeded(query)
    if extra_characters:
        notices.append(
            _("Only the first %(max)d characters were searched; %(extra)d more were ignored.")
            % {"max": MAX_SEARCH_LENGTH, "extra": extra_characters}
        )
    if extra_terms:
        notices.append(
            _("Only the first %(max)d different words were searched; %(extra)d more were ignored.")
            % {"max": MAX_SEARCH_TERMS, "extra": extra_terms}
        )
    return notices


class CitationInlineForm(forms.ModelForm):
    class Meta:
        model = Citation
        fields = ["source", "quote", "note", "field", "value"]
        # A claimed field and its value are short: narrow inputs keep the row within a
        # laptop's width beside the quote.
        widgets = {
            "note": forms.TextInput(attrs={"size": 18}),
            "value": forms.TextInput(attrs={"size": 10, "placeholder": "2021-12-28"}),
        }


class CitationInline(CheckedAutocompleteMixin, TabularInline):
    model = Citation
    form = CitationInlineForm
    fields = ["source", "quote", "note", "field", "value"]
    autocomplete_fields = ["source"]
    extra = 0
    verbose_name = _("citation (evidence)")
    verbose_name_plural = _("citations (evidence)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


def citation_inline(target):
    return type(
        f"{target.title().replace('_', '')}CitationInline", (CitationInline,), {"fk_name": target}
    )


class OrganisationNameInline(CheckedAutocompleteMixin, TabularInline):
    model = OrganisationName
    fields = ["name", "kind", "language"]
    extra = 0


class OrganisationLinkInline(CheckedAutocompleteMixin, TabularInline):
    model = OrganisationLink
    fk_name = "from_organisation"
    fields = ["kind", "to_organisation", "started_on", "ended_on", "description"]
    autocomplete_fields = ["to_organisation"]
    extra = 0
    verbose_name = _("link to another organisation")
    verbose_name_plural = _("links to other organisations")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("to_organisation")


class PositionInline(CheckedAutocompleteMixin, TabularInline):
    model = Position
    fields = ["person", "organisation", "title", "started_on", "ended_on"]
    autocomplete_fields = ["person", "organisation"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "organisation")


class OrganisationPositionInline(PositionInline):
    fields = ["person", "title", "started_on", "ended_on"]
    autocomplete_fields = ["person"]


class PersonPositionInline(PositionInline):
    fields = ["organisation", "title", "started_on", "ended_on"]
    autocomplete_fields = ["organisation"]


@admin.register(Source)
class SourceAdmin(TrackerAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "outlet", "language", "published", "page_dated_on", "citation_count"]
    list_filter = ["language", "outlet"]
    search_fields = ["search_text"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ["title", "slug", "outlet", "url", "language"]}),
        (
            _("Dates"),
            {"fields": ["published_on", "published_on_precision", "page_dated_on"]},
        ),
        (None, {"fields": ["text", "seed_file", "notes"]}),
        (_("Names found in the text"), {"fields": ["names_found"]}),
    ]
    readonly_fields = ["names_found"]

    change_list_template = "admin/tracker/source/change_list.html"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).with_citation_count()
        if is_changelist(request):  # the list shows no article's text
            queryset = queryset.defer("text", "search_text")
        return queryset

    def get_urls(self):
        return [
            path(
                "add-from/",
                self.admin_site.admin_view(self.add_from_view),
                name="tracker_source_add_from",
            ),
            *super().get_urls(),
        ]

    def add_from_view(self, request):
        """Add a source from pasted text, an uploaded page or file, or a web address."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        posted = request.method == "POST"
        form = AddSourceForm(request.POST, request.FILES) if posted else AddSourceForm()
        if posted and form.is_valid():
            source = form.add_source(
                lambda existing: reverse("admin:tracker_source_change", args=[existing.pk])
            )
            if source is not None:
                self.log_addition(request, source, [{"added": {}}])
                messages.success(
                    request,
                    _("The source “%(title)s” was added.") % {"title": source.title},
                )
                return redirect("admin:tracker_source_change", source.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Add a source from text, a file or an address"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/tracker/source/add_from.html", context)

    @admin.display(description=_("known organisations and people"))
    def names_found(self, source):
        """The source's mentions, read-only (found by the tracker, tracker/mentions.py): one
        query, each record once with where its names occur."""
        if source.pk is None:
            return _("Found when the source is saved.")
        records = {}
        for mention in source.mentions.select_related("organisation", "person"):
            record = mention.record
            entry = records.setdefault((type(record), record.pk), [record, [], False])
            entry[1].append(f"{mention.text} ({mention.start}–{mention.end})")
            entry[2] = entry[2] or mention.ambiguous
        if not records:
            return _("None.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a>{}: {}</li>',
                (
                    (
                        reverse(
                            f"admin:tracker_{record._meta.model_name}_change", args=[record.pk]
                        ),
                        record,
                        _(" (ambiguous)") if ambiguous else "",
                        ", ".join(places),
                    )
                    for record, places, ambiguous in records.values()
                ),
            ),
        )

    @admin.display(description=_("published"), ordering="published_on")
    def published(self, source):
        return format_partial_date(source.published_on, source.published_on_precision) or "—"

    @admin.display(description=_("citations"), ordering="citation_count")
    def citation_count(self, source):
        return source.citation_count


@admin.register(Organisation)
class OrganisationAdmin(TrackerAdmin):
    list_display = ["name", "acronym", "kind", "country_name", "founded", "agreement_count"]
    list_filter = ["kind", "country"]
    search_fields = ["search_text"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "slug",
        "acronym",
        "kind",
        "country",
        ("founded_on", "founded_on_precision"),
        ("members", "members_qualifier"),
        "description",
    ]
    inlines = [
        OrganisationNameInline,
        OrganisationLinkInline,
        OrganisationPositionInline,
        citation_inline("organisation"),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(agreement_total=related_count("AgreementParty", "organisation"))
        )

    def get_search_results(self, request, queryset, search_term):
        """Organisations, or in a commitment's party box only its agreement's parties (a
        commitment's party must be one: `Commitment.clean`)."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        agreement = party_autocomplete_of(request)
        if agreement is False:
            return queryset.none(), False
        if agreement is not None:
            parties = AgreementParty.objects.filter(agreement_id=agreement)
            queryset = queryset.filter(pk__in=parties.values("organisation_id"))
        return queryset, may_have_duplicates

    @admin.display(description=_("country"), ordering="country")
    def country_name(self, organisation):
        # The column of the field itself looks each row's code up in the world's countries,
        # flattened again for every row: 2 ms a row, 200 of a page's 270 ms.
        return organisation.country.name or "—"

    @admin.display(description=_("founded"), ordering="founded_on")
    def founded(self, organisation):
        return (
            format_partial_date(organisation.founded_on, organisation.founded_on_precision) or "—"
        )

    @admin.display(description=_("agreements"), ordering="agreement_total")
    def agreement_count(self, organisation):
        return organisation.agreement_total


@admin.register(OrganisationName)
class OrganisationNameAdmin(TrackerAdmin):
    list_display = ["name", "organisation", "kind", "language"]
    list_filter = ["kind", "language"]
    list_select_related = ["organisation"]
    search_fields = ["organisation__search_text"]
    autocomplete_fields = ["organisation"]


@admin.register(OrganisationLink)
class OrganisationLinkAdmin(TrackerAdmin):
    list_display = ["from_organisation", "kind", "to_organisation", "started_on", "ended_on"]
    list_filter = ["kind"]
    list_select_related = ["from_organisation", "to_organisation"]
    search_fields = ["from_organisation__search_text", "to_organisation__search_text"]
    autocomplete_fields = ["from_organisation", "to_organisation"]
    inlines = [citation_inline("organisation_link")]


@admin.register(Person)
class PersonAdmin(TrackerAdmin):
    list_display = ["name", "position_count"]
    search_fields = ["search_text"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PersonPositionInline, citation_inline("person")]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(position_total=related_count("Position", "person"))
        )

    @admin.display(description=_("positions"), ordering="position_total")
    def position_count(self, person):
        return person.position_total


@admin.register(Position)
class PositionAdmin(TrackerAdmin):
    list_display = ["person", "title", "organisation", "started_on", "ended_on"]
    list_select_related = ["person", "organisation"]
    changelist_defer = [
        f"{related}__{text}" for related in ("person", "organisation") for text in WIDE
    ]
    search_fields = ["person__search_text", "organisation__search_text"]
    autocomplete_fields = ["person", "organisation"]
    inlines = [citation_inline("position")]


class AgreementPartyInline(CheckedAutocompleteMixin, TabularInline):
    model = AgreementParty
    fields = ["organisation", "role", "signed_by"]
    autocomplete_fields = ["organisation", "signed_by"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation", "signed_by")


class PageFormSet:
    """An inline formset that knows the other inline formsets of its page (`siblings`)."""

    siblings = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.siblings is not None:
            self.siblings.append(self)


class SlugFromDescription:
    """A commitment form whose slug, left empty, the model makes from the description; the
    form keeps the slug made, so the formset compares commitments by their real slugs."""

    def _post_clean(self):
        super()._post_clean()
        if "slug" in self.cleaned_data:
            self.cleaned_data["slug"] = self.instance.slug


class CommitmentForm(SlugFromDescription, RecordVersionForm):
    pass


class CommitmentInlineForm(SlugFromDescription, forms.ModelForm):
    pass


class CommitmentFormSet(BaseInlineFormSet):
    """Commitments checked against the agreement's parties as submitted on the same page.

    Parties and commitments are edited together: a party added in this submission is not yet
    in the database, and a party removed or replaced in it still is. Each commitment is told
    the parties it will have (`Commitment.clean` holds the rule); without a valid party
    formset beside it, the database says.
    """

    siblings = ()

    def submitted_party_ids(self):
        parties = next((f for f in self.siblings if f.model is AgreementParty), None)
        if parties is None or not parties.is_bound or not parties.is_valid():
            return None
        return {
            form.cleaned_data["organisation"].pk
            for form in parties.forms
            if form.cleaned_data.get("organisation") and not form.cleaned_data.get("DELETE")
        }

    def full_clean(self):
        party_ids = self.submitted_party_ids() if self.is_bound else None
        slugs_taken = set()
        for form in self.forms:
            form.instance.slugs_taken = slugs_taken
            if party_ids is not None:
                form.instance.expected_party_ids = party_ids
        super().full_clean()


class CommitmentInline(CheckedAutocompleteMixin, admin.StackedInline):
    model = Commitment
    form = CommitmentInlineForm
    formset = CommitmentFormSet
    fields = [
        "slug",
        ("party", "beneficiary"),
        "beneficiary_description",
        "description",
        ("category", "status"),
        ("due_on", "met_on"),
    ]
    autocomplete_fields = ["party", "beneficiary"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("party", "beneficiary")

    def get_formset(self, request, obj=None, **kwargs):
        """Party boxes offer the parties the agreement has in the database; a party added on
        the same page is offered once the agreement is saved."""
        formset = super().get_formset(request, obj, **kwargs)
        party = formset.form.base_fields.get("party")
        if party is not None and obj is not None:
            getattr(party.widget, "widget", party.widget).agreement = obj.pk
        return formset


@admin.register(Agreement)
class AgreementAdmin(TrackerAdmin):
    list_display = ["title", "kind", "status", "signed", "place", "party_count", "commitment_count"]
    list_filter = ["kind", "status", "signed_on_precision"]
    search_fields = ["search_text", "parties__organisation__search_text"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "signed_on"
    fields = [
        "title",
        "slug",
        ("kind", "status"),
        ("signed_on", "signed_on_precision"),
        "place",
        "summary",
    ]
    inlines = [AgreementPartyInline, CommitmentInline, citation_inline("agreement")]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                party_total=related_count("AgreementParty", "agreement"),
                commitment_total=related_count("Commitment", "agreement"),
            )
        )

    @admin.display(description=_("signed"), ordering="signed_on")
    def signed(self, agreement):
        return format_partial_date(agreement.signed_on, agreement.signed_on_precision) or "—"

    @admin.display(description=_("parties"), ordering="party_total")
    def party_count(self, agreement):
        return agreement.party_total

    @admin.display(description=_("commitments"), ordering="commitment_total")
    def commitment_count(self, agreement):
        return agreement.commitment_total

    def get_formsets_with_inlines(self, request, obj=None):
        """The page's inline formsets, each able to see the others (commitments, parties)."""
        siblings = []
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            page_formset = type(formset.__name__, (PageFormSet, formset), {"siblings": siblings})
            yield page_formset, inline


@admin.register(AgreementParty)
class AgreementPartyAdmin(TrackerAdmin):
    list_display = ["organisation", "role", "agreement", "signed_by"]
    list_filter = ["role"]
    list_select_related = ["organisation", "agreement", "signed_by"]
    changelist_defer = [
        *(f"{related}__{text}" for related in ("organisation", "signed_by") for text in WIDE),
        "agreement__search_text",
        "agreement__summary",
    ]
    search_fields = ["organisation__search_text", "agreement__search_text"]
    autocomplete_fields = ["agreement", "organisation", "signed_by"]
    inlines = [citation_inline("agreement_party")]

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for party in objs:
            for commitment in party.commitments_made():
                protected.append(f"{Commitment._meta.verbose_name.capitalize()}: {commitment}")
        return deleted, counts, perms_needed, protected


class ReportWithQuoteForm(forms.ModelForm):
    """A progress report and one quote from the source that reports it, saved together.

    Django's inlines do not nest, so the commitment's page takes a report's first (or one
    more) quote in the report's own row; its other quotes are on the report's own page.
    """

    source = forms.ModelChoiceField(
        queryset=Source.objects.defer("text", "search_text"),
        required=False,
        label=_("source"),
        widget=CheckedAutocompleteSelect(Citation._meta.get_field("source"), admin.site),
    )
    quote = forms.CharField(
        required=False,
        label=_("quote"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text=_("Words copied from the source's text, exactly as they appear."),
    )

    class Meta:
        model = CommitmentReport
        fields = ["reported_on", "reported_on_precision", "status", "summary"]

    def clean(self):
        cleaned = super().clean()
        source, quote = cleaned.get("source"), (cleaned.get("quote") or "").strip()
        if self.instance.pk is not None and not source and not quote:
            return cleaned  # a report already cited, its quote not changed here
        if not source:
            self.add_error(
                "source", _("A progress report needs a quote from the source that reports it.")
            )
        if not quote:
            self.add_error(
                "quote", _("A progress report needs a quote from the source that reports it.")
            )
        if source and quote:
            text = Source.objects.values_list("text", flat=True).get(pk=source.pk)
            if not quote_occurs_in(quote, text):
                self.add_error(
                    "quote",
                    _("This quote does not occur in the text of “%(source)s”.")
                    % {"source": source},
                )
            elif (
                self.instance.pk is not None
                and self.instance.citations.filter(source=source, quote=quote).exists()
            ):
                self.add_error("quote", _("This record already cites this quote."))
        cleaned["quote"] = quote
        return cleaned

    def save(self, commit=True):
        report = super().save(commit=commit)
        if commit and self.cleaned_data.get("source"):
            Citation.objects.create(
                source=self.cleaned_data["source"], quote=self.cleaned_data["quote"], report=report
            )
        return report


class CommitmentReportInline(CheckedAutocompleteMixin, TabularInline):
    """A commitment's reports, each with a quote; more quotes on the report's own page."""

    model = CommitmentReport
    form = ReportWithQuoteForm
    fields = ["reported_on", "reported_on_precision", "status", "summary", "source", "quote"]
    extra = 0
    show_change_link = True


class ReportCitationFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not self.can_delete or not form.cleaned_data.get("DELETE")
            if form.cleaned_data
        ]
        if not kept:
            raise ValidationError(
                _("A progress report needs at least one quote from the source that reports it."),
                code="report_without_citation",
            )


class ReportCitationInline(citation_inline("report")):
    formset = ReportCitationFormSet
    min_num = 1
    extra = 0


@admin.register(CommitmentReport)
class CommitmentReportAdmin(TrackerAdmin):
    list_display = ["__str__", "commitment", "summary"]
    list_filter = ["status"]
    list_select_related = ["commitment"]
    search_fields = ["summary", "commitment__search_text"]
    autocomplete_fields = ["commitment"]
    inlines = [ReportCitationInline]
    fields = ["commitment", ("reported_on", "reported_on_precision"), "status", "summary"]


class SlugListFilter(admin.SimpleListFilter):
    """A filter by a related record's slug, typed in a box: a list of every agreement or
    organisation would load thousands of rows into each page."""

    template = "admin/tracker/slug_filter.html"
    related_model = None
    field_name = None
    record = None

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        slug = self.value()
        if not slug:
            return queryset
        self.record = self.related_model.objects.filter(slug=slug).first()
        if self.record is None:
            messages.warning(
                request,
                _("No %(model)s has the slug “%(slug)s”.")
                % {"model": self.related_model._meta.verbose_name, "slug": slug},
            )
            return queryset.none()
        return queryset.filter(**{self.field_name: self.record})

    def choices(self, changelist):
        yield {
            "parameter_name": self.parameter_name,
            "label": self.title,
            "value": self.value(),
            "record": self.record,
            "kept": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if name != self.parameter_name
                for value in values
            ],
            "all_query_string": changelist.get_query_string(remove=[self.parameter_name]),
        }


class AgreementSlugFilter(SlugListFilter):
    title = _("agreement")
    parameter_name = "agreement"
    related_model = Agreement
    field_name = "agreement"


class PartySlugFilter(SlugListFilter):
    title = _("party")
    parameter_name = "party"
    related_model = Organisation
    field_name = "party"


@admin.register(Commitment)
class CommitmentAdmin(TrackerAdmin):
    form = CommitmentForm
    list_display = ["__str__", "party", "agreement", "category", "status", "due_on", "met_on"]
    list_filter = [AgreementSlugFilter, PartySlugFilter, "status", "category"]
    list_select_related = ["party", "agreement"]
    search_fields = ["search_text", "party__search_text", "agreement__search_text"]
    autocomplete_fields = ["agreement", "party", "beneficiary"]
    inlines = [CommitmentReportInline, citation_inline("commitment")]

    def get_readonly_fields(self, request, obj=None):
        """Once a commitment has reports, they decide its status: it is edited through them."""
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.reports.exists():
            readonly += ["status", "met_on", "latest_news_on", "status_changed_on"]
        return readonly

    def get_fields(self, request, obj=None):
        """The dates its reports keep are shown once it has reports."""
        fields = list(self.fields)
        if obj is not None and obj.reports.exists():
            fields.append(("latest_news_on", "status_changed_on"))
        return fields

    fields = [
        "slug",
        "agreement",
        ("party", "beneficiary"),
        "beneficiary_description",
        "description",
        ("category", "status"),
        ("due_on", "met_on"),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "party":
            getattr(field.widget, "widget", field.widget).agreement_input = "id_agreement"
        return field


class SupportsFilter(admin.SimpleListFilter):
    """Citations by the kind of record they support (a list of every source would not scale)."""

    title = _("supports")
    parameter_name = "supports"

    def lookups(self, request, model_admin):
        return [
            (target, Citation._meta.get_field(target).verbose_name.capitalize())
            for target in CITATION_TARGETS
        ]

    def queryset(self, request, queryset):
        if self.value() in CITATION_TARGETS:
            return queryset.filter(**{f"{self.value()}__isnull": False})
        return queryset


@admin.register(Citation)
class CitationAdmin(TrackerAdmin):
    list_display = ["__str__", "source", "supports", "field", "value", "note"]
    list_filter = [SupportsFilter, "field"]
    search_fields = ["source__search_text"]
    autocomplete_fields = ["source", *CITATION_TARGETS]
    fieldsets = [
        (None, {"fields": ["source", "quote", "note", ("field", "value")]}),
        (
            _("The one record this quote supports"),
            {"fields": list(CITATION_TARGETS)},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_targets()

    @admin.display(description=_("supports"))
    def supports(self, citation):
        return citation.target_label()


@admin.register(LoadedFixtureRecord)
class LoadedFixtureRecordAdmin(CheckedListMixin, admin.ModelAdmin):
    list_display = ["label", "fixture", "loaded_at"]
    list_filter = ["fixture"]
    search_fields = ["label"]

    def get_search_results(self, request, queryset, search_term):
        """The label's words as typed, bounded as every search is."""
        condition = Q()
        for term in search_terms(search_term):
            condition &= Q(label__icontains=term.typed)
        return queryset.filter(condition), False

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        """What the loader recorded is for administrators; editors need not see it."""
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
