"""`manage.py benchmark`: times every face of the tracker (benchmarking.py) on the configured
database; `--markdown` also writes the figures as the tables of BENCHMARKS.md."""

import os
import platform
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import override_settings

from tracker import shared_cache
from tracker.devtools import benchmarking
from tracker.devtools.synthetic import tracker_row_counts

FACES = ("api", "ui", "admin", "search", "load")


class Rollback(Exception):
    """Leaves the database as the benchmark found it."""


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kilobytes = int(meminfo.readline().split()[1])
            memory = f", {kilobytes / 1024 / 1024:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPUs ({cpu}){memory}, Python {platform.python_version()}"


def database():
    vendor = connection.vendor
    if vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} ({settings.DATABASES['default']['NAME']})"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        return cursor.fetchone()[0].split(",")[0]


class Command(BaseCommand):
    help = (
        "Measure every face of the tracker on the configured database: median and 95th "
        "percentile time and query count of each API list and detail, UI page and admin "
        "changelist, the hand-built floor beside each API list, search, and a load run "
        "through the application server."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repeats", type=int, default=20, help="Timed requests per target (default 20)."
        )
        parser.add_argument(
            "--faces",
            default=",".join(FACES),
            help=f"Comma-separated faces to measure, among {', '.join(FACES)} (default: all).",
        )
        parser.add_argument(
            "--load-seconds", type=int, default=10, help="Seconds per load run (default 10)."
        )
        parser.add_argument(
            "--connections", type=int, default=8, help="Concurrent connections of the load run."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Application server workers for the load run (default: what the production "
            "server configuration chooses, else 2).",
        )
        parser.add_argument(
            "--markdown", metavar="PATH", help="Also write the results as Markdown to PATH."
        )
        parser.add_argument(
            "--no-analyze",
            action="store_true",
            help="On PostgreSQL, measure without first running ANALYZE (by default the "
            "planner's statistics are brought up to date, as autovacuum keeps them on a "
            "deployment; right after a bulk load they are missing).",
        )

    def handle(self, *args, **options):
        faces = [face.strip() for face in options["faces"].split(",") if face.strip()]
        unknown = sorted(set(faces) - set(FACES))
        if unknown:
            raise CommandError(
                f"Unknown face {', '.join(unknown)}; choose among {', '.join(FACES)}."
            )
        if options["repeats"] < 1:
            raise CommandError("--repeats must be 1 or more.")
        if (
            options["load_seconds"] < 1
            or options["connections"] < 1
            or (options["workers"] is not None and options["workers"] < 1)
        ):
            raise CommandError("--load-seconds, --connections and --workers must be 1 or more.")

        write = self.stdout.write
        if connection.vendor == "postgresql" and not options["no_analyze"]:
            analyze_started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            seconds = time.perf_counter() - analyze_started
            write(f"ANALYZE: planner statistics updated in {seconds:.1f} s")
        rows = tracker_row_counts()
        header = [
            f"Machine: {machine()}",
            f"Database: {database()}",
            "Shared cache (API pages, data version; throttle counters): "
            + "; ".join(
                "{backend} {location}".format(**shared_cache.describe(alias))
                for alias in ("default", "throttle")
            ),
            "Rows: " + ", ".join(f"{count} {name}" for name, count in rows.items()),
            f"Repeats per target: {options['repeats']}; page size {benchmarking.PAGE_SIZE}; "
            f"DEBUG {'on (slower: queries are recorded)' if settings.DEBUG else 'off'}",
        ]
        for line in header:
            write(line)

        bench = benchmarking.Bench(options["repeats"], out=write)
        started = time.perf_counter()
        try:
            with (
                transaction.atomic(),
                override_settings(
                    REST_FRAMEWORK=benchmarking.unrefused_throttle_settings(),
                    # Each request builds its page: these figures are the API's own work,
                    # beside the floor. The load run measures the page cache.
                    TRACKER_API_CACHE_SECONDS=0,
                ),
            ):
                bench.authenticate()
                bench.run([face for face in faces if face != "load"])
                raise Rollback
        except Rollback:
            pass

        load = None
        if "load" in faces:
            load = self.load_run(options)

        output = benchmarking.table(bench.results)
        write("")
        write(output)
        summary = self.load_summary(load)
        if summary:
            write("")
            write(summary)
        write(f"\nMeasured in {time.perf_counter() - started:.0f} s.")
        if options["markdown"]:
            with open(options["markdown"], "w") as markdown:
                markdown.write("\n".join(f"- {line}" for line in header) + "\n\n")
                markdown.write(benchmarking.table(bench.results, markdown=True) + "\n")
                if summary:
                    markdown.write("\n" + summary + "\n")

    def load_run(self, options):
        """Through the real server, as a partner calls the API: a token on each request.

        The API list is loaded four times, each time on a fresh server: with the page cache
        on (as deployed by default; the warm-up stores the page, the timed requests are
        answered from it) and off, each with the user throttle counting every request in the
        shared cache (at a rate the run never reaches, so nothing is refused; see
        `benchmarking.UNREFUSED_RATE`) and with it off.
        """
        api_list = f"{benchmarking.API_PREFIX}agreements/?page_size={benchmarking.PAGE_SIZE}"
        list_path, trivial = api_list, "/healthz"
        user = get_user_model().objects.create_superuser(
            username=f"benchmark-load-{os.getpid()}", email="", password=None
        )
        try:
            from rest_framework.authtoken.models import Token

            headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
            rates = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES", {})
            no_cache = {"TRACKER_API_CACHE_SECONDS": "0"}
            variants = [("throttle off, page cache off", {"TRACKER_API_USER_RATE": "", **no_cache})]
            if rates.get("user"):
                throttle = (
                    f"throttle on ({rates['user']} configured; run at "
                    f"{benchmarking.UNREFUSED_RATE} so none is refused)"
                )
                throttle_env = {"TRACKER_API_USER_RATE": benchmarking.UNREFUSED_RATE}
                variants.insert(0, (f"{throttle}, page cache off", {**throttle_env, **no_cache}))
                # As a deployment runs by default: the page cache on (the warm-up
                # stores the page; the timed requests read it), the throttle counting.
                seconds = str(settings.TRACKER_API_CACHE_SECONDS or 300)
                cache_env = {"TRACKER_API_CACHE_SECONDS": seconds}
                variants[0:0] = [
                    (
                        f"{throttle}, page cache on ({seconds} s)",
                        {**throttle_env, **cache_env},
                    ),
                    (
                        f"throttle off, page cache on ({seconds} s)",
                        {"TRACKER_API_USER_RATE": "", **cache_env},
                    ),
                ]
            runs = []
            for label, env in variants:
                if label:
                    self.stdout.write(f"  load: {label}")
                figures = benchmarking.load_run(
                    trivial,
                    list_path,
                    headers,
                    options["load_seconds"],
                    options["connections"],
                    options["workers"],
                    out=self.stdout.write,
                    extra_env=env,
                    # The hand-built page once, beside the list as it is served by default.
                    floor=label == variants[-1][0],
                )
                figures["label"] = label
                runs.append(figures)
            return runs
        finally:
            user.delete()

    @staticmethod
    def load_summary(runs):
        if not runs:
            return ""
        lines = []
        for load in runs:
            label = f" — {load['label']}" if load.get("label") else ""
            if "error" in load:
                lines.append(f"Load run{label}: failed — {load['error']}.")
                continue
            lines.append(
                f"Load run{label} ({load['tool']}, {load['connections']} connections, "
                f"{load['seconds']} s each, "
                f"{load['workers']} workers on 127.0.0.1): {load['list']} "
                f"{load['list_rps']:.0f} requests/s ({load['list_errors']} errors) against "
                f"{load['trivial']} {load['trivial_rps']:.0f} requests/s "
                f"({load['trivial_errors']} errors): "
                f"ratio {load['ratio']:.2f} (target ≥ 0.33)."
                + (
                    f" The hand-built page ({load['floor']}, no authentication or throttle) "
                    f"through the same server: {load['floor_rps']:.0f} requests/s "
                    f"({load['floor_errors']} errors), ratio {load['floor_ratio']:.2f}."
                    if "floor" in load
                    else ""
                )
                + benchmarking.describe_worker_memory(load.get("worker_memory"))
            )
        return "\n\n".join(lines)
