"""The API's filter backend: each endpoint's FilterSet, strict about unknown, empty and
repeated parameters."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

PAGING_PARAMETERS = ("page", "page_size")
BOOLEAN_VALUES = {"true", "false", "True", "False"}


def refuses_empty(filter_):
    """Whether `name=` is refused: only free text may be empty (and then filters nothing)."""
    return not isinstance(filter_, django_filters.CharFilter)


def repeatable(filter_):
    """Whether a parameter takes several values (`party=a&party=b`); paging ones do not."""
    return isinstance(filter_, django_filters.MultipleChoiceFilter)


class FilterBackend(DjangoFilterBackend):
    """The models' FilterSets (tracker/filtersets.py), strict about what a client sends.

    A misspelt parameter (`?partie=amgs`) would otherwise be ignored and answer every
    record, and a boolean such as `overdue=maybe` or an empty date (`signed_after=`) would be
    read as "no filter": all answer 400 naming the parameter. Only free text (`q`, `country`)
    may be empty. A parameter that takes one value and is given several (`?page=1&page=2`)
    is refused too: only the last would count, so two addresses differing in their order
    would ask for different records under what reads as the same request.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        listing = getattr(view, "action", None) == "list"
        accepted = (*filterset_class.base_filters, *PAGING_PARAMETERS) if listing else ()
        errors = {}
        for name, values in request.query_params.lists():
            if name not in accepted:
                errors[name] = [
                    "Unknown parameter; this endpoint accepts: "
                    + (", ".join(accepted) if accepted else "no parameters")
                    + "."
                ]
            elif len(values) > 1 and not repeatable(filterset_class.base_filters.get(name)):
                errors[name] = [
                    f"Takes one value but was given more than once ({len(values)} times)."
                ]
        if listing:
            for name, filter_ in filterset_class.base_filters.items():
                values = request.query_params.getlist(name)
                if isinstance(filter_, django_filters.filters.BaseCSVFilter):
                    # "ordering=," would otherwise clear the order: pages would overlap.
                    values = [item for value in values for item in value.split(",")]
                if "" in values and refuses_empty(filter_):
                    errors[name] = ["Empty value: give one, or leave the parameter out."]
                elif isinstance(filter_, django_filters.BooleanFilter):
                    for value in values:
                        if value not in BOOLEAN_VALUES:
                            errors[name] = [f"Must be true or false, not {value!r}."]
        if errors:
            raise ValidationError(errors)
        if not listing or not any(
            name in filterset_class.base_filters for name in request.query_params
        ):
            # No filter asked for: the FilterSet would copy its filters and validate an empty
            # form to change nothing (a tenth of a small page's time).
            return queryset
        return super().filter_queryset(request, queryset, view)
