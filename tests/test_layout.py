"""The runtime stands without the development tooling installed."""

import subprocess
import sys

from django.conf import settings

# Run before Django starts: the development packages and the project's tests become
# unimportable, as on a server installed with `pip install .` and no extras.
WITHOUT_DEVTOOLS = """
import sys
for name in ("factory", "faker", "tqdm", "tests", "pytest", "tracker.devtools"):
    sys.modules[name] = None  # what Python records for a module that cannot be imported
import django
django.setup()
"""

IMPORT_THE_RUNTIME = """
import importlib, pkgutil, config, tracker
from django.conf import settings
from django.core.management import call_command
imported = 0
for package in (tracker, config):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not module.name.startswith("tracker.devtools"):
            importlib.import_module(module.name)
            imported += 1
call_command("check")
print("devtools" in " ".join(settings.INSTALLED_APPS), imported)
"""


def test_every_runtime_module_imports_without_the_development_packages():
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_DEVTOOLS + IMPORT_THE_RUNTIME],
        cwd=settings.BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "k" * 50,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    devtools_installed, imported = result.stdout.split()[-2:]
    assert devtools_installed == "False"
    assert int(imported) > 30  # every module of tracker/ and config/, not a handful


def test_the_development_tooling_is_installed_with_the_test_extras():
    assert "tracker.devtools" in settings.INSTALLED_APPS
