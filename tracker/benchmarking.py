"""Measuring every face of the tracker on the configured database.

Each target is requested through Django's test client, so the whole middleware stack runs;
time is wall-clock per request, and the query count is taken from one extra request under
`CaptureQueriesContext` (capturing slows queries a little, so timed requests run without it).
Targets whose route does not exist in this deployment are reported as absent.

Beside each API list, the "floor" builds the same page of the same objects by hand from
`.values()` queries and encodes it with orjson: what the framework's serialisation costs is
the ratio between the two.
"""

import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

import orjson
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from . import models

API_PREFIX = "/api/v1/"
API_RESOURCES = {
    # resource: (model, lookup field)
    "organisations": (models.Organisation, "slug"),
    "people": (models.Person, "slug"),
    "agreements": (models.Agreement, "slug"),
    "commitments": (models.Commitment, "pk"),
    "sources": (models.Source, "slug"),
}
UI_LISTS = ["/", "/agreements/", "/organisations/", "/people/", "/commitments/", "/sources/"]
SEARCH_TERMS = ["ministere de la sante", "DISPOSITIFS MEDICAUX", "sharikat", "Équipements"]
PAGE_SIZE = 50


@dataclass
class Result:
    face: str
    name: str
    path: str
    status: object = "absent"  # HTTP status, or "absent" when the route does not exist
    times: list = field(default_factory=list)
    queries: int | None = None
    floor_times: list = field(default_factory=list)
    note: str = ""

    @property
    def median(self):
        return statistics.median(self.times) * 1000 if self.times else None

    @property
    def p95(self):
        return percentile(self.times, 95) * 1000 if self.times else None

    @property
    def floor_median(self):
        return statistics.median(self.floor_times) * 1000 if self.floor_times else None

    @property
    def ratio(self):
        if self.median is None or not self.floor_median:
            return None
        return self.median / self.floor_median


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def route_exists(path):
    try:
        resolve(path.split("?")[0])
    except Resolver404:
        return False
    return True


# ---- the floor: API pages built by hand -------------------------------------------------


def detail_prefix(route, lookup):
    """The URL of a detail page up to its lookup value, found once rather than per row."""
    try:
        sample = reverse(route, kwargs={lookup: "0" if lookup == "pk" else "x"})
    except NoReverseMatch:
        return None
    return "http://localhost" + sample[: -len("0/" if lookup == "pk" else "x/")]


def citations_by(field_name, ids):
    """{record id: [{source, quote}]} for the citations of records `ids` by `field_name`."""
    grouped = {}
    rows = models.Citation.objects.filter(**{f"{field_name}__in": ids}).values_list(
        field_name, "source__slug", "source__title", "quote"
    )
    for owner, slug, title, quote in rows:
        grouped.setdefault(owner, []).append(
            {"source": {"slug": slug, "title": title}, "quote": quote}
        )
    return grouped


def page_envelope(count, results, path):
    following = (
        f"http://localhost{path}?page=2&page_size={PAGE_SIZE}" if count > PAGE_SIZE else None
    )
    return {"count": count, "next": following, "previous": None, "results": results}


