"""The site's addresses: the admin, the health probe, the language switch, the API under
/api/v1/ and the staff UI; error handlers that keep the API's JSON envelope under /api/."""

from django.contrib import admin
from django.urls import include, path

from tracker.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("tracker.api.urls")),
    path("", include("tracker.urls")),
]

# Django's own error pages, except under /api/, where errors keep the API's JSON envelope.
handler400 = "tracker.api.exceptions.bad_request"
handler403 = "tracker.api.exceptions.permission_denied"
handler404 = "tracker.api.exceptions.page_not_found"
handler500 = "tracker.api.exceptions.server_error"
