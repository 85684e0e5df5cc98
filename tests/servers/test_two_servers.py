"""Two `make serve` servers on two loopback ports, one PostgreSQL and one Redis between them:
what a user does on one is what the other answers."""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "two-servers-Passw0rd"
THROTTLE_LIMIT = 6
START_SECONDS = 90


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(shared_services):
    database_url, redis_url = shared_services
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "TRACKER_", "GUNICORN_"))
    }
    environment.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_SECRET_KEY=(BASE_DIR / ".local" / "secret_key").read_text().strip(),
        # A day's window: the test cannot straddle two windows of the limit it checks.
        TRACKER_API_USER_RATE=f"{THROTTLE_LIMIT}/day",
        GUNICORN_WORKERS="1",
    )
    return environment


class Server:
    def __init__(self, name, environment, log_dir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(log_dir) / f"{name}.log", "w+")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=BASE_DIR,
            env={**environment, "GUNICORN_BIND": f"127.0.0.1:{self.port}"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_healthy(self):
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/healthz", timeout=10).status_code == HTTPStatus.OK:
                    return
            except requests.RequestException:  # not listening yet, or still loading
                pass
            time.sleep(0.25)
        self.log.seek(0)
        pytest.fail(f"{self.url} did not start:\n{self.log.read()[-3000:]}")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


SETUP = """
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from tracker import roles
from tracker.devtools import factories

users = get_user_model().objects
users.create_superuser("editor", "editor@example.org", {password!r})
tokens = {{}}
for name in ("reader", "counter"):
    user = users.create_user(name)
    roles.assign(user, roles.PARTNERS)
    tokens[name] = Token.objects.create(user=user).key
agreement = factories.AgreementFactory()
print(json.dumps({{"tokens": tokens, "agreement": [agreement.pk, agreement.slug]}}))
"""


@pytest.fixture(scope="module")
def servers(shared_services):
    environment = server_environment(shared_services)
    with tempfile.TemporaryDirectory(prefix="tracker-servers-") as log_dir:
        started = []
        try:
            # The shared database is migrated and given its users once, before the servers
            # start (each `make serve` then finds no migration left to run). One after the
            # other: each collects the static files, and must not rewrite them under the other.
            setup = subprocess.run(
                [
                    str(BASE_DIR / ".venv" / "bin" / "python"),
                    "manage.py",
                    "shell",
                    "-c",
                    SETUP.format(password=PASSWORD),
                ],
                cwd=BASE_DIR,
                env=environment,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert setup.returncode == 0, setup.stderr
            data = json.loads(setup.stdout.strip().splitlines()[-1])
            for name in ("a", "b"):
                started.append(Server(name, environment, log_dir))
                started[-1].wait_until_healthy()
            yield started[0], started[1], data
        finally:
            for server in started:
                server.stop()


class FormValues(HTMLParser):
    """What a browser would post for the form with id `form_id`, as the page shows it."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.values = form_id, False, []
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "file", "image"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            default = "on" if kind == "checkbox" else ""
            self.values.append((attrs["name"], attrs.get("value", default)))
        elif tag == "textarea":
            self.textarea = [attrs["name"], ""]
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.values.append((self.select, attrs.get("value", "")))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            self.values.append(tuple(self.textarea))
            self.textarea = None
        elif tag == "select":
            self.select = None


def log_in(browser, server):
    login = f"{server.url}/admin/login/"
    browser.get(login)
    response = browser.post(
        login,
        data={
            "username": "editor",
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            "next": "/admin/",
        },
    )
    assert response.url == f"{server.url}/admin/", response.text[:500]


def test_an_edit_saved_through_one_server_is_in_the_other_servers_next_api_answer(servers):
    a, b, data = servers
    pk, slug = data["agreement"]
    reader = {"Authorization": f"Token {data['tokens']['reader']}"}
    before = requests.get(f"{b.url}/api/v1/agreements/{slug}/", headers=reader, timeout=10)
    assert before.status_code == HTTPStatus.OK
    # Twice: the page is now in Redis and in B's own memory.
    assert (
        requests.get(f"{b.url}/api/v1/agreements/{slug}/", headers=reader, timeout=10).json()
        == before.json()
    )

    browser = requests.Session()
    log_in(browser, a)
    change = f"{a.url}/admin/tracker/agreement/{pk}/change/"
    form = FormValues("agreement_form")
    form.feed(browser.get(change, timeout=10).text)
    values = [
        (name, "Accord edited on server A" if name == "title" else value)
        for name, value in form.values
    ]
    values.append(("_save", "Save"))
    saved = browser.post(change, data=values, timeout=30)
    assert saved.url.endswith("/admin/tracker/agreement/"), saved.text[:2000]

    after = requests.get(f"{b.url}/api/v1/agreements/{slug}/", headers=reader, timeout=10)
    assert after.json()["title"] == "Accord edited on server A"
    assert before.json()["title"] != "Accord edited on server A"


def test_one_tokens_throttle_limit_holds_across_both_servers_together(servers):
    a, b, data = servers
    counter = {"Authorization": f"Token {data['tokens']['counter']}"}
    statuses = [
        requests.get(f"{server.url}/api/v1/", headers=counter, timeout=10).status_code
        for server in (a, b) * (THROTTLE_LIMIT // 2)
    ]
    assert statuses == [HTTPStatus.OK] * THROTTLE_LIMIT
    for server in (a, b):
        refused = requests.get(f"{server.url}/api/v1/", headers=counter, timeout=10)
        assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert int(refused.headers["Retry-After"]) > 0


def test_a_session_made_by_logging_in_on_one_server_is_valid_on_the_other(servers):
    a, b, _data = servers
    browser = requests.Session()
    log_in(browser, a)
    page = browser.get(f"{b.url}/admin/", timeout=10, allow_redirects=False)
    assert page.status_code == HTTPStatus.OK
    assert "editor" in page.text
    anonymous = requests.get(f"{b.url}/admin/", timeout=10, allow_redirects=False)
    assert anonymous.status_code == HTTPStatus.FOUND


def test_healthz_on_each_server_names_the_shared_database_and_cache(servers, shared_services):
    database_url, redis_url = shared_services
    database, cache = urlsplit(database_url), urlsplit(redis_url)
    for server in servers[:2]:
        body = requests.get(f"{server.url}/healthz", timeout=10).json()
        assert body["status"] == "ok"
        assert body["database"] == {
            "status": "ok",
            "vendor": "postgresql",
            "location": f"{database.hostname}:{database.port}{database.path}",
        }
        for alias in ("cache", "throttle"):
            assert body[alias] == {
                "status": "ok",
                "backend": "redis",
                "location": f"{cache.hostname}:{cache.port}{cache.path}",
            }
        assert database.password not in json.dumps(body)
