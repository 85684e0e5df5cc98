"""One FilterSet per model, shared by the web UI and the API.

A record is chosen by its slug or by a name that names it alone (`RecordFilter`); a period's
start must not be after its end; sorting choices are in the reader's language. Each filter
has its direct test in tests/test_filters.py, which fails for a filter without one.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .choices import (
    AgreementKind,
    AgreementStatus,
    CommitmentCategory,
    CommitmentStatus,
    Language,
    OrganisationKind,
)
from .dates import validate_date_in_range
from .models import Agreement, Commitment, Organisation, Person, Source
from .querysets import MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS, all_search_terms


def validate_search_terms(value):
    count = len(all_search_terms(value))
    if count > MAX_SEARCH_TERMS:
        raise ValidationError(
            _("Search for at most %(max)d different words; this search has %(count)d."),
            code="too_many_words",
            params={"max": MAX_SEARCH_TERMS, "count": count},
        )


class SearchField(forms.CharField):
    """Free text within the bounds of a search (`querysets.MAX_SEARCH_*`); no null characters."""

    default_validators = [validate_search_terms]

    def __init__(self, *, max_length=MAX_SEARCH_LENGTH, required=False, **kwargs):
        super().__init__(max_length=max_length, required=required, **kwargs)


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


# How many records an ambiguous name's error lists at most.
MAX_CHOICES_LISTED = 10


class RecordChoice:
    """A form field's choice of a record by its slug, or by a name that names it alone.

    A name is compared as a search compares it (case, accents and ligatures folded), and with
    the whole of a name: an organisation's name, acronym or another name, another record's
    name or title (`SlugQuerySet.named`). A name several records share is refused with their
    slugs and names, so the user can choose.
    """

    def record(self, value):
        found = self.queryset.filter(slug=value).first()
        if found is not None:
            return found
        named = list(self.queryset.named(value)[: MAX_CHOICES_LISTED + 1])
        if len(named) == 1:
            return named[0]
        if not named:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        model = self.queryset.model
        choices = [f"{record.slug} ({getattr(record, model.name_field)})" for record in named]
        if len(choices) > MAX_CHOICES_LISTED:
            choices[MAX_CHOICES_LISTED:] = ["…"]
        raise ValidationError(
            _("“%(value)s” names several %(records)s; give one of their slugs: %(choices)s."),
            code="ambiguous_name",
            params={
                "value": value,
                "records": model._meta.verbose_name_plural,
                "choices": ", ".join(choices),
            },
        )


class RecordChoiceField(RecordChoice, django_filters.fields.ModelChoiceField):
    def to_python(self, value):
        if value in self.empty_values or (self.null_label is not None and value == self.null_value):
            return super().to_python(value)
        self.validate_no_null_characters(value)
        return self.record(value)


class RecordsChoiceField(RecordChoice, django_filters.fields.ModelMultipleChoiceField):
    def _check_values(self, value):
        try:
            values = list(dict.fromkeys(value))
        except TypeError:
            raise ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        for item in values:
            self.validate_no_null_characters(item)
        found = self.queryset.filter(slug__in=values)
        by_slug = {record.slug: record for record in found}
        if len(by_slug) == len(values):
            return found  # already loaded: the filter reads it without another query
        chosen = [by_slug.get(item) or self.record(item) for item in values]
        return self.queryset.filter(pk__in=[record.pk for record in chosen])


class RecordFilter(django_filters.ModelChoiceFilter):
    """One record, by its slug or its name (`RecordChoice`)."""

    field_class = RecordChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)


class RecordsFilter(django_filters.ModelMultipleChoiceFilter):
    """Several records (the parameter repeated), each by its slug or its name."""

    field_class = RecordsChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)


class SortFilter(django_filters.OrderingFilter):
    """Sorting choices, each ascending and descending, in the reader's language, the empty
    choice naming the order the list has when none is chosen.

    django-filter formats its "(descending)" labels once, at import, in English.
    """

    def __init__(self, *, fields, default, **kwargs):
        kwargs.setdefault("label", _("Sort by"))
        super().__init__(fields=fields, empty_label=default, **kwargs)

    def build_choices(self, fields, labels):
        choices = []
        for field, param in fields.items():
            choices.append((param, labels[field]))
            choices.append(
                (f"-{param}", format_lazy(_("{label} (descending)"), label=labels[field]))
            )
        return choices


class PeriodChecks:
    """Form checks of each period a FilterSet's dates give (`<x>_after` and `<x>_before`): a
    start after the end is an error on both fields, not a silently empty list."""

    periods = ()

    def clean(self):
        cleaned_data = super().clean()
        for start, end in self.periods:
            first, last = cleaned_data.get(start), cleaned_data.get(end)
            if first is not None and last is not None and first > last:
                error = ValidationError(
                    _("“%(start)s” is later than “%(end)s”: no date can be in this period."),
                    code="period_reversed",
                    params={"start": self.fields[start].label, "end": self.fields[end].label},
                )
                self.add_error(start, error)
                self.add_error(end, error)
        return cleaned_data


class SearchFilterSet(django_filters.FilterSet):
    """What every FilterSet has: a search (`q`) and its periods checked."""

    q = SearchFilter(
        method="search",
        label=_("Search"),
        help_text=_(
            "Any words of a name, an acronym or another name; accents and case do not matter."
        ),
    )

    def search(self, queryset, name, value):
        return queryset.search(value)

    def get_form_class(self):
        periods = [
            (name, f"{name[: -len('_after')]}_before")
            for name, filter_ in self.filters.items()
            if name.endswith("_after")
            and isinstance(filter_, django_filters.DateFilter)
            and isinstance(
                self.filters.get(f"{name[: -len('_after')]}_before"), django_filters.DateFilter
            )
        ]
        form_class = super().get_form_class()
        return type(form_class.__name__, (PeriodChecks, form_class), {"periods": periods})


def mentioned_in_filter(help_text):
    """Records a source names (tracker/mentions.py), chosen by the source's slug."""
    return RecordFilter(
        queryset=Source.objects.all(),
        method=lambda queryset, name, source: queryset.mentioned_in(source),
        label=_("Named in source"),
        help_text=help_text,
    )