def floor_agreements():
    queryset = models.Agreement.objects.all()
    count = queryset.count()
    rows = list(
        queryset.values(
            "id",
            "slug",
            "title",
            "kind",
            "status",
            "signed_on",
            "signed_on_precision",
            "place",
            "summary",
        )[:PAGE_SIZE]
    )
    ids = [row["id"] for row in rows]
    url = detail_prefix("tracker:agreement-detail", "slug")
    parties, commitments = {}, {}
    party_rows = models.AgreementParty.objects.filter(agreement_id__in=ids).values(
        "id",
        "agreement_id",
        "role",
        "organisation__slug",
        "organisation__name",
        "signed_by__slug",
        "signed_by__name",
    )
    party_citations = citations_by("agreement_party", [row["id"] for row in party_rows])
    for row in party_rows:
        parties.setdefault(row["agreement_id"], []).append(
            {
                "organisation": {
                    "slug": row["organisation__slug"],
                    "name": row["organisation__name"],
                },
                "role": row["role"],
                "signed_by": {"slug": row["signed_by__slug"], "name": row["signed_by__name"]}
                if row["signed_by__slug"]
                else None,
                "citations": party_citations.get(row["id"], []),
            }
        )
    commitment_rows = models.Commitment.objects.filter(agreement_id__in=ids).values(
        "id",
        "agreement_id",
        "party__slug",
        "party__name",
        "beneficiary__slug",
        "beneficiary__name",
        "beneficiary_description",
        "description",
        "category",
        "status",
        "due_on",
        "met_on",
    )
    commitment_citations = citations_by("commitment", [row["id"] for row in commitment_rows])
    commitment_url = detail_prefix("tracker:commitment-detail", "pk")
    for row in commitment_rows:
        commitments.setdefault(row["agreement_id"], []).append(
            {
                "id": row["id"],
                "url": f"{commitment_url}{row['id']}/",
                "party": {"slug": row["party__slug"], "name": row["party__name"]},
                "beneficiary": {"slug": row["beneficiary__slug"], "name": row["beneficiary__name"]}
                if row["beneficiary__slug"]
                else None,
                "beneficiary_description": row["beneficiary_description"],
                "description": row["description"],
                "category": row["category"],
                "status": row["status"],
                "due_on": row["due_on"],
                "met_on": row["met_on"],
                "citations": commitment_citations.get(row["id"], []),
            }
        )
    agreement_citations = citations_by("agreement", ids)
    results = []
    for row in rows:
        key = row.pop("id")
        row["url"] = f"{url}{row['slug']}/"
        row["parties"] = parties.get(key, [])
        row["commitments"] = commitments.get(key, [])
        row["citations"] = agreement_citations.get(key, [])
        results.append(row)
    return page_envelope(count, results, "/api/v1/agreements/")


def floor_organisations():
    queryset = models.Organisation.objects.all()
    count = queryset.count()
    rows = list(
        queryset.values(
            "id",
            "slug",
            "name",
            "acronym",
            "kind",
            "country",
            "description",
            "founded_on",
            "founded_on_precision",
        )[:PAGE_SIZE]
    )
    ids = [row["id"] for row in rows]
    on_page = set(ids)
    url = detail_prefix("tracker:organisation-detail", "slug")
    names, links, people = {}, {}, {}
    for row in models.OrganisationName.objects.filter(organisation_id__in=ids).values(
        "organisation_id", "name", "kind", "language"
    ):
        names.setdefault(row.pop("organisation_id"), []).append(row)
    for row in models.OrganisationLink.objects.filter(
        Q(from_organisation_id__in=ids) | Q(to_organisation_id__in=ids)
    ).values(
        "from_organisation_id",
        "to_organisation_id",
        "kind",
        "from_organisation__slug",
        "from_organisation__name",
        "to_organisation__slug",
        "to_organisation__name",
        "started_on",
        "ended_on",
    ):
        link = {"kind": row["kind"], "started_on": row["started_on"], "ended_on": row["ended_on"]}
        if row["from_organisation_id"] in on_page:
            links.setdefault(row["from_organisation_id"], []).append(
                {
                    **link,
                    "direction": "out",
                    "organisation": {
                        "slug": row["to_organisation__slug"],
                        "name": row["to_organisation__name"],
                    },
                }
            )
        if row["to_organisation_id"] in on_page:
            links.setdefault(row["to_organisation_id"], []).append(
                {
                    **link,
                    "direction": "in",
                    "organisation": {
                        "slug": row["from_organisation__slug"],
                        "name": row["from_organisation__name"],
                    },
                }
            )
    for row in models.Position.objects.filter(
        organisation_id__in=ids, ended_on__isnull=True
    ).values("organisation_id", "title", "started_on", "person__slug", "person__name"):
        people.setdefault(row["organisation_id"], []).append(
            {
                "person": {"slug": row["person__slug"], "name": row["person__name"]},
                "title": row["title"],
                "started_on": row["started_on"],
            }
        )
    cited = citations_by("organisation", ids)
    results = []
    for row in rows:
        key = row.pop("id")
        row["url"] = f"{url}{row['slug']}/"
        row["other_names"] = names.get(key, [])
        row["links"] = links.get(key, [])
        row["people"] = people.get(key, [])
        row["citations"] = cited.get(key, [])
        results.append(row)
    return page_envelope(count, results, "/api/v1/organisations/")


