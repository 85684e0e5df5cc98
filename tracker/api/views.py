"""Read-only endpoints: each is a queryset, a serializer and the model's FilterSet."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from .. import filtersets
from . import pages, serializers
from .cache import CachedPage

SLUG_PATTERN = "[-a-zA-Z0-9_]+"


def slug_parameter(record):
    return OpenApiParameter(
        "slug",
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        description=f"The {record}'s slug.",
        pattern=f"^{SLUG_PATTERN}$",
    )


def read_only(record, plural):
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}"),
        retrieve=extend_schema(summary=f"One {record}", parameters=[slug_parameter(record)]),
    )


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """List and detail; what the records show inside them is loaded by `load_related`.

    Pages go through the page cache (`cache.py`). The handlers below run after DRF's
    `initial()`, so authentication, permissions and throttling pass before the cache is read.
    """

    cached_page = None

    def list(self, request, *args, **kwargs):
        return self.from_cache(request) or super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self.from_cache(request) or super().retrieve(request, *args, **kwargs)

    def from_cache(self, request):
        self.cached_page = CachedPage.for_request(request)
        return self.cached_page and self.cached_page.response()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        page = self.cached_page
        if (
            page is not None
            and page.body is None
            and isinstance(response, Response)
            and response.status_code == 200
            and not response.exception
        ):
            response.render()
            page.store(response.content)
        return response

    def load_related(self, records):
        raise NotImplementedError

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.load_related(page)
        return page

    def get_object(self):
        record = super().get_object()
        self.load_related([record])
        return record


class RecordViewSet(ReadOnlyViewSet):
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN


@read_only("organisation", "organisations")
class OrganisationViewSet(RecordViewSet):
    """Ministries, agencies, clusters, companies…, with their other names, their ties to other
    organisations and the people who act for them now."""

    queryset = pages.organisations()
    load_related = staticmethod(pages.load_organisations)
    serializer_class = serializers.OrganisationSerializer
    filterset_class = filtersets.OrganisationFilterSet


@read_only("person", "people")
class PersonViewSet(RecordViewSet):
    """People who act or speak for organisations, with their positions."""

    queryset = pages.people()
    load_related = staticmethod(pages.load_people)
    serializer_class = serializers.PersonSerializer
    filterset_class = filtersets.PersonFilterSet


@read_only("agreement", "agreements")
class AgreementViewSet(RecordViewSet):
    """Agreements with their parties and roles, what each party committed to, and the quotes
    that say so."""

    queryset = pages.agreements()
    load_related = staticmethod(pages.load_agreements)
    serializer_class = serializers.AgreementSerializer
    filterset_class = filtersets.AgreementFilterSet


@extend_schema_view(
    list=extend_schema(summary="List commitments"),
    retrieve=extend_schema(summary="One commitment"),
)
class CommitmentViewSet(ReadOnlyViewSet):
    """What each party undertook in an agreement, and what became of it."""

    queryset = pages.commitments()
    load_related = staticmethod(pages.load_commitments)
    serializer_class = serializers.CommitmentSerializer
    filterset_class = filtersets.CommitmentFilterSet
    lookup_field = "pk"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9]+"


@read_only("source", "sources")
class SourceViewSet(RecordViewSet):
    """The articles facts are taken from. One source also gives its full text and every quote
    taken from it, with the record each quote backs."""

    queryset = pages.sources()
    serializer_class = serializers.SourceSerializer
    filterset_class = filtersets.SourceFilterSet

    def get_queryset(self):
        if self.action == "retrieve":
            return pages.source_details()
        return super().get_queryset()

    def load_related(self, records):
        if self.action == "retrieve":
            pages.load_source_details(records)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.SourceDetailSerializer
        return serializers.SourceSerializer
