import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

PAGING_PARAMETERS = ("page", "page_size")
BOOLEAN_VALUES = {"true", "false", "True", "False"}


class FilterBackend(DjangoFilterBackend):
    """The models' FilterSets (tracker/filters.py), strict about what a client sends.

    A misspelt parameter (`?partie=amgs`) would otherwise be ignored and answer every
    record, and a boolean such as `overdue=maybe` would be read as "no filter": both answer
    400 naming the parameter.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        listing = getattr(view, "action", None) == "list"
        accepted = (*filterset_class.base_filters, *PAGING_PARAMETERS) if listing else ()
        errors = {}
        for name in request.query_params:
            if name not in accepted:
                errors[name] = [
                    "Unknown parameter; this endpoint accepts: "
                    + (", ".join(accepted) if accepted else "no parameters")
                    + "."
                ]
        if listing:
            for name, value in self._boolean_values(filterset_class, request):
                if value not in BOOLEAN_VALUES:
                    errors[name] = [f"Must be true or false, not {value!r}."]
        if errors:
            raise ValidationError(errors)
        if not listing:
            return queryset
        return super().filter_queryset(request, queryset, view)

    @staticmethod
    def _boolean_values(filterset_class, request):
        for name, filter_ in filterset_class.base_filters.items():
            if isinstance(filter_, django_filters.BooleanFilter) and name in request.query_params:
                for value in request.query_params.getlist(name):
                    yield name, value
