"""Settings for the stakeholder tracker: one module, driven by environment variables.

Every deployment (a laptop trying the tracker, CI, a ministry's servers) reads the same
module; what differs between them comes from the environment, never from a settings fork.
"""

import importlib.util
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false, yes/no, on/off), not {value!r}."
    )


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for a local development run."
        )
    # Debug runs only: a key made fresh at every start, so nothing secret is ever committed.
    import secrets

    SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "django_countries",
    "tracker",
]

# Development tooling (factories, the synthetic data generator, the benchmark and their
# commands) comes with the dev/test extras; a production install without them runs the same
# settings with the app left out.
DEVTOOLS_DEPENDENCIES = ("factory", "faker", "tqdm")
if all(importlib.util.find_spec(name) for name in DEVTOOLS_DEPENDENCIES):
    INSTALLED_APPS.append("tracker.devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files keep their own public, long-lived headers.
    "csp.middleware.CSPMiddleware",
    "tracker.headers.ResponseHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "tracker.timeouts.StatementTimeoutMiddleware",
    "tracker.shared_cache.SharedCacheUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide overrides of other apps' templates (the admin's header), found first.
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}

# --- Read replica (tracker/routers.py) -------------------------------------------------------
# DATABASE_REPLICA_URL (same form as DATABASE_URL) names a streaming replica of the primary:
# the UI's and the API's reads go there; writes, migrations, the admin, the reading desk,
# login, and a browser that wrote in the last TRACKER_REPLICA_PIN_SECONDS stay on the primary.
# Unset: one database, as before. Tests see one database (the replica mirrors `default`)
# unless a test points it at the real replica (tests/replica/).
TRACKER_REPLICA_PIN_SECONDS = env_int("TRACKER_REPLICA_PIN_SECONDS", 5)
if TRACKER_REPLICA_PIN_SECONDS < 0:
    raise ImproperlyConfigured(
        "TRACKER_REPLICA_PIN_SECONDS must be 0 (no pin) or a number of seconds, not "
        f"{TRACKER_REPLICA_PIN_SECONDS}."
    )
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if DATABASE_REPLICA_URL:
    try:
        DATABASES["replica"] = dj_database_url.parse(
            DATABASE_REPLICA_URL,
            conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    except ValueError:
        DATABASES["replica"] = {}
    # The router asks the replica how far it has replayed: PostgreSQL's streaming replication.
    if DATABASES["replica"].get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must name a PostgreSQL streaming replica of the primary "
            "(postgres://user:password@host:port/name), not "
            f"{DATABASE_REPLICA_URL.split('@')[-1]!r}."
        )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["tracker.routers.ReplicaRouter"]
    # Before the session and authentication: every read of the request runs under its route.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "tracker.routers.ReplicaPinMiddleware",
    )