class DisputedFilter(django_filters.ChoiceFilter):
    """Records whose sources disagree on a field (true) or agree on all (false); any other
    value is refused with the filter's name, not read as "either"."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[("true", _("Yes")), ("false", _("No"))],
            method=self.filter_disputed,
            label=_("Sources disagree"),
            help_text=_(
                "true: records whose sources report different values for a field; false: "
                "the others."
            ),
            **kwargs,
        )

    @staticmethod
    def filter_disputed(queryset, name, value):
        return queryset.disputed(value == "true") if value else queryset


class CountryCodeField(forms.CharField):
    """An ISO 3166 country code, in either case; a code that names no country is refused."""

    def clean(self, value):
        code = (super().clean(value) or "").strip().upper()
        if code and code not in countries:
            raise ValidationError(
                _("“%(code)s” is not an ISO 3166 country code, such as MA or FR."),
                code="invalid_country",
                params={"code": value},
            )
        return code


class CountryFilter(django_filters.CharFilter):
    field_class = CountryCodeField

    def __init__(self, **kwargs):
        super().__init__(field_name="country", lookup_expr="exact", **kwargs)


class ColumnChoiceFilter(django_filters.MultipleChoiceFilter):
    """Values of the row's own column: no join, so no duplicate rows for DISTINCT to remove
    (which would make the database compute every matching row's columns before its page)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class OrganisationFilterSet(SearchFilterSet):
    kind = ColumnChoiceFilter(choices=OrganisationKind.choices, label=_("Kind"))
    country = CountryFilter(label=_("Country (ISO code)"))
    party_to = RecordFilter(
        queryset=Agreement.objects.all(),
        method="filter_party_to",
        label=_("Party to agreement"),
    )
    related_to = RecordFilter(
        queryset=Organisation.objects.all(),
        method="filter_related_to",
        label=_("Related to organisation"),
    )
    mentioned_in = mentioned_in_filter(
        _("Organisations whose name, acronym or other name the source's text uses.")
    )
    disputed = DisputedFilter()
    ordering = SortFilter(
        fields=(("name", "name"), ("acronym", "acronym"), ("kind", "kind")),
        field_labels={"name": _("Name"), "acronym": _("Acronym"), "kind": _("Kind")},
        default=_("Name"),
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "country", "party_to", "related_to", "mentioned_in", "disputed"]

    def filter_party_to(self, queryset, name, agreement):
        return queryset.party_to(agreement)

    def filter_related_to(self, queryset, name, organisation):
        return queryset.related_to(organisation)


class PersonFilterSet(SearchFilterSet):
    organisation = RecordFilter(
        queryset=Organisation.objects.all(),
        field_name="positions__organisation",
        distinct=True,
        label=_("Organisation"),
    )
    mentioned_in = mentioned_in_filter(_("People whose name the source's text uses."))
    ordering = SortFilter(
        fields=(("name", "name"),), field_labels={"name": _("Name")}, default=_("Name")
    )

    class Meta:
        model = Person
        fields = ["q", "organisation", "mentioned_in"]


class AgreementFilterSet(SearchFilterSet):
    party = RecordsFilter(
        queryset=Organisation.objects.all(),
        method="filter_parties",
        label=_("Parties"),
        help_text=_("Agreements to which every chosen organisation is a party."),
    )
    kind = ColumnChoiceFilter(choices=AgreementKind.choices, label=_("Kind"))
    status = ColumnChoiceFilter(choices=AgreementStatus.choices, label=_("Status"))
    signed_after = django_filters.DateFilter(
        field_name="signed_on",
        lookup_expr="gte",
        label=_("Signed on or after"),
        validators=[validate_date_in_range],
    )
    signed_before = django_filters.DateFilter(
        field_name="signed_on",
        lookup_expr="lte",
        label=_("Signed on or before"),
        validators=[validate_date_in_range],
    )
    source = RecordFilter(
        queryset=Source.objects.all(),
        method="filter_source",
        label=_("Cited in source"),
    )
    commitment_status = django_filters.MultipleChoiceFilter(
        choices=CommitmentStatus.choices,
        method="filter_commitment_status",
        label=_("With a commitment whose status is"),
    )
    disputed = DisputedFilter()
    ordering = SortFilter(
        fields=(("signed_on", "signed_on"), ("title", "title")),
        field_labels={"signed_on": _("Date signed"), "title": _("Title")},
        default=_("Latest signed first"),
    )

    class Meta:
        model = Agreement
        fields = [
            "q",
            "party",
            "kind",
            "status",
            "signed_after",
            "signed_before",
            "source",
            "disputed",
        ]

    def filter_parties(self, queryset, name, organisations):
        return queryset.between(organisations) if organisations else queryset

    def filter_source(self, queryset, name, source):
        return queryset.citing(source)

    def filter_commitment_status(self, queryset, name, statuses):
        return queryset.with_commitment_status(statuses) if statuses else queryset


class CommitmentFilterSet(SearchFilterSet):
    agreement = RecordFilter(queryset=Agreement.objects.all(), label=_("Agreement"))
    party = RecordFilter(queryset=Organisation.objects.all(), label=_("Party"))
    category = ColumnChoiceFilter(choices=CommitmentCategory.choices, label=_("Category"))
    status = ColumnChoiceFilter(choices=CommitmentStatus.choices, label=_("Status"))
    due_before = django_filters.DateFilter(
        field_name="due_on",
        lookup_expr="lte",
        label=_("Due on or before"),
        validators=[validate_date_in_range],
    )
    status_changed_after = django_filters.DateFilter(
        method="filter_status_changed",
        label=_("Status changed on or after"),
        validators=[validate_date_in_range],
    )
    status_changed_before = django_filters.DateFilter(
        method="filter_status_changed",
        label=_("Status changed on or before"),
        validators=[validate_date_in_range],
    )
    no_news_since = django_filters.DateFilter(
        method="filter_no_news_since",
        label=_("No news since"),
        help_text=_("No progress report, and not promised, on or after this date."),
        validators=[validate_date_in_range],
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=_("Overdue"),
        help_text=_("Past its due date and not met, partly met or given up."),
    )
    disputed = DisputedFilter()
    ordering = SortFilter(
        fields=(("due_on", "due_on"), ("status", "status"), ("id", "id")),
        field_labels={"due_on": _("Due date"), "status": _("Status"), "id": _("Entry order")},
        default=_("Agreement, then entry order"),
    )

    class Meta:
        model = Commitment
        fields = [
            "q",
            "agreement",
            "party",
            "category",
            "status",
            "due_before",
            "status_changed_after",
            "status_changed_before",
            "no_news_since",
            "overdue",
            "disputed",
        ]

    def filter_status_changed(self, queryset, name, value):
        # Both bounds go into one condition: a change within the period, not one change
        # after the start and another before the end.
        if name == "status_changed_before" and self.form.cleaned_data.get("status_changed_after"):
            return queryset  # applied with `status_changed_after`
        if value is None:
            return queryset
        after = value if name == "status_changed_after" else None
        before = self.form.cleaned_data.get("status_changed_before")
        return queryset.status_changed(after=after, before=before)

    def filter_no_news_since(self, queryset, name, value):
        return queryset if value is None else queryset.no_news_since(value)

    def filter_overdue(self, queryset, name, overdue):
        if overdue is None:
            return queryset
        overdue_rows = queryset.overdue()
        return overdue_rows if overdue else queryset.exclude(pk__in=overdue_rows.values("pk"))


class SourceFilterSet(SearchFilterSet):
    language = ColumnChoiceFilter(choices=Language.choices, label=_("Language"))
    ordering = SortFilter(
        fields=(("published_on", "published_on"), ("title", "title")),
        field_labels={"published_on": _("Publication date"), "title": _("Title")},
        default=_("Newest first"),
    )

    class Meta:
        model = Source
        fields = ["q", "language"]
