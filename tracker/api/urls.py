from django.urls import path, re_path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views
from .exceptions import not_found
from .schema_view import SchemaView

app_name = "api"

router = DefaultRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("people", views.PersonViewSet, basename="person")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("sources", views.SourceViewSet, basename="source")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    # The docs pages are static pages around the schema: public and not throttled, like it.
    path(
        "docs/",
        # Its start-up script is served apart, so the page needs no inline script.
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema",
            template_name="tracker/api/swagger_ui.html",
            throttle_classes=(),
        ),
        name="docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(
            url_name="api:schema", template_name="tracker/api/redoc.html", throttle_classes=()
        ),
        name="redoc",
    ),
    *router.urls,
    # Only addresses ending in a slash: others get Django's usual redirect to add one.
    re_path(r"^[\s\S]*/$", not_found),
]