def floor_people():
    queryset = models.Person.objects.all()
    count = queryset.count()
    rows = list(queryset.values("id", "slug", "name", "description")[:PAGE_SIZE])
    ids = [row["id"] for row in rows]
    url = detail_prefix("tracker:person-detail", "slug")
    positions = {}
    for row in models.Position.objects.filter(person_id__in=ids).values(
        "person_id", "title", "started_on", "ended_on", "organisation__slug", "organisation__name"
    ):
        positions.setdefault(row["person_id"], []).append(
            {
                "organisation": {
                    "slug": row["organisation__slug"],
                    "name": row["organisation__name"],
                },
                "title": row["title"],
                "started_on": row["started_on"],
                "ended_on": row["ended_on"],
            }
        )
    cited = citations_by("person", ids)
    results = []
    for row in rows:
        key = row.pop("id")
        row["url"] = f"{url}{row['slug']}/"
        row["positions"] = positions.get(key, [])
        row["citations"] = cited.get(key, [])
        results.append(row)
    return page_envelope(count, results, "/api/v1/people/")


def floor_commitments():
    queryset = models.Commitment.objects.all()
    count = queryset.count()
    rows = list(
        queryset.values(
            "id",
            "agreement__slug",
            "agreement__title",
            "party__slug",
            "party__name",
            "beneficiary__slug",
            "beneficiary__name",
            "beneficiary_description",
            "description",
            "category",
            "status",
            "due_on",
            "met_on",
        )[:PAGE_SIZE]
    )
    url = detail_prefix("tracker:commitment-detail", "pk")
    cited = citations_by("commitment", [row["id"] for row in rows])
    results = []
    for row in rows:
        results.append(
            {
                "id": row["id"],
                "url": f"{url}{row['id']}/",
                "agreement": {"slug": row["agreement__slug"], "title": row["agreement__title"]},
                "party": {"slug": row["party__slug"], "name": row["party__name"]},
                "beneficiary": {"slug": row["beneficiary__slug"], "name": row["beneficiary__name"]}
                if row["beneficiary__slug"]
                else None,
                "beneficiary_description": row["beneficiary_description"],
                "description": row["description"],
                "category": row["category"],
                "status": row["status"],
                "due_on": row["due_on"],
                "met_on": row["met_on"],
                "citations": cited.get(row["id"], []),
            }
        )
    return page_envelope(count, results, "/api/v1/commitments/")


def floor_sources():
    queryset = models.Source.objects.all()
    count = queryset.count()
    rows = list(
        queryset.values(
            "slug", "title", "outlet", "url", "language", "published_on", "published_on_precision"
        )[:PAGE_SIZE]
    )
    url = detail_prefix("tracker:source-detail", "slug")
    for row in rows:
        row["web_url"] = f"{url}{row['slug']}/"
    return page_envelope(count, rows, "/api/v1/sources/")


FLOORS = {
    "agreements": floor_agreements,
    "organisations": floor_organisations,
    "people": floor_people,
    "commitments": floor_commitments,
    "sources": floor_sources,
}


def encoded_floor(resource):
    return orjson.dumps(FLOORS[resource]())


def key_paths(value, prefix=""):
    """Every key path of a JSON document (lists looked into), for comparing two shapes."""
    paths = set()
    if isinstance(value, dict):
        for key, item in value.items():
            paths.add(prefix + key)
            paths |= key_paths(item, prefix + key + ".")
    elif isinstance(value, list):
        for item in value[:20]:
            paths |= key_paths(item, prefix)
    return paths


# ---- running ------------------------------------------------------------------------------


