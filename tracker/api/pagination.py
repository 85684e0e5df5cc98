"""The API's pages: `page` and `page_size` (at most 200), refused when out of bounds, and a 404
that says how many pages there are."""

from django.core.paginator import InvalidPage
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from ..pagination import EstimatedCountPaginator


def _positive_int(request, name, default, maximum=None):
    raw = request.query_params.get(name)
    if raw is None:
        return default
    limit = f" from 1 to {maximum}" if maximum else " of 1 or more"
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < 1 or (maximum and value > maximum):
        raise ValidationError({name: [f"Must be a whole number{limit}, not {raw!r}."]})
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    """`page` and `page_size` (at most 200); a value out of bounds is refused, never clamped."""

    # Unfiltered lists of a large table are counted by PostgreSQL's estimate: `count` is then
    # approximate, and `next` still leads to every row (tracker/pagination.py).
    django_paginator_class = EstimatedCountPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    template = None

    def get_page_size(self, request):
        return _positive_int(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        number = _positive_int(request, self.page_query_param, 1)
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            results = ngettext("%(count)d result", "%(count)d results", paginator.count) % {
                "count": paginator.count
            }
            raise NotFound(
                _(
                    "Page %(page)d does not exist; the last is page %(last)d "
                    "(%(results)s, %(size)d per page)."
                )
                % {
                    "page": number,
                    "last": paginator.num_pages,
                    "results": results,
                    "size": page_size,
                }
            ) from None
        return list(self.page)

    def get_paginated_response_schema(self, schema):
        # A page has these four keys and no others, as its records have only theirs.
        page = super().get_paginated_response_schema(schema)
        page["additionalProperties"] = False
        return page

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the last answers 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page: {self.page_size} unless given, at most "
                f"{self.max_page_size} (a larger value answers 400).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
