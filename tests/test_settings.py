"""Settings come from the environment and refuse an unsafe start."""

import os
import subprocess
import sys

from django.conf import settings


def start_django(code="", **environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRACKER_"))}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_secret_key_and_debug_off_the_process_refuses_to_start():
    result = start_django()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_a_debug_run_starts_without_a_secret_key():
    assert start_django(DJANGO_DEBUG="1").returncode == 0


def test_a_misspelt_boolean_is_named():
    result = start_django(DJANGO_SECRET_KEY="k" * 50, DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_debug_is_off_and_anonymous_read_closed_by_default():
    result = start_django(
        "from django.conf import settings; print(settings.DEBUG, settings.TRACKER_PUBLIC_READ)",
        DJANGO_SECRET_KEY="k" * 50,
    )
    assert result.stdout.split() == ["False", "False"]


def test_statement_timeout_is_off_by_default_and_a_bad_value_is_named():
    read = "from django.conf import settings; print(settings.TRACKER_STATEMENT_TIMEOUT_MS)"
    assert start_django(read, DJANGO_SECRET_KEY="k" * 50).stdout.split() == ["0"]
    for value in ("-1", "30s"):
        result = start_django(read, DJANGO_SECRET_KEY="k" * 50, TRACKER_STATEMENT_TIMEOUT_MS=value)
        assert result.returncode != 0
        assert "TRACKER_STATEMENT_TIMEOUT_MS must be" in result.stderr


def test_attention_periods_default_to_a_year_and_90_days_and_a_bad_value_is_named():
    read = (
        "from django.conf import settings; "
        "print(settings.TRACKER_NO_NEWS_MONTHS, settings.TRACKER_RECENT_CHANGE_DAYS)"
    )
    assert start_django(read, DJANGO_SECRET_KEY="k" * 50).stdout.split() == ["12", "90"]
    for name, value in (
        ("TRACKER_NO_NEWS_MONTHS", "0"),
        ("TRACKER_NO_NEWS_MONTHS", "a year"),
        ("TRACKER_RECENT_CHANGE_DAYS", "-5"),
        ("TRACKER_RECENT_CHANGE_DAYS", "99999"),
    ):
        result = start_django(read, DJANGO_SECRET_KEY="k" * 50, **{name: value})
        assert result.returncode != 0, (name, value)
        assert f"{name} must be" in result.stderr, (name, value)
