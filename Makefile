# Two commands do everything: `make run` serves the tracker with the article data on
# http://127.0.0.1:8000/, `make test` runs every test. Both build the virtual environment first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SECRET_KEY_FILE := .local/secret_key
MANAGE := DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" $(BIN)/python manage.py

.PHONY: run test setup migrate load clean

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

test: setup
	DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# The default synthetic dataset in a scratch database, then every face measured on it.
# With DATABASE_URL set, that database is used instead of the scratch SQLite file: it must be
# empty (or pass BENCH_GENERATE_ARGS=--force to replace its tracker data).
BENCH_DB := .local/bench.sqlite3
BENCH_ENV = DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" DJANGO_DEBUG=0 \
	DATABASE_URL="$${DATABASE_URL:-sqlite:///$(CURDIR)/$(BENCH_DB)}"
BENCH_GENERATE_ARGS ?=
BENCH_ARGS ?= --markdown .local/bench.md

.PHONY: bench
bench: setup
	@if [ -z "$$DATABASE_URL" ]; then rm -f $(BENCH_DB); fi
	$(BENCH_ENV) $(BIN)/python manage.py migrate --noinput --verbosity 0
	$(BENCH_ENV) $(BIN)/python manage.py generate_data $(BENCH_GENERATE_ARGS)
	$(BENCH_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BENCH_ENV) $(BIN)/python manage.py benchmark $(BENCH_ARGS)
