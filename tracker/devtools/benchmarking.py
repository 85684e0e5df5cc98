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
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from http.client import HTTPConnection

import orjson
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from tracker import models
from tracker.attention import attention_groups

# The hand-built agreements page that `bench_wsgi` serves beside the site during the load run.
FLOOR_PATH = "/bench-floor/agreements/"

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
# An agreement's title pasted whole into the search box, against one of its words: searching
# agreements reaches their parties' names too, and must cost about the same for both.
PASTED_TITLE = (
    "Accord de partenariat pour le développement de l'industrialisation et du sourcing local "
    "des dispositifs médicaux au Maroc signé le 28 décembre 2021 entre les ministères "
    "cluster groupes santé sociale industrie commerce investissement"
)
AGREEMENT_SEARCHES = {"1 word": "sante", "30 words": PASTED_TITLE}
PAGE_SIZE = 50
# Counted like any rate (one counter per second per client), never reached.
UNREFUSED_RATE = "1000000/second"


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


def unrefused_throttle_settings():
    """The API's settings with the user throttle still counting every request in the cache
    (its cost is part of each API figure) but at a rate a benchmark never reaches, so no
    request is refused with 429. A rate configured off stays off."""
    rest = dict(getattr(settings, "REST_FRAMEWORK", {}))
    rates = dict(rest.get("DEFAULT_THROTTLE_RATES", {}))
    for scope in ("user", "anon"):
        if rates.get(scope):
            rates[scope] = UNREFUSED_RATE
    rest["DEFAULT_THROTTLE_RATES"] = rates
    return rest


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


def ref(slug, name):
    return {"slug": slug, "name": name} if slug is not None else None


def citations_by(field_name, ids):
    """{record id: [{source, quote, note, url}]} for the citations of records `ids` by
    `field_name`; `url` is the quote highlighted on its source's page."""
    grouped = {}
    source_url = detail_prefix("tracker:source-detail", "slug")
    rows = (
        models.Citation.objects.filter(**{f"{field_name}__in": ids})
        .order_by("id")
        .values_list(
            field_name, "id", "source__slug", "source__title", "quote", "note", "field", "value"
        )
    )
    for owner, pk, slug, title, quote, note, claimed, value in rows:
        grouped.setdefault(owner, []).append(
            {
                "source": {"slug": slug, "title": title},
                "quote": quote,
                "note": note,
                "url": f"{source_url}{slug}/#citation-{pk}",
                "field": claimed or None,
                "value": value or None,
            }
        )
    return grouped


def disputed_by(field_name, ids):
    """{record id: [field]} for the fields on which the citations of records `ids` by
    `field_name` report more than one value."""
    grouped = {}
    rows = (
        models.Citation.objects.filter(**{f"{field_name}__in": ids})
        .exclude(field="")
        .order_by()
        .values(field_name, "field")
        .annotate(values=Count("value", distinct=True))
        .filter(values__gt=1)
        .order_by("field")
        .values_list(field_name, "field")
    )
    for owner, claimed in rows:
        grouped.setdefault(owner, []).append(claimed)
    return grouped


def page_envelope(count, results, path):
    following = (
        f"http://localhost{path}?page=2&page_size={PAGE_SIZE}" if count > PAGE_SIZE else None
    )
    return {"count": count, "next": following, "previous": None, "results": results}


# Each floor returns the document the API answers for its first page of PAGE_SIZE records
# in the default order: the same records, fields, nesting, orders and values, key for key
# (`Bench.measure` checks that the two encodings are identical, byte for byte).


