"""The WSGI application that gunicorn serves (`make serve`), with the statement timeout of
web requests (tracker/timeouts.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Web requests only: management commands never import this module, so never get the timeout.
from tracker.timeouts import limit_statements  # noqa: E402  (needs the settings loaded)

limit_statements()
