"""gunicorn settings for `make serve`; each can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The usual rule for synchronous workers: two per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# No SQL statement of a request may outlive the worker: the database cancels it at half the
# worker timeout (30 s by default) and the request answers 503 (tracker/timeouts.py). The
# workers read it from the environment, which they inherit from here.
# 0 turns it off, and with it that guarantee.
statement_timeout = os.environ.setdefault("TRACKER_STATEMENT_TIMEOUT_MS", str(timeout * 500))
if not statement_timeout.isdigit() or int(statement_timeout) >= timeout * 1000:
    raise SystemExit(
        f"TRACKER_STATEMENT_TIMEOUT_MS must be a number of milliseconds below the worker "
        f"timeout (GUNICORN_TIMEOUT, {timeout} s = {timeout * 1000} ms), or 0 for no limit, "
        f"not {statement_timeout!r}: a statement that outlives its worker gets it killed."
    )
graceful_timeout = 30
# Restart workers now and then so a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Both the access log and gunicorn's own log on standard output.
accesslog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}
