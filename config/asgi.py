"""The ASGI entry point. Deployments serve the WSGI one (`make serve`, config/wsgi.py),
which alone sets the statement timeout of web requests."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()
