import io
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from tests.test_generate_data import generate
from tracker import models, shared_cache
from tracker.devtools.benchmarking import busiest_samples, describe_worker_memory, worker_memory


@pytest.mark.django_db
def test_benchmark_measures_every_face_and_prints_its_table():
    generate()
    out = io.StringIO()
    call_command("benchmark", repeats=2, faces="api,ui,admin,search", stdout=out)
    table = out.getvalue()
    assert f"Database: {connection.display_name}" in table
    # Which shared cache the figures were measured with: Redis, or the database's tables.
    cache = shared_cache.describe("default")
    assert f"Shared cache (API pages, data version; throttle counters): {cache['backend']} " in (
        table
    )
    for target in (
        "agreements list",
        "organisation changelist",
        "citation changelist",
        "agreements detail",
        "q='ministere de la sante'",
    ):
        assert target in table
    changelist = next(
        line for line in table.splitlines() if line.startswith("admin   agreement changelist")
    )
    assert " 200 " in changelist  # measured, not absent, with its query count beside it
    # Each API list is set against a floor that builds exactly the page the API answers.
    for resource in ("organisations", "people", "agreements", "commitments", "sources"):
        api_list = next(
            line for line in table.splitlines() if line.startswith(f"api     {resource} list")
        )
        assert "same bytes as floor" in api_list
        assert re.search(r"same \d+ data queries at 1 per page", api_list)
    # A pasted 30-word title is measured beside one word, in the UI and the admin, and
    # answered (a page, not a refusal or an error).
    for face in ("ui", "admin"):
        for words in ("1 word", "30 words"):
            row = next(
                line
                for line in table.splitlines()
                if line.startswith(f"search  {face} agreements q={words}")
            )
            assert " 200 " in row, row
    # The lists behind the dashboard's attention panel are measured on both faces.
    for face in ("ui", "api"):
        for name in ("overdue", "no news", "status changed"):
            row = next(
                line
                for line in table.splitlines()
                if line.startswith(f"{face:<7} commitments {name}")
            )
            assert " 200 " in row, row
    # The benchmark's superuser and its session exist only during the run.
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_benchmark_refuses_an_unknown_face():
    with pytest.raises(CommandError, match="Unknown face nosuch"):
        call_command("benchmark", faces="api,nosuch", stdout=io.StringIO())


@pytest.mark.django_db
def test_benchmark_measures_the_pages_of_the_records_with_the_most_follow_up():
    generate()
    samples = busiest_samples()
    most_reports = max(c.reports.count() for c in models.Commitment.objects.all())
    assert most_reports >= 2
    assert samples["commitments"].reports.count() == most_reports
    most_on_agreement = max(
        models.CommitmentReport.objects.filter(commitment__agreement=a).count()
        for a in models.Agreement.objects.all()
    )
    assert (
        models.CommitmentReport.objects.filter(commitment__agreement=samples["agreements"]).count()
        == most_on_agreement
    )


CHILD = """import sys, time
held = bytearray(int(sys.argv[1]))
open(sys.argv[2], "a").write("x")
time.sleep(60)
"""
MASTER = """import subprocess, sys, time
for size in ("1", str(50 * 2**20)):
    subprocess.Popen([sys.executable, sys.argv[1], size, sys.argv[2]])
time.sleep(60)
"""


def test_load_run_reads_the_memory_of_each_worker_of_the_server(tmp_path):
    """After a load run the benchmark reports each gunicorn worker's memory: the children of
    the server's master process, read from /proc; a worker holding 50 MB more than another
    shows it."""
    (tmp_path / "child.py").write_text(CHILD)
    (tmp_path / "master.py").write_text(MASTER)
    ready = tmp_path / "ready"
    master = subprocess.Popen(
        [sys.executable, tmp_path / "master.py", tmp_path / "child.py", ready]
    )
    workers = []
    try:
        for _ in range(200):
            if ready.exists() and len(ready.read_text()) == 2:
                break
            time.sleep(0.05)
        workers = worker_memory(master.pid)
    finally:
        for worker in workers:
            os.kill(worker["pid"], signal.SIGKILL)
        master.kill()
        master.wait()
    assert len(workers) == 2
    small, large = sorted(worker["rss_mb"] for worker in workers)
    assert large - small > 45
    assert all(worker["pss_mb"] > 0 for worker in workers)
    sentence = describe_worker_memory(workers)
    assert sentence.startswith(" Worker memory after the run (2 workers): RSS ")
    assert describe_worker_memory([]) == ""
