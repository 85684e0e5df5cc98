"""The admin's edit pages in a real browser: a common laptop's width, the party box."""

import pytest
from django.contrib.auth.models import User
from django.db.models import Count
from django.urls import reverse

from tests.conftest import TRACKED
from tracker.devtools import factories
from tracker.models import AgreementParty, Commitment, LoadedFixtureRecord, Organisation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "fit-the-screen-42"
LAPTOP_WIDTH = 1366


def widest_record(model):
    """The record whose page has the most to show: the most citations, where it has any."""
    records = model.objects.all()
    if any(field.name == "citations" for field in model._meta.get_fields()):
        records = records.annotate(shown=Count("citations")).order_by("-shown", "pk")
    return records.first()


def log_in(chromium_browser, live_server):
    User.objects.create_superuser("staff", "staff@example.org", PASSWORD)
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
    return context, page


def test_the_party_box_of_a_commitment_offers_only_its_agreements_parties(
    live_server, article_data, chromium_browser
):
    commitment = Commitment.objects.first()
    parties = AgreementParty.objects.filter(agreement=commitment.agreement)
    expected = sorted(str(Organisation.objects.get(pk=p.organisation_id)) for p in parties)
    assert Organisation.objects.count() > len(expected)
    context, page = log_in(chromium_browser, live_server)
    url = reverse("admin:tracker_commitment_change", args=[commitment.pk])
    page.goto(f"{live_server.url}{url}")
    page.locator("[aria-labelledby=select2-id_party-container]").click()
    options = page.locator(".select2-results__option:not(.loading-results)")
    options.first.wait_for()
    page.wait_for_load_state("networkidle")
    offered = sorted(options.all_inner_texts())
    context.close()
    assert offered == expected


def test_every_change_page_fits_a_1366_pixel_screen(live_server, article_data, chromium_browser):
    report = factories.CommitmentReportFactory(commitment=Commitment.objects.first())
    factories.CitationFactory(organisation=None, report=report)
    context, page = log_in(chromium_browser, live_server)
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


def choose(page, box_id, record):
    """Pick a record in a Select2 box the way the box's own choice does: a selected option and
    a change event."""
    page.evaluate(
        """([box, text, value]) => django.jQuery('#' + box)
            .append(new Option(text, value, true, true)).trigger('change')""",
        [box_id, str(record), str(record.pk)],
    )


def test_a_new_commitments_party_box_is_wide_and_empties_when_the_agreement_changes(
    live_server, article_data, chromium_browser
):
    first, second = AgreementParty.objects.values("agreement").distinct().order_by("agreement")[:2]
    party = AgreementParty.objects.filter(agreement=first["agreement"]).first()
    context, page = log_in(chromium_browser, live_server)
    page.goto(f"{live_server.url}{reverse('admin:tracker_commitment_add')}")
    party_box = page.locator("#id_party + .select2-container")
    agreement_box = page.locator("#id_agreement + .select2-container")
    # Before any agreement is chosen the party box is as wide as the agreement's, not a sliver.
    party_width = party_box.bounding_box()["width"]
    agreement_width = agreement_box.bounding_box()["width"]
    choose(page, "id_agreement", party.agreement)
    choose(page, "id_party", party)
    chosen = page.input_value("#id_party")
    choose(page, "id_agreement", type(party.agreement).objects.get(pk=second["agreement"]))
    after_change = page.input_value("#id_party")
    context.close()
    assert party_width >= agreement_width > 100
    assert chosen == str(party.pk)
    assert after_change == ""