class Bench:
    def __init__(self, repeats, out=print):
        self.repeats = repeats
        self.out = out
        self.results = []
        self.client = Client(HTTP_HOST="localhost")
        self.headers = {}

    def authenticate(self):
        """A superuser for this run: logged in for the UI and admin, with a token for the API."""
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_superuser(
            username=f"benchmark-{os.getpid()}-{time.monotonic_ns()}", email="", password=None
        )
        self.client.force_login(user)
        try:
            from rest_framework.authtoken.models import Token

            token = Token.objects.create(user=user)
            self.headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
        except Exception:  # token authentication not installed here
            self.headers = {}
        return user

    def time_request(self, path, headers=None):
        headers = headers or {}
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(path, **headers)  # warm-up, and the query count
        result_queries = len(captured)
        if response.status_code != 200:
            return response, result_queries, []
        times = []
        for _ in range(self.repeats):
            started = time.perf_counter()
            self.client.get(path, **headers)
            times.append(time.perf_counter() - started)
        return response, result_queries, times

    def measure(self, face, name, path, headers=None, floor=None):
        result = Result(face, name, path)
        self.results.append(result)
        if not route_exists(path):
            self.out(f"  {face:<7} {name:<34} absent")
            return result
        response, result.queries, result.times = self.time_request(path, headers)
        result.status = response.status_code
        if response.status_code != 200:
            result.note = f"answered {response.status_code}"
        if floor and result.times:
            body = floor()
            result.floor_times = []
            for _ in range(self.repeats):
                started = time.perf_counter()
                floor()
                result.floor_times.append(time.perf_counter() - started)
            try:
                api_paths = key_paths(orjson.loads(response.content).get("results", [])[:50])
                floor_paths = key_paths(orjson.loads(body)["results"])
                missing = sorted(api_paths - floor_paths)
                if missing:
                    result.note = (
                        "floor lacks " + ", ".join(missing[:6]) + ("…" if len(missing) > 6 else "")
                    )
            except (ValueError, AttributeError):
                result.note = "not JSON"
        self.out(
            f"  {face:<7} {name:<34} {format_ms(result.median)} ms, {result.queries} queries"
            + (
                f", floor {format_ms(result.floor_median)} ms, ratio {result.ratio:.2f}"
                if result.ratio
                else ""
            )
        )
        return result

    def time_function(self, face, name, function):
        """A query path measured without HTTP (for search through the queryset itself)."""
        result = Result(face, name, "(queryset)", status="ok")
        with CaptureQueriesContext(connection) as captured:
            function()
        result.queries = len(captured)
        for _ in range(self.repeats):
            started = time.perf_counter()
            function()
            result.times.append(time.perf_counter() - started)
        self.results.append(result)
        self.out(f"  {face:<7} {name:<34} {format_ms(result.median)} ms, {result.queries} queries")
        return result

    def run(self, faces):
        samples = {
            resource: model.objects.order_by("pk").first()
            for resource, (model, _lookup) in API_RESOURCES.items()
        }
        if "api" in faces:
            for resource, (_model, lookup) in API_RESOURCES.items():
                self.measure(
                    "api",
                    f"{resource} list",
                    f"{API_PREFIX}{resource}/?page_size={PAGE_SIZE}",
                    self.headers,
                    floor=lambda resource=resource: encoded_floor(resource),
                )
                sample = samples[resource]
                if sample is not None:
                    self.measure(
                        "api",
                        f"{resource} detail",
                        f"{API_PREFIX}{resource}/{getattr(sample, lookup)}/",
                        self.headers,
                    )
        if "ui" in faces:
            for path in UI_LISTS:
                self.measure("ui", f"{path.strip('/') or 'dashboard'} list", path)
            for resource, sample in samples.items():
                if sample is not None:
                    self.measure("ui", f"{resource} detail", sample.get_absolute_url())
        if "admin" in faces:
            for model in admin.site._registry:
                if model._meta.app_label != "tracker":
                    continue
                opts = model._meta
                self.measure(
                    "admin",
                    f"{opts.model_name} changelist",
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                )
        if "search" in faces:
            total = models.Organisation.objects.count()
            for term in SEARCH_TERMS:

                def search(term=term):
                    queryset = models.Organisation.objects.search(term)
                    return queryset.count(), list(queryset.values("slug", "name")[:PAGE_SIZE])

                self.time_function("search", f"orgs ({total}) q={term!r}", search)
                query = urllib.parse.urlencode({"q": term})
                self.measure(
                    "search",
                    f"api orgs q={term!r}",
                    f"{API_PREFIX}organisations/?{query}",
                    self.headers,
                )
                self.measure("search", f"ui orgs q={term!r}", f"/organisations/?{query}")
                self.measure(
                    "search",
                    f"admin orgs q={term!r}",
                    reverse("admin:tracker_organisation_changelist") + f"?{query}",
                )
        return self.results


