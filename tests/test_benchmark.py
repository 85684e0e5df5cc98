import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from tests.test_generate_data import generate
from tracker import models, shared_cache
from tracker.devtools.benchmarking import busiest_samples


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
