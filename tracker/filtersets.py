"""One FilterSet per model, shared by the web UI and the API.

Each filter has its direct test in tests/test_filters.py, which fails for a filter without one.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
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


class SearchFilterSet(django_filters.FilterSet):
    q = SearchFilter(
        method="search",
        label=_("Search"),
        help_text=_(
            "Any words of a name, an acronym or another name; accents and case do not matter."
        ),
    )

    def search(self, queryset, name, value):
        return queryset.search(value)


def mentioned_in_filter(help_text):
    """Records a source names (tracker/mentions.py), chosen by the source's slug."""
    return django_filters.ModelChoiceFilter(
        queryset=Source.objects.all(),
        to_field_name="slug",
        method=lambda queryset, name, source: queryset.mentioned_in(source),
        label=_("Named in source"),
        help_text=help_text,
    )


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


class OrganisationFilterSet(SearchFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=OrganisationKind.choices, label=_("Kind"))
    country = CountryFilter(label=_("Country (ISO code)"))
    party_to = django_filters.ModelChoiceFilter(
        queryset=Agreement.objects.all(),
        to_field_name="slug",
        method="filter_party_to",
        label=_("Party to agreement"),
    )
    related_to = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(),
        to_field_name="slug",
        method="filter_related_to",
        label=_("Related to organisation"),
    )
    mentioned_in = mentioned_in_filter(
        _("Organisations whose name, acronym or other name the source's text uses.")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("acronym", "acronym"), ("kind", "kind")),
        field_labels={"name": _("Name"), "acronym": _("Acronym"), "kind": _("Kind")},
        label=_("Sort by"),
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "country", "party_to", "related_to", "mentioned_in"]

    def filter_party_to(self, queryset, name, agreement):
        return queryset.party_to(agreement)

    def filter_related_to(self, queryset, name, organisation):
        return queryset.related_to(organisation)


class PersonFilterSet(SearchFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(),
        to_field_name="slug",
        field_name="positions__organisation",
        distinct=True,
        label=_("Organisation"),
    )
    mentioned_in = mentioned_in_filter(_("People whose name the source's text uses."))
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"),), field_labels={"name": _("Name")}, label=_("Sort by")
    )

    class Meta:
        model = Person
        fields = ["q", "organisation", "mentioned_in"]


class AgreementFilterSet(SearchFilterSet):
    party = django_filters.ModelMultipleChoiceFilter(
        queryset=Organisation.objects.all(),
        to_field_name="slug",
        method="filter_parties",
        label=_("Parties"),
        help_text=_("Agreements to which every chosen organisation is a party."),
    )
    kind = django_filters.MultipleChoiceFilter(choices=AgreementKind.choices, label=_("Kind"))
    status = django_filters.MultipleChoiceFilter(choices=AgreementStatus.choices, label=_("Status"))
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
    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.all(),
        to_field_name="slug",
        method="filter_source",
        label=_("Cited in source"),
    )
    commitment_status = django_filters.MultipleChoiceFilter(
        choices=CommitmentStatus.choices,
        method="filter_commitment_status",
        label=_("With a commitment whose status is"),
    )
    ordering = django_filters.OrderingFilter(
        fields=(("signed_on", "signed_on"), ("title", "title")),
        field_labels={"signed_on": _("Date signed"), "title": _("Title")},
        label=_("Sort by"),
    )

    class Meta:
        model = Agreement
        fields = ["q", "party", "kind", "status", "signed_after", "signed_before", "source"]

    def filter_parties(self, queryset, name, organisations):
        return queryset.between(organisations) if organisations else queryset

    def filter_source(self, queryset, name, source):
        return queryset.citing(source)

    def filter_commitment_status(self, queryset, name, statuses):
        return queryset.with_commitment_status(statuses) if statuses else queryset


class CommitmentFilterSet(SearchFilterSet):
    agreement = django_filters.ModelChoiceFilter(
        queryset=Agreement.objects.all(), to_field_name="slug", label=_("Agreement")
    )
    party = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(), to_field_name="slug", label=_("Party")
    )
    category = django_filters.MultipleChoiceFilter(
        choices=CommitmentCategory.choices, label=_("Category")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=CommitmentStatus.choices, label=_("Status")
    )
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
    ordering = django_filters.OrderingFilter(
        fields=(("due_on", "due_on"), ("status", "status"), ("id", "id")),
        field_labels={"due_on": _("Due date"), "status": _("Status"), "id": _("Entry order")},
        label=_("Sort by"),
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
    language = django_filters.MultipleChoiceFilter(choices=Language.choices, label=_("Language"))
    ordering = django_filters.OrderingFilter(
        fields=(("published_on", "published_on"), ("title", "title")),
        field_labels={"published_on": _("Publication date"), "title": _("Title")},
        label=_("Sort by"),
    )

    class Meta:
        model = Source
        fields = ["q", "language"]