# --- end read replica ------------------------------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's model backend, reading a user's permissions in one query (tracker/roles.py).
AUTHENTICATION_BACKENDS = ["tracker.roles.ModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Each language named in its own script by the switcher (its `name_local`); Arabic is right to left.
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "tracker" / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Africa/Casablanca"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "DJANGO_STATICFILES_STORAGE",
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

LOGIN_URL = "tracker:login"
# Where a login lands when it names no page of this site to go back to (Django's default,
# /accounts/profile/, does not exist here).
LOGIN_REDIRECT_URL = "tracker:dashboard"

# Anonymous users may read the UI and the API only when a deployment says so.
TRACKER_PUBLIC_READ = env_bool("TRACKER_PUBLIC_READ", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# --- Browser policies (tracker/headers.py) ---------------------------------------------------
# Every page runs only the scripts and styles served by the tracker itself: no inline script,
# style element or style attribute is allowed. Two exceptions, both as narrow as CSP allows:
# the ReDoc page writes its styles at run time under the page's nonce, and the admin's history
# list (django-simple-history) carries one fixed style attribute, allowed by its hash alone.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [
            "'unsafe-hashes'",
            "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",  # style="border-top: 0"
        ],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page of the tracker uses, refused to the page and anything it embeds.
PERMISSIONS_POLICY = [
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "usb",
]

# --- Production: HTTPS, shared state, logs ---------------------------------------------------
# Every switch comes from the environment so one settings module serves a laptop on plain
# http://127.0.0.1 and a deployment behind an HTTPS proxy; README "Deployment" lists the
# values `check --deploy` expects.


def env_proxy_ssl_header(name):
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    header, _sep, expected = (part.strip() for part in value.partition(","))
    if not header or not expected:
        raise ImproperlyConfigured(
            f"{name} must be 'HEADER,value', such as 'HTTP_X_FORWARDED_PROTO,https', not {value!r}."
        )
    return (header, expected)


SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# Load balancers probe the application over plain HTTP on its private address.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("DJANGO_SECURE_PROXY_SSL_HEADER")
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", SESSION_COOKIE_SECURE)
USE_X_FORWARDED_HOST = env_bool("DJANGO_USE_X_FORWARDED_HOST", False)

# App servers keep no state of their own, so several can run against one database: sessions
# live in the database (Django's default engine), and the cache and the API's throttling
# counters are tables of that database unless a shared cache server is named.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
CACHES = {
    "default": {
        "BACKEND": os.environ.get(
            "DJANGO_CACHE_BACKEND", "django.core.cache.backends.db.DatabaseCache"
        ),
        "LOCATION": os.environ.get("DJANGO_CACHE_LOCATION", "tracker_cache"),
    },
    # The API throttle's counters, apart from the pages (tracker/api/throttle_store.py says why).
    "throttle": {
        "BACKEND": os.environ.get(
            "TRACKER_THROTTLE_CACHE_BACKEND", "tracker.api.throttle_store.CounterCache"
        ),
        "LOCATION": os.environ.get("TRACKER_THROTTLE_CACHE_LOCATION", "default"),
    },
}

# --- Redis, the shared cache of a deployment with several app servers ----------------------
# REDIS_URL (redis://[:password@]host:port/db, rediss://... for TLS, unix:///path.sock) puts
# the API's pages, the data version and the throttle's counters in Redis, through Django's
# own backend (redis-py, with hiredis parsing replies). Redis's INCR is atomic, so the
# throttle's `add` + `incr` count exactly across every process and server. Every key carries
# TRACKER_CACHE_KEY_PREFIX, so two deployments can share one Redis. Sessions stay in the
# database: a login outlives a Redis restart or eviction, and a Redis outage does not sign
# everyone out of the admin. Each Redis call gives up after TRACKER_REDIS_TIMEOUT_MS: a
# Redis that stops answering makes /healthz and the API answer 503, never a hung worker.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    redis_scheme, _sep, _rest = REDIS_URL.partition("://")
    if not _sep or redis_scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            "REDIS_URL must be a Redis address: redis://host:port/db, rediss://host:port/db "
            "or unix:///path/to/redis.sock (it does not start with one of those schemes)."
        )
    TRACKER_REDIS_TIMEOUT_MS = env_int("TRACKER_REDIS_TIMEOUT_MS", 2000)
    if TRACKER_REDIS_TIMEOUT_MS <= 0:
        raise ImproperlyConfigured(
            f"TRACKER_REDIS_TIMEOUT_MS must be a number of milliseconds, not "
            f"{TRACKER_REDIS_TIMEOUT_MS}."
        )
    TRACKER_CACHE_KEY_PREFIX = os.environ.get("TRACKER_CACHE_KEY_PREFIX", "tracker").strip()
    if not TRACKER_CACHE_KEY_PREFIX:
        raise ImproperlyConfigured("TRACKER_CACHE_KEY_PREFIX must not be empty.")
    redis_options = {
        "socket_connect_timeout": TRACKER_REDIS_TIMEOUT_MS / 1000,
        "socket_timeout": TRACKER_REDIS_TIMEOUT_MS / 1000,
        "health_check_interval": 30,
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": TRACKER_CACHE_KEY_PREFIX,
            "OPTIONS": redis_options,
        },
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{TRACKER_CACHE_KEY_PREFIX}:throttle",
            "OPTIONS": redis_options,
        },
    }

# Logs go to standard output, where a service manager or container runtime collects them.
LOGGING["handlers"]["console"]["stream"] = "ext://sys.stdout"

# How many proxies in front of the application append to X-Forwarded-For (a load balancer,
# an HTTPS proxy): the API throttles anonymous clients by the address the outermost trusted
# proxy saw. 0 (no proxy) uses the connection's address and ignores the header, which any
# client can write.
TRACKER_TRUSTED_PROXIES = env_int("TRACKER_TRUSTED_PROXIES", 0)
if TRACKER_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(
        f"TRACKER_TRUSTED_PROXIES must be 0 (no proxy) or more, not {TRACKER_TRUSTED_PROXIES}."
    )

# Read-only API (tracker/api/): token or session, throttled, strict about its parameters.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a request without credentials gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.api.permissions.ReadIfAllowedOrPublic"],
    "DEFAULT_THROTTLE_CLASSES": [
        "tracker.api.throttling.AnonRateThrottle",
        "tracker.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("TRACKER_API_ANON_RATE", "60/minute") or None,
        "user": os.environ.get("TRACKER_API_USER_RATE", "600/minute") or None,
    },
    "DEFAULT_RENDERER_CLASSES": ["tracker.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["tracker.api.backends.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "tracker.api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "tracker.api.schema.TrackerAutoSchema",
    "EXCEPTION_HANDLER": "tracker.api.exceptions.api_exception_handler",
    "NUM_PROXIES": TRACKER_TRUSTED_PROXIES,
    "URL_FORMAT_OVERRIDE": None,
}

# A refused CSRF check answers in the API's JSON envelope under /api/v1/ (config/urls.py sets
# the other error handlers the same way).
CSRF_FAILURE_VIEW = "tracker.api.exceptions.csrf_failure"

