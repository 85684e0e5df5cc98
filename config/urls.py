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
