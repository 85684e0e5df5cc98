from django.utils.translation import get_language
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    """The OpenAPI document: public, the same for every caller, built once per process.

    It is not throttled (partners read it before they have a token, and it touches neither
    the database nor the cache); building it costs tens of milliseconds, so each process keeps
    what it built for a language and host instead of building it for every request.
    """

    throttle_classes = ()
    built = {}

    def _get_schema_response(self, request):
        key = (get_language(), request.get_host(), request.version)
        if key not in self.built:
            self.built[key] = super()._get_schema_response(request)
        response = self.built[key]
        return Response(data=response.data, headers=dict(response.headers))
