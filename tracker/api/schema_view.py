"""The OpenAPI schema and its two documentation pages (Swagger UI, ReDoc), answering errors
in the API's JSON envelope."""

from django.utils.translation import get_language
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.response import Response

from .renderers import JSONRenderer


class JSONErrorsMixin:
    """Errors in the API's JSON envelope, whatever the page's own format (YAML, HTML).

    A 405 or 406 would otherwise be rendered by the view's renderer: YAML for the schema, a
    line of text for the docs pages.
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.exception:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
            response.content_type = JSONRenderer.media_type
        return response


class SchemaView(JSONErrorsMixin, SpectacularAPIView):
    """The OpenAPI document: public, the same for every caller, built once per process.

    It is not throttled (partners read it before they have a token, and it touches neither
    the database nor the cache); building it costs tens of milliseconds, so each process keeps
    what it built for a language and host instead of building it for every request.
    """

    throttle_classes = ()
    built = {}

    def _get_schema_response(self, request):
        # Only the document is kept: its file name follows the format this request
        # negotiated (YAML or JSON), not the one of the request that built it.
        key = (get_language(), request.get_host(), request.version)
        if key not in self.built:
            self.built[key] = super()._get_schema_response(request).data
        version = self.api_version or request.version or self._get_version_parameter(request)
        return Response(
            data=self.built[key],
            headers={
                "Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'
            },
        )


class SwaggerView(JSONErrorsMixin, SpectacularSwaggerSplitView):
    # The docs pages are static pages around the schema: public and not throttled, like it.
    # Its start-up script is served apart, so the page needs no inline script.
    throttle_classes = ()
    template_name = "tracker/api/swagger_ui.html"


class RedocView(JSONErrorsMixin, SpectacularRedocView):
    throttle_classes = ()
    template_name = "tracker/api/redoc.html"