def floor_agreements():
    queryset = models.Agreement.objects.all()
    count = queryset.count()
    rows = list(
        queryset.values_list(
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
    ids = [row[0] for row in rows]
    url = detail_prefix("tracker:agreement-detail", "slug")
    commitment_url = detail_prefix("tracker:commitment-detail", "pk")
    parties, commitments = {}, {}
    party_rows = list(
        models.AgreementParty.objects.filter(agreement_id__in=ids)
        .order_by("role", "organisation__name")
        .values_list(
            "id",
            "agreement_id",
            "role",
            "organisation__slug",
            "organisation__name",
            "signed_by__slug",
            "signed_by__name",
        )
    )
    party_citations = citations_by("agreement_party", [row[0] for row in party_rows])
    for key, owner, role, org_slug, org_name, signer_slug, signer_name in party_rows:
        parties.setdefault(owner, []).append(
            {
                "organisation": ref(org_slug, org_name),
                "role": role,
                "signed_by": ref(signer_slug, signer_name),
                "citations": party_citations.get(key, []),
            }
        )
    commitment_rows = list(
        models.Commitment.objects.filter(agreement_id__in=ids)
        .order_by("party__name", "id")
        .values_list(
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
            "latest_news_on",
            "status_changed_on",
        )
    )
    commitment_citations = citations_by("commitment", [row[0] for row in commitment_rows])
    for row in commitment_rows:
        commitments.setdefault(row[1], []).append(
            {
                "id": row[0],
                "url": f"{commitment_url}{row[0]}/",
                "party": ref(row[2], row[3]),
                "beneficiary": ref(row[4], row[5]),
                "beneficiary_description": row[6],
                "description": row[7],
                "category": row[8],
                "status": row[9],
                "due_on": row[10],
                "met_on": row[11],
                "latest_news_on": row[12],
                "status_changed_on": row[13],
                "citations": commitment_citations.get(row[0], []),
            }
        )
    agreement_citations = citations_by("agreement", ids)
    agreement_disputes = disputed_by("agreement", ids)
    results = [
        {
            "slug": slug,
            "url": f"{url}{slug}/",
            "title": title,
            "kind": kind,
            "status": status,
            "signed_on": signed_on,
            "signed_on_precision": precision,
            "place": place,
            "summary": summary,
            "parties": parties.get(key, []),
            "commitments": commitments.get(key, []),
            "disputed_fields": agreement_disputes.get(key, []),
            "citations": agreement_citations.get(key, []),
        }
        for key, slug, title, kind, status, signed_on, precision, place, summary in rows
    ]
    return page_envelope(count, results, "/api/v1/agreements/")


def floor_organisations():
    queryset = models.Organisation.objects.all()
    count = queryset.count()
    rows = list(
        queryset.values_list(
            "id",
            "slug",
            "name",
            "acronym",
            "kind",
            "country",
            "description",
            "founded_on",
            "founded_on_precision",
            "members",
            "members_qualifier",
        )[:PAGE_SIZE]
    )
    ids = [row[0] for row in rows]
    url = detail_prefix("tracker:organisation-detail", "slug")
    names, links_out, links_in, people = {}, {}, {}, {}
    for owner, name, kind, language in (
        models.OrganisationName.objects.filter(organisation_id__in=ids)
        .order_by("name")
        .values_list("organisation_id", "name", "kind", "language")
    ):
        names.setdefault(owner, []).append({"name": name, "kind": kind, "language": language})
    for direction, own, other, groups in (
        ("outgoing", "from_organisation", "to_organisation", links_out),
        ("incoming", "to_organisation", "from_organisation", links_in),
    ):
        for owner, kind, slug, name, started_on, ended_on in (
            models.OrganisationLink.objects.filter(**{f"{own}_id__in": ids})
            .order_by("kind", f"{other}__name")
            .values_list(
                f"{own}_id", "kind", f"{other}__slug", f"{other}__name", "started_on", "ended_on"
            )
        ):
            groups.setdefault(owner, []).append(
                {
                    "direction": direction,
                    "kind": kind,
                    "organisation": ref(slug, name),
                    "started_on": started_on,
                    "ended_on": ended_on,
                }
            )
    for owner, title, started_on, slug, name in (
        models.Position.objects.filter(organisation_id__in=ids, ended_on__isnull=True)
        .order_by("person__name", "title")
        .values_list("organisation_id", "title", "started_on", "person__slug", "person__name")
    ):
        people.setdefault(owner, []).append(
            {"person": ref(slug, name), "title": title, "started_on": started_on}
        )
    cited = citations_by("organisation", ids)
    disputed = disputed_by("organisation", ids)
    results = [
        {
            "slug": slug,
            "url": f"{url}{slug}/",
            "name": name,
            "acronym": acronym,
            "kind": kind,
            "country": country,
            "description": description,
            "founded_on": founded_on,
            "founded_on_precision": precision,
            "members": members,
            "members_qualifier": qualifier,
            "disputed_fields": disputed.get(key, []),
            "other_names": names.get(key, []),
            "links": links_out.get(key, []) + links_in.get(key, []),
            "current_people": people.get(key, []),
            "citations": cited.get(key, []),
        }
        for (
            key,
            slug,
            name,
            acronym,
            kind,
            country,
            description,
            founded_on,
            precision,
            members,
            qualifier,
        ) in rows
    ]
    return page_envelope(count, results, "/api/v1/organisations/")


def floor_people():
    queryset = models.Person.objects.all()
    count = queryset.count()
    rows = list(queryset.values_list("id", "slug", "name", "description")[:PAGE_SIZE])
    ids = [row[0] for row in rows]
    url = detail_prefix("tracker:person-detail", "slug")
    positions = {}
    for owner, title, started_on, ended_on, slug, name in (
        models.Position.objects.filter(person_id__in=ids)
        .order_by("organisation__name", "title")
        .values_list(
            "person_id",
            "title",
            "started_on",
            "ended_on",
            "organisation__slug",
            "organisation__name",
        )
    ):
        positions.setdefault(owner, []).append(
            {
                "organisation": ref(slug, name),
                "title": title,
                "started_on": started_on,
                "ended_on": ended_on,
                "current": ended_on is None,
            }
        )
    cited = citations_by("person", ids)
    results = [
        {
            "slug": slug,
            "url": f"{url}{slug}/",
            "name": name,
            "description": description,
            "positions": positions.get(key, []),
            "citations": cited.get(key, []),
        }
        for key, slug, name, description in rows
    ]
    return page_envelope(count, results, "/api/v1/people/")


def floor_commitments():
    queryset = models.Commitment.objects.all()
    count = queryset.count()
    rows = list(
        queryset.values_list(
            "id",
            "slug",
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
            "latest_news_on",
            "status_changed_on",
        )[:PAGE_SIZE]
    )
    url = detail_prefix("tracker:commitment-detail", "pk")
    ids = [row[0] for row in rows]
    cited = citations_by("commitment", ids)
    disputed = disputed_by("commitment", ids)
    reports = {}
    report_rows = list(
        models.CommitmentReport.objects.filter(commitment_id__in=ids)
        .order_by("reported_on", "id")
        .values_list(
            "id", "commitment_id", "reported_on", "reported_on_precision", "status", "summary"
        )
    )
    report_cited = citations_by("report", [row[0] for row in report_rows])
    for key, owner, reported_on, precision, status, summary in report_rows:
        reports.setdefault(owner, []).append(
            {
                "reported_on": reported_on,
                "reported_on_precision": precision,
                "status": status,
                "summary": summary,
                "citations": report_cited.get(key, []),
            }
        )
    results = [
        {
            "id": row[0],
            "slug": row[1],
            "url": f"{url}{row[0]}/",
            "agreement": {"slug": row[2], "title": row[3]},
            "party": ref(row[4], row[5]),
            "beneficiary": ref(row[6], row[7]),
            "beneficiary_description": row[8],
            "description": row[9],
            "category": row[10],
            "status": row[11],
            "due_on": row[12],
            "met_on": row[13],
            "latest_news_on": row[14],
            "status_changed_on": row[15],
            "disputed_fields": disputed.get(row[0], []),
            "citations": cited.get(row[0], []),
            "reports": reports.get(row[0], []),
        }
        for row in rows
    ]
    return page_envelope(count, results, "/api/v1/commitments/")


def floor_sources():
    queryset = models.Source.objects.all()
    count = queryset.count()
    rows = list(
        queryset.values_list(
            "id",
            "slug",
            "title",
            "outlet",
            "url",
            "language",
            "published_on",
            "published_on_precision",
            "page_dated_on",
            "notes",
        )[:PAGE_SIZE]
    )
    # How many quotes each source on the page has: counted for these rows only.
    counts = dict(
        models.Citation.objects.filter(source_id__in=[row[0] for row in rows])
        .order_by()
        .values_list("source_id")
        .annotate(n=Count("id"))
        .values_list("source_id", "n")
    )
    url = detail_prefix("tracker:source-detail", "slug")
    results = [
        {
            "slug": row[1],
            "url": f"{url}{row[1]}/",
            "title": row[2],
            "outlet": row[3],
            "original_url": row[4],
            "language": row[5],
            "published_on": row[6],
            "published_on_precision": row[7],
            "page_dated_on": row[8],
            "notes": row[9],
            "citation_count": counts.get(row[0], 0),
        }
        for row in rows
    ]
    return page_envelope(count, results, "/api/v1/sources/")


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


def record_query_count(captured):
    """Queries of a request other than the cache's, the throttle counters' and savepoints."""
    from tracker.api.throttle_store import TABLE as THROTTLE_TABLE

    tables = (settings.CACHES.get("default", {}).get("LOCATION", "") or "\0", THROTTLE_TABLE)
    return sum(
        1
        for query in captured.captured_queries
        if not any(table in query["sql"] for table in tables) and "SAVEPOINT" not in query["sql"]
    )


def compare_with_floor(content, body):
    """How the API's page differs from the floor's: a ratio is only worth a page that does
    the same work."""
    if content == body:
        return "same bytes as floor"
    try:
        api, floor = orjson.loads(content), orjson.loads(body)
        api_paths, floor_paths = key_paths(api), key_paths(floor)
    except (ValueError, AttributeError):
        return "not JSON"
    notes = []
    for label, paths in (
        ("floor lacks", api_paths - floor_paths),
        ("API lacks", floor_paths - api_paths),
    ):
        if paths:
            ordered = sorted(paths)
            notes.append(f"{label} " + ", ".join(ordered[:4]) + ("…" if len(ordered) > 4 else ""))
    if not notes:
        notes.append("same fields, different values" if api != floor else "same document")
    return "; ".join(notes)


# ---- running ------------------------------------------------------------------------------


class Bench:
    def __init__(self, repeats, out=print):
        self.repeats = repeats
        self.out = out
        self.results = []
        self.client = Client(HTTP_HOST="localhost")
        # The API as a partner calls it: a token on each request, no session.
        self.api_client = Client(HTTP_HOST="localhost")
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
        client = self.api_client if path.startswith(API_PREFIX) else self.client
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, **headers)  # warm-up, and the query count
        result_queries = len(captured)
        if response.status_code != 200:
            return response, result_queries, []
        times = []
        for _ in range(self.repeats):
            started = time.perf_counter()
            client.get(path, **headers)
            times.append(time.perf_counter() - started)
        return response, result_queries, times

    def measure(self, face, name, path, headers=None, floor=None, compare_path=None):
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
            result.note = compare_with_floor(response.content, body)
        if compare_path and result.times:
            # Tracker queries only: the throttle's cache queries vary by one when its counter
            # has just expired, whatever the page.
            client = self.api_client if path.startswith(API_PREFIX) else self.client
            counts = []
            for probe in (path, compare_path):
                with CaptureQueriesContext(connection) as captured:
                    client.get(probe, **(headers or {}))
                counts.append(record_query_count(captured))
            result.note = "; ".join(
                filter(
                    None,
                    [
                        result.note,
                        f"same {counts[0]} data queries at 1 per page"
                        if counts[0] == counts[1]
                        else f"{counts[0]} data queries, {counts[1]} at 1 per page",
                    ],
                )
            )
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
        samples.update(busiest_samples())
        if "api" in faces:
            for resource, (_model, lookup) in API_RESOURCES.items():
                self.measure(
                    "api",
                    f"{resource} list",
                    f"{API_PREFIX}{resource}/?page_size={PAGE_SIZE}",
                    self.headers,
                    floor=lambda resource=resource: encoded_floor(resource),
                    compare_path=f"{API_PREFIX}{resource}/?page_size=1",
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
                self.measure("ui", f"{path.strip('/')} list" if path != "/" else "dashboard", path)
            for name, query in attention_queries().items():
                self.measure("ui", f"commitments {name}", f"/commitments/?{query}")
                self.measure(
                    "api", f"commitments {name}", f"{API_PREFIX}commitments/?{query}", self.headers
                )
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
            for words, term in AGREEMENT_SEARCHES.items():
                query = urllib.parse.urlencode({"q": term})
                self.measure("search", f"ui agreements q={words}", f"/agreements/?{query}")
                self.measure(
                    "search",
                    f"admin agreements q={words}",
                    reverse("admin:tracker_agreement_changelist") + f"?{query}",
                )
        return self.results


def busiest_samples():
    """The commitment with the most progress reports and the agreement with the most reports
    on its commitments: their pages are the ones whose cost could grow with follow-up."""
    commitment = models.Commitment.objects.annotate(n=Count("reports")).order_by("-n", "pk").first()
    agreement = (
        models.Agreement.objects.annotate(n=Count("commitments__reports"))
        .order_by("-n", "pk")
        .first()
    )
    return {
        name: sample
        for name, sample in (("commitments", commitment), ("agreements", agreement))
        if sample is not None
    }


def attention_queries():
    """The filtered lists behind the dashboard's attention panel, as its links open them."""
    return {
        group.key.replace("_", " "): urllib.parse.urlencode(group.params)
        for group in attention_groups(date.today(), shown=0)
    }


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


def load_run(
    trivial_path,
    list_path,
    headers,
    seconds,
    connections,
    workers,
    out=print,
    extra_env=None,
    floor=False,
):
    """Start the application server on loopback, load the endpoints in turn, stop it.

    The server is `make serve`'s (gunicorn with the production configuration) serving
    `tracker.devtools.bench_wsgi`: the site, and with `floor`, the hand-built agreements page,
    loaded third after `trivial_path` (`/healthz`) and the list. Each
    endpoint gets a two-second warm-up first (a worker's first requests import and compile what
    it needs).
    `extra_env` is added to the server's environment (a throttle rate, say). The server's
    output (gunicorn's access log among it) goes to a temporary file, shown if it fails.
    """
    port = free_port()
    application = "tracker.devtools.bench_wsgi:application"
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        **(extra_env or {}),
    }
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    # What `make serve` runs: the production server configuration, on a free port.
    command = [sys.executable, "-m", "gunicorn", "--config", "python:config.gunicorn", application]
    out(f"  load: {' '.join(command[2:])}")
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if fetch_status(base + trivial_path, headers) == 200:
                break
            time.sleep(0.1)
        else:
            return {"error": f"the server did not answer 200 on {trivial_path}" + tail(log)}
        status = fetch_status(base + list_path, headers)
        if status != 200:
            return {"error": f"{list_path} answered {status} through the server" + tail(log)}
        tool = "wrk" if shutil.which("wrk") else "python"
        figures = {
            "tool": tool,
            "trivial": trivial_path,
            "list": list_path,
            "seconds": seconds,
            "connections": connections,
            "workers": workers or int(env.get("GUNICORN_WORKERS", os.cpu_count() * 2 + 1)),
            "env": extra_env or {},
        }
        endpoints = [("trivial", trivial_path), ("list", list_path)]
        if floor:
            endpoints.append(("floor", FLOOR_PATH))
            figures["floor"] = FLOOR_PATH

        def load(path, seconds):
            if tool == "wrk":
                return wrk_load(base + path, headers, seconds, connections)
            return python_load(
                "127.0.0.1", port, path, headers, seconds, connections, max_requests=100_000
            )

        for label, path in endpoints:
            load(path, 2)  # warm-up, not counted
            rate, errors = load(path, seconds)
            figures[f"{label}_rps"] = rate
            figures[f"{label}_errors"] = errors
            out(f"  load: {path} {rate:.0f} requests/s ({errors} errors)")
        figures["worker_memory"] = worker_memory(server.pid)
        trivial_rps = figures["trivial_rps"]
        figures["ratio"] = figures["list_rps"] / trivial_rps if trivial_rps else 0
        if floor:
            figures["floor_ratio"] = figures["floor_rps"] / trivial_rps if trivial_rps else 0
        return figures
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def worker_memory(master_pid):
    """The resident memory of each child of `master_pid` (gunicorn's workers), in MB: RSS,
    and PSS (each page shared with the master or another worker counted in part), from
    Linux's /proc. Empty where /proc does not tell."""
    workers = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name, in parentheses, may hold spaces: the parent follows it.
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            if parent != master_pid:
                continue
            workers.append({"pid": int(entry), **memory_of(int(entry))})
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or not ours to read
    return sorted(workers, key=lambda worker: worker["pid"])


def memory_of(pid):
    figures = {}
    for path, key, name in (
        (f"/proc/{pid}/status", "VmRSS:", "rss_mb"),
        (f"/proc/{pid}/smaps_rollup", "Pss:", "pss_mb"),
    ):
        try:
            with open(path) as lines:
                for line in lines:
                    if line.startswith(key):
                        figures[name] = int(line.split()[1]) / 1024  # kB
                        break
        except OSError:
            pass
    return figures


def tail(log, lines=15):
    log.seek(0)
    text = log.read().decode(errors="replace").strip().splitlines()[-lines:]
    return (": server output:\n" + "\n".join(text)) if text else ""


def describe_worker_memory(workers):
    """A sentence on the workers' memory after a load run, or nothing where it is unknown."""
    rss = [worker["rss_mb"] for worker in workers or () if "rss_mb" in worker]
    if not rss:
        return ""
    sentence = (
        f" Worker memory after the run ({len(rss)} workers): RSS {min(rss):.0f}–{max(rss):.0f} MB"
    )
    pss = [worker["pss_mb"] for worker in workers if "pss_mb" in worker]
    if pss:
        sentence += f", PSS {min(pss):.0f}–{max(pss):.0f} MB"
    return sentence + "."
