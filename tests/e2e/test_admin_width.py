"""The admin's edit pages at a common laptop width, in a real browser."""

import pytest
from django.contrib.auth.models import User
from django.db.models import Count
from django.urls import reverse

from tests.conftest import TRACKED
from tracker.devtools import factories
from tracker.models import Commitment, LoadedFixtureRecord

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "fit-the-screen-42"
LAPTOP_WIDTH = 1366


def widest_record(model):
    """The record whose page has the most to show: the most citations, where it has any."""
    records = model.objects.all()
    if any(field.name == "citations" for field in model._meta.get_fields()):
        records = records.annotate(shown=Count("citations")).order_by("-shown", "pk")
    return records.first()


def test_every_change_page_fits_a_1366_pixel_screen(live_server, article_data, chromium_browser):
    User.objects.create_superuser("staff", "staff@example.org", PASSWORD)
    report = factories.CommitmentReportFactory(commitment=Commitment.objects.first())
    factories.CitationFactory(organisation=None, report=report)
    context = chromium_browser.new_context(
        viewport={"width": LAPTOP_WIDTH, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    too_wide = {}
    for model in [*TRACKED, LoadedFixtureRecord]:
        record = widest_record(model)
        assert record is not None, model
        url = reverse(f"admin:tracker_{model._meta.model_name}_change", args=[record.pk])
        page.goto(f"{live_server.url}{url}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.evaluate("document.documentElement.clientWidth"):
            too_wide[model._meta.model_name] = width
    context.close()
    assert too_wide == {}
