"""The site plus a trivial JSON endpoint, for load runs on a deployment without `/healthz`.

The load run compares the agreements list with the cheapest request the same server can
answer through the same middleware; `/healthz` is that request where it exists.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from django.http import JsonResponse  # noqa: E402  (needs the settings loaded above)
from django.urls import path  # noqa: E402

import config.urls  # noqa: E402

PING_PATH = "/bench-ping/"


def ping(request):
    return JsonResponse({"status": "ok"})


# The URL resolver reads the patterns on the first request, after this line.
config.urls.urlpatterns.append(path(PING_PATH.strip("/") + "/", ping))
