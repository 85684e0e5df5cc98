"""The site plus one benchmark endpoint, served by the load run.

`/bench-floor/agreements/` is the API's first page of agreements built by hand
(`benchmarking.floor_agreements`) with no authentication, throttle or framework around it:
what the same server can do at best for that page.

Everything else is `config.wsgi` unchanged: the same settings, middleware and routes.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from django.http import HttpResponse  # noqa: E402  (needs the settings loaded)
from django.urls import path  # noqa: E402

import config.urls  # noqa: E402

from .benchmarking import FLOOR_PATH, encoded_floor  # noqa: E402


def floor(request):
    return HttpResponse(encoded_floor("agreements"), content_type="application/json")


# The URL resolver reads the patterns on the first request, after these lines.
config.urls.urlpatterns[:0] = [
    path(FLOOR_PATH.strip("/") + "/", floor),
]
