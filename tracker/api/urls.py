"""The API's addresses: one read-only endpoint per kind of record, the schema and its docs;
any other address under /api/v1/ is a JSON 404."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from . import views
from .exceptions import not_found
from .schema_view import RedocView, SchemaView, SwaggerView

app_name = "api"

router = DefaultRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("people", views.PersonViewSet, basename="person")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("sources", views.SourceViewSet, basename="source")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", RedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
    # Only addresses ending in a slash: others get Django's usual redirect to add one.
    re_path(r"^[\s\S]*/$", not_found),
]