SPECTACULAR_SETTINGS = {
    "TITLE": "Stakeholder tracker API",
    "DESCRIPTION": (
        "Read-only access to the organisations, people, agreements, commitments and sources "
        "of Morocco's medical-device industry drive; every fact comes with the quote that "
        "backs it. Authenticate with `Authorization: Token <key>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io: the docs make no outside request.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "tracker.choices.OrganisationKind",
        "AgreementKindEnum": "tracker.choices.AgreementKind",
        "AgreementStatusEnum": "tracker.choices.AgreementStatus",
        "CommitmentStatusEnum": "tracker.choices.CommitmentStatus",
        "CommitmentCategoryEnum": "tracker.choices.CommitmentCategory",
        "LanguageEnum": "tracker.choices.Language",
        "NameKindEnum": "tracker.choices.NameKind",
        "LinkKindEnum": "tracker.choices.LinkKind",
        "PartyRoleEnum": "tracker.choices.PartyRole",
        "DatePrecisionEnum": "tracker.choices.DatePrecision",
        "ClaimFieldEnum": "tracker.choices.ClaimField",
        "MemberCountQualifierEnum": "tracker.choices.MemberCountQualifier",
    },
}

# Longest a web request's SQL statement may run, in milliseconds, before the database cancels
# it and the request answers 503 (tracker/timeouts.py); 0 is no limit. Only the WSGI
# application applies it, so management commands are never cut short; config/gunicorn.py
# sets it below the worker timeout for `make serve`.
TRACKER_STATEMENT_TIMEOUT_MS = env_int("TRACKER_STATEMENT_TIMEOUT_MS", 0)
if TRACKER_STATEMENT_TIMEOUT_MS < 0:
    raise ImproperlyConfigured(
        "TRACKER_STATEMENT_TIMEOUT_MS must be 0 (no limit) or a number of milliseconds, not "
        f"{TRACKER_STATEMENT_TIMEOUT_MS}."
    )

# Seconds an API page stays in the page cache (tracker/api/cache.py explains it); 0 is off.
TRACKER_API_CACHE_SECONDS = env_int("TRACKER_API_CACHE_SECONDS", 300)
if TRACKER_API_CACHE_SECONDS < 0:
    raise ImproperlyConfigured(
        f"TRACKER_API_CACHE_SECONDS must be 0 (off) or more, not {TRACKER_API_CACHE_SECONDS}."
    )
# Which of CACHES holds those pages and the data version: shared by every app server.
TRACKER_API_CACHE_ALIAS = os.environ.get("TRACKER_API_CACHE_ALIAS", "default")
if TRACKER_API_CACHE_ALIAS not in CACHES:
    raise ImproperlyConfigured(
        f"TRACKER_API_CACHE_ALIAS names no cache: {TRACKER_API_CACHE_ALIAS!r} is not one of "
        f"{', '.join(sorted(CACHES))}."
    )

# Adding a source (tracker/ingest.py): the largest page, file or pasted text read, in bytes;
# how long fetching an address may take, in seconds, redirects included; and whether it may
# reach loopback, private, link-local and reserved addresses (off: a server that fetches what
# staff type must not become a way into the network behind it).
TRACKER_SOURCE_MAX_BYTES = env_int("TRACKER_SOURCE_MAX_BYTES", 2_000_000)
if TRACKER_SOURCE_MAX_BYTES <= 0:
    raise ImproperlyConfigured(
        f"TRACKER_SOURCE_MAX_BYTES must be a number of bytes, not {TRACKER_SOURCE_MAX_BYTES}."
    )
TRACKER_FETCH_TIMEOUT_SECONDS = env_int("TRACKER_FETCH_TIMEOUT_SECONDS", 15)
if TRACKER_FETCH_TIMEOUT_SECONDS <= 0:
    raise ImproperlyConfigured(
        "TRACKER_FETCH_TIMEOUT_SECONDS must be a number of seconds, not "
        f"{TRACKER_FETCH_TIMEOUT_SECONDS}."
    )
TRACKER_FETCH_ALLOW_PRIVATE = env_bool("TRACKER_FETCH_ALLOW_PRIVATE", False)

# The dashboard's "needs attention" panel (tracker/attention.py): an open commitment with no
# news for more than this many months, and a status that changed in the last this many days.
TRACKER_NO_NEWS_MONTHS = env_int("TRACKER_NO_NEWS_MONTHS", 12)
if not 1 <= TRACKER_NO_NEWS_MONTHS <= 1200:
    raise ImproperlyConfigured(
        f"TRACKER_NO_NEWS_MONTHS must be a number of months from 1 to 1200, not "
        f"{TRACKER_NO_NEWS_MONTHS}."
    )
TRACKER_RECENT_CHANGE_DAYS = env_int("TRACKER_RECENT_CHANGE_DAYS", 90)
if not 1 <= TRACKER_RECENT_CHANGE_DAYS <= 36500:
    raise ImproperlyConfigured(
        f"TRACKER_RECENT_CHANGE_DAYS must be a number of days from 1 to 36500, not "
        f"{TRACKER_RECENT_CHANGE_DAYS}."
    )
