"""The project's configuration: settings, addresses, the WSGI and ASGI entry points, gunicorn."""
