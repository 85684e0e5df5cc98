"""The production settings the README documents pass Django's deployment checks."""

import io
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command

README = settings.BASE_DIR / "README.md"


def documented_production_environment():
    """The KEY=value lines of the README's production environment block."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- production-env -->(.*?)<!-- /production-env -->", text, re.S)
    assert block, "README.md has no production environment block"
    environment = {}
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", line):
            name, value = line.split("=", 1)
            environment[name] = value.strip()
    return environment


def run_deploy_check(environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def production_environment():
    environment = documented_production_environment()
    # The README shows where these come from; the check needs real-looking values.
    assert "DJANGO_SECRET_KEY" in environment and "DATABASE_URL" in environment
    environment["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    environment["DATABASE_URL"] = os.environ.get("DATABASE_URL", "sqlite:///unused.sqlite3")
    return environment


def test_documented_production_settings_pass_the_deployment_checks(production_environment):
    result = run_deploy_check(production_environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deployment_checks_fail_without_the_https_settings(production_environment):
    plain_http = {
        name: value
        for name, value in production_environment.items()
        if not name.startswith(("DJANGO_SECURE_", "DJANGO_SESSION_", "DJANGO_CSRF_COOKIE"))
    }
    result = run_deploy_check(plain_http)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_a_malformed_proxy_header_setting_is_refused_with_its_name(production_environment):
    production_environment["DJANGO_SECURE_PROXY_SSL_HEADER"] = "X-Forwarded-Proto"
    result = run_deploy_check(production_environment)
    assert result.returncode != 0
    assert "DJANGO_SECURE_PROXY_SSL_HEADER must be 'HEADER,value'" in result.stderr


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    output = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit as exit_:
        pytest.fail(f"Model changes without a migration (exit {exit_.code}):\n{output.getvalue()}")


def load_gunicorn_config(**environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "TRACKER_"))}
    env.update(environment)
    code = (
        "import os, runpy; runpy.run_path('config/gunicorn.py'); "
        "print(os.environ['TRACKER_STATEMENT_TIMEOUT_MS'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_serve_cancels_statements_before_the_worker_timeout():
    assert load_gunicorn_config().stdout.split() == ["30000"]
    assert load_gunicorn_config(GUNICORN_TIMEOUT="20").stdout.split() == ["10000"]
    assert load_gunicorn_config(TRACKER_STATEMENT_TIMEOUT_MS="5000").stdout.split() == ["5000"]
    for value in ("60000", "90000", "-1", "soon"):
        result = load_gunicorn_config(TRACKER_STATEMENT_TIMEOUT_MS=value)
        assert result.returncode != 0
        assert "TRACKER_STATEMENT_TIMEOUT_MS must be" in result.stderr
