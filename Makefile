# Two commands do everything: `make run` serves the tracker with the article data on
# http://127.0.0.1:8000/, `make test` runs every test. Both build the virtual environment first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SECRET_KEY_FILE := .local/secret_key
MANAGE := DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" $(BIN)/python manage.py

.PHONY: run test lint setup migrate load clean test-postgres serve backup restore

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $(INSTALLED)

# A key made on this machine, once, and never committed (.local/ is ignored by git).
$(SECRET_KEY_FILE):
	mkdir -p .local
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $(SECRET_KEY_FILE)
	chmod 600 $(SECRET_KEY_FILE)

setup: $(INSTALLED) $(SECRET_KEY_FILE)

migrate: setup
	$(MANAGE) migrate --noinput

load: migrate
	$(MANAGE) load_articles

run: load
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) ensure_superuser
	$(MANAGE) runserver 127.0.0.1:8000

PYTEST := DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" $(BIN)/python -m pytest

# Every test: the suite on SQLite, then the parts that need servers of their own, each started
# on loopback by the scripts and stopped afterwards (installed from Debian's packages if
# missing): the shared cache on Redis, two app servers, a read replica. With PYTEST_ARGS, only
# the tests it names, on SQLite.
test: setup
	$(PYTEST) $(PYTEST_ARGS)
	@if [ -z "$(PYTEST_ARGS)" ]; then $(MAKE) --no-print-directory test-redis test-servers test-replica; fi

# The cache, throttle and health tests once more with the shared cache in a throwaway Redis.
REDIS_TESTS := tests/test_redis.py tests/test_health.py tests/test_api_cache.py tests/test_api.py \
	-k 'throttl or cache or redis or health'

.PHONY: test-redis test-servers
test-redis: setup
	scripts/with-redis env $(PYTEST) $(REDIS_TESTS)

# Two `make serve` servers sharing one PostgreSQL and one Redis; required here, so a missing
# server fails instead of leaving the tests out.
test-servers: setup
	scripts/with-postgres scripts/with-redis env TRACKER_SERVERS_REQUIRED=1 $(PYTEST) tests/servers

# Ruff's rules and formatting, as configured in pyproject.toml; CI runs it before the tests.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# The whole suite on the PostgreSQL server named by DATABASE_URL (postgres://...). For a
# throwaway server made and removed on the spot: scripts/with-postgres make test-postgres
test-postgres: setup
	@case "$$DATABASE_URL" in \
	  postgres://*|postgresql://*|pgsql://*) ;; \
	  *) echo "make test-postgres runs on the PostgreSQL server named by DATABASE_URL" \
	          "(postgres://user:password@host:port/name); it is '$${DATABASE_URL:-unset}'." \
	          "For a throwaway server: scripts/with-postgres make test-postgres" >&2; exit 2;; \
	esac
	DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" $(BIN)/python -m pytest $(PYTEST_ARGS)

# The read replica's tests (tests/replica/): a throwaway primary and a streaming replica of
# it, made and removed on the spot; TRACKER_REPLICA_REQUIRED=1 fails them if no replica came.
.PHONY: test-replica
test-replica: setup
	scripts/with-postgres --replica env TRACKER_REPLICA_REQUIRED=1 $(PYTEST) tests/replica

# Production on one machine: gunicorn (workers from the CPU count), debug off, static files
# collected with hashed, compressed names and served by WhiteNoise, logs on stdout. Settings
# come from the environment (see README, "Deployment"); DJANGO_SECRET_KEY from the
# environment wins over the key kept in .local/. Bind elsewhere with GUNICORN_BIND.
SERVE_ENV := DJANGO_DEBUG=0 DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat $(SECRET_KEY_FILE))}"

serve: setup
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) $(BIN)/gunicorn --config python:config.gunicorn config.wsgi:application

# Whole tracker to a file and back (see README, "Backup and restore").
BACKUP_FILE ?= backup-$(shell date +%Y%m%d-%H%M%S).json

backup: setup
	$(SERVE_ENV) $(BIN)/python manage.py backup --output "$(BACKUP_FILE)"

restore: migrate
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backup.json" >&2; exit 2; }
	$(SERVE_ENV) $(BIN)/python manage.py restore "$(FILE)"

# The default synthetic dataset in a scratch database, then every face measured on it.
# With DATABASE_URL set, that database is used instead of the scratch SQLite file: it must be
# empty (or pass BENCH_GENERATE_ARGS=--force to replace its tracker data).
BENCH_DB := .local/bench.sqlite3
BENCH_ENV = DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" DJANGO_DEBUG=0 \
	DATABASE_URL="$${DATABASE_URL:-sqlite:///$(CURDIR)/$(BENCH_DB)}"
BENCH_GENERATE_ARGS ?=
# BENCH_TIMES=10: the generated data copied ten times over (replicate_data) before measuring.
BENCH_TIMES ?= 1
BENCH_ARGS ?= --markdown .local/bench.md

.PHONY: bench
bench: setup
	@if [ -z "$$DATABASE_URL" ]; then rm -f $(BENCH_DB); fi
	$(BENCH_ENV) $(BIN)/python manage.py migrate --noinput --verbosity 0
	$(BENCH_ENV) $(BIN)/python manage.py generate_data $(BENCH_GENERATE_ARGS)
	@if [ "$(BENCH_TIMES)" -gt 1 ]; then \
		$(BENCH_ENV) $(BIN)/python manage.py replicate_data --times $(BENCH_TIMES); fi
	$(BENCH_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BENCH_ENV) $(BIN)/python manage.py benchmark $(BENCH_ARGS)