def format_ms(value):
    if value is None:
        return "—"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def table(results, markdown=False):
    header = [
        "face",
        "target",
        "status",
        "median ms",
        "p95 ms",
        "queries",
        "floor ms",
        "× floor",
        "note",
    ]
    rows = []
    for r in results:
        rows.append(
            [
                r.face,
                r.name,
                str(r.status),
                format_ms(r.median),
                format_ms(r.p95),
                "—" if r.queries is None else str(r.queries),
                format_ms(r.floor_median),
                f"{r.ratio:.2f}" if r.ratio else "—",
                r.note,
            ]
        )
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
        ]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:{'<' if i in (0, 1, 8) else '>'}{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*row) for row in [header, *rows])


# ---- the load run ---------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch_status(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def python_load(host, port, path, headers, seconds, connections, max_requests):
    """A small keep-alive load generator: `connections` threads, bounded in time and count."""
    deadline = time.perf_counter() + seconds
    done = [0]
    errors = [0]
    lock = threading.Lock()

    def worker():
        conn = HTTPConnection(host, port, timeout=30)
        while time.perf_counter() < deadline:
            with lock:
                if done[0] >= max_requests:
                    return
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                done[0] += 1
                errors[0] += response.status != 200

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - started), errors[0]


def wrk_load(url, headers, seconds, connections):
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        command + [url], capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return (float(rate.group(1)) if rate else 0.0), (int(non_2xx.group(1)) if non_2xx else 0)


def load_run(trivial_path, list_path, headers, seconds, connections, workers, out=print):
    """Start the application server on loopback, load two endpoints in turn, stop it."""
    port = free_port()
    uses_ping = trivial_path is None
    if uses_ping:
        from .bench_wsgi import PING_PATH

        trivial_path = PING_PATH
    application = "tracker.bench_wsgi:application" if uses_ping else "config.wsgi:application"
    env = {**os.environ, "DJANGO_DEBUG": "0", "GUNICORN_BIND": f"127.0.0.1:{port}"}
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    gunicorn_config = (Path(settings.BASE_DIR) / "config" / "gunicorn.py").is_file()
    if gunicorn_config:
        # What `make serve` runs: the production server configuration, on a free port.
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:config.gunicorn",
            application,
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            application,
            "--bind",
            env["GUNICORN_BIND"],
            "--workers",
            str(workers or 2),
            "--log-level",
            "warning",
        ]
    out(f"  load: {' '.join(command[2:])}")
    server = subprocess.Popen(command, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if fetch_status(base + trivial_path, headers) == 200:
                break
            time.sleep(0.1)
        else:
            return {"error": f"the server did not answer 200 on {trivial_path}"}
        status = fetch_status(base + list_path, headers)
        if status != 200:
            return {"error": f"{list_path} answered {status} through the server"}
        tool = "wrk" if shutil.which("wrk") else "python"
        figures = {
            "tool": tool,
            "trivial": trivial_path,
            "list": list_path,
            "seconds": seconds,
            "connections": connections,
            "workers": workers or (gunicorn_config and "the configured") or 2,
        }
        for label, path in (("trivial", trivial_path), ("list", list_path)):
            if tool == "wrk":
                rate, errors = wrk_load(base + path, headers, seconds, connections)
            else:
                rate, errors = python_load(
                    "127.0.0.1", port, path, headers, seconds, connections, max_requests=100_000
                )
            figures[f"{label}_rps"] = rate
            figures[f"{label}_errors"] = errors
            out(f"  load: {path} {rate:.0f} requests/s ({errors} errors)")
        figures["ratio"] = (
            figures["list_rps"] / figures["trivial_rps"] if figures["trivial_rps"] else 0
        )
        return figures
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
