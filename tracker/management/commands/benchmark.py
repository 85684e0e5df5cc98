import os
import platform
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client

from tracker import benchmarking
from tracker.synthetic import tracker_row_counts

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
        rows = tracker_row_counts()
        header = [
            f"Machine: {machine()}",
            f"Database: {database()}",
            "Rows: " + ", ".join(f"{count} {name}" for name, count in rows.items()),
            f"Repeats per target: {options['repeats']}; page size {benchmarking.PAGE_SIZE}; "
            f"DEBUG {'on (slower: queries are recorded)' if settings.DEBUG else 'off'}",
        ]
        for line in header:
            write(line)

        bench = benchmarking.Bench(options["repeats"], out=write)
        started = time.perf_counter()
        try:
            with transaction.atomic():
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
        """Through the real server: a user whose session and token exist only for the run."""
        api_list = f"{benchmarking.API_PREFIX}agreements/?page_size={benchmarking.PAGE_SIZE}"
        candidates = [api_list, "/agreements/", "/admin/tracker/agreement/"]
        list_path = next(path for path in candidates if benchmarking.route_exists(path))
        trivial = next(
            (path for path in ("/healthz", "/healthz/") if benchmarking.route_exists(path)), None
        )
        user = get_user_model().objects.create_superuser(
            username=f"benchmark-load-{os.getpid()}", email="", password=None
        )
        client = Client(HTTP_HOST="localhost")
        cookie = settings.SESSION_COOKIE_NAME
        try:
            client.force_login(user)
            headers = {"Cookie": f"{cookie}={client.cookies[cookie].value}"}
            try:
                from rest_framework.authtoken.models import Token

                headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
            except Exception:
                pass
            return benchmarking.load_run(
                trivial,
                list_path,
                headers,
                options["load_seconds"],
                options["connections"],
                options["workers"],
                out=self.stdout.write,
            )
        finally:
            from django.contrib.sessions.models import Session

            if cookie in client.cookies:
                Session.objects.filter(session_key=client.cookies[cookie].value).delete()
            user.delete()

    @staticmethod
    def load_summary(load):
        if load is None:
            return ""
        if "error" in load:
            return f"Load run: failed — {load['error']}."
        return (
            f"Load run ({load['tool']}, {load['connections']} connections, "
            f"{load['seconds']} s each, "
            f"{load['workers']} workers on 127.0.0.1): {load['list']} "
            f"{load['list_rps']:.0f} requests/s ({load['list_errors']} errors) against "
            f"{load['trivial']} {load['trivial_rps']:.0f} requests/s "
            f"({load['trivial_errors']} errors): "
            f"ratio {load['ratio']:.2f} (target ≥ 0.33)."
        )
