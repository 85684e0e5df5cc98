"""A record's whole history: its own changes and those of what belongs to it, the recent
changes of every record in the UI, and deleted records brought back from the admin."""

import datetime
from contextlib import contextmanager
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from simple_history.models import HistoricalRecords

from tracker.devtools import factories
from tracker.models import Agreement, AgreementParty, Citation, Commitment, Organisation

pytestmark = pytest.mark.django_db


@contextmanager
def acting_as(user):
    """Writes made inside are recorded as `user`'s, as the admin's middleware records them."""
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        del HistoricalRecords.context.request


@pytest.fixture
def editor(db):
    return User.objects.create_user("amina", password="pw", is_staff=True)


def history_page(client, record, **params):
    url = reverse(f"admin:tracker_{record._meta.model_name}_history", args=[record.pk])
    response = client.get(url, params)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


# The record's history page --------------------------------------------------------------


def test_quote_added_changed_and_removed_shows_in_its_records_history(admin_client, editor):
    agreement = factories.AgreementFactory()
    source = factories.SourceFactory(text="Le ministère et le cluster signent une convention.")
    with acting_as(editor):
        citation = Citation.objects.create(
            source=source, quote="signent une convention", agreement=agreement
        )
        citation.note = "page 2"
        citation.save()
        citation_pk = citation.pk
        citation.delete()
    page = history_page(admin_client, agreement)
    assert "Citation added" in page
    assert "signent une convention" in page
    assert "page 2" in page  # note: (empty) → page 2
    assert "Citation deleted" in page
    assert "amina" in page
    # The deleted quote is reachable from the page: a link to its own history.
    assert reverse("admin:tracker_citation_history", args=[citation_pk]) in page


def test_names_parties_commitments_and_reports_show_in_their_records_history(admin_client, editor):
    organisation = factories.OrganisationFactory()
    agreement = factories.AgreementFactory()
    with acting_as(editor):
        factories.OrganisationNameFactory(organisation=organisation, name="Cluster médical")
        party = AgreementParty.objects.create(agreement=agreement, organisation=organisation)
        commitment = factories.CommitmentFactory(
            agreement=agreement, party=organisation, description="Build a test laboratory"
        )
        factories.CommitmentReportFactory(commitment=commitment, summary="Laboratory opened")
    assert "Cluster médical" in history_page(admin_client, organisation)
    agreement_page = history_page(admin_client, agreement)
    assert "Party added" in agreement_page
    assert str(party) in agreement_page
    assert "Build a test laboratory" in agreement_page
    assert "Progress report added" in agreement_page  # a commitment's report, one level down
    assert "Progress report added" in history_page(admin_client, commitment)


def test_field_changes_of_a_record_show_old_and_new_values(admin_client, editor):
    organisation = factories.OrganisationFactory(description="Old description")
    with acting_as(editor):
        organisation.description = "New description"
        organisation.save()
    page = history_page(admin_client, organisation)
    assert "Old description" in page and "New description" in page
    assert "→" in page


def test_saving_a_record_unchanged_writes_no_empty_history_row(admin_client):
    organisation = factories.OrganisationFactory()
    url = reverse("admin:tracker_organisation_change", args=[organisation.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    for prefix in ["other_names", "links_out", "positions", "citations"]:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    before = organisation.history.count()
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context["errors"]
    assert organisation.history.count() == before


def test_revert_is_recorded_as_a_revert_to_the_versions_date(admin_client):
    organisation = factories.OrganisationFactory(description="First")
    organisation.description = "Second"
    organisation.save()
    first = organisation.history.earliest("history_date")
    url = reverse(
        "admin:tracker_organisation_simple_history", args=[organisation.pk, first.history_id]
    )
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND
    latest = organisation.history.latest("history_date")
    assert latest.description == "First"
    assert latest.history_change_reason.startswith("Reverted to the version of ")
    assert "Reverted to the version of" in history_page(admin_client, organisation)


def test_record_history_queries_do_not_grow_with_changes(
    admin_client, editor, django_assert_max_num_queries
):
    agreement = factories.AgreementFactory()

    def add_changes(count):
        with acting_as(editor):
            for _ in range(count):
                commitment = factories.CommitmentFactory(agreement=agreement)
                factories.CitationFactory(organisation=None, agreement=agreement)
                report = factories.CommitmentReportFactory(commitment=commitment)
                factories.CitationFactory(organisation=None, report=report)
                agreement.summary += " more"
                agreement.save()

    add_changes(1)
    with django_assert_max_num_queries(30) as few:
        history_page(admin_client, agreement)
    add_changes(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        history_page(admin_client, agreement)


# Recent changes in the UI ---------------------------------------------------------------


def recent(client, **params):
    return client.get(reverse("tracker:recent-changes"), params)


def test_recent_changes_says_who_changed_what_when_with_links(admin_client, editor):
    with acting_as(editor):
        organisation = factories.OrganisationFactory(name="Cluster MMI")
        gone = factories.PersonFactory(name="Karim Benali")
        gone_url = gone.get_absolute_url()
        gone.delete()
    response = recent(admin_client)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Cluster MMI" in page and "amina" in page
    assert f'href="{organisation.get_absolute_url()}"' in page
    assert "Karim Benali" in page and f'href="{gone_url}"' not in page
    assert "deleted since" in page
    assert f'href="{reverse("tracker:recent-changes")}"' in admin_client.get("/").content.decode()


def test_recent_changes_filters_by_person_kind_and_date(admin_client, editor):
    other = User.objects.create_user("youssef", is_staff=True)
    with acting_as(editor):
        factories.OrganisationFactory(name="Made by Amina")
    with acting_as(other):
        factories.PersonFactory(name="Made by Youssef")
    page = recent(admin_client, user="amina").content.decode()
    assert "Made by Amina" in page and "Made by Youssef" not in page
    page = recent(admin_client, kind="person").content.decode()
    assert "Made by Youssef" in page and "Made by Amina" not in page
    today = timezone.localdate()
    page = recent(admin_client, changed_before=str(today - datetime.timedelta(days=1)))
    assert "Made by" not in page.content.decode()
    page = recent(admin_client, changed_after=str(today)).content.decode()
    assert "Made by Amina" in page and "Made by Youssef" in page


@pytest.mark.parametrize(
    "params, message",
    [
        ({"user": "nobody"}, "No user is named “nobody”."),
        ({"kind": "planet"}, "Select a valid choice."),
        ({"changed_after": "2024-13-01"}, "Enter a valid date."),
        ({"changed_after": "2024-05-02", "changed_before": "2024-05-01"}, "is after"),
        ({"page": "x"}, "is not a page number"),
    ],
)
def test_recent_changes_refuses_bad_filters_clearly(admin_client, params, message):
    factories.OrganisationFactory(name="Never shown with a bad filter")
    response = recent(admin_client, **params)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert message in page
    if "page" not in params:
        assert "Never shown with a bad filter" not in page


def test_recent_changes_is_for_signed_in_users(client):
    response = recent(client)
    assert response.status_code == HTTPStatus.FOUND


def test_recent_changes_pages_through_every_change(admin_client):
    for number in range(60):
        factories.PersonFactory(name=f"Person number {number:02d}")
    first = recent(admin_client).content.decode()
    second = recent(admin_client, page=2).content.decode()
    assert "Person number 59" in first and "Person number 00" not in first
    assert (
        "Person number 00" in second
        or "Person number 00" in recent(admin_client, page=3).content.decode()
    )


def test_recent_changes_queries_do_not_grow_with_rows(
    admin_client, editor, django_assert_max_num_queries
):
    def add_rows():
        with acting_as(editor):
            commitment = factories.CommitmentFactory()
            factories.CitationFactory(organisation=None, commitment=commitment)
            factories.OrganisationNameFactory(organisation=commitment.party)
            factories.PositionFactory(organisation=commitment.party)
            report = factories.CommitmentReportFactory(commitment=commitment)
            factories.CitationFactory(organisation=None, report=report)
            factories.OrganisationLinkFactory(from_organisation=commitment.party)

    add_rows()
    with django_assert_max_num_queries(40) as few:
        assert recent(admin_client).status_code == HTTPStatus.OK
    for _ in range(10):
        add_rows()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert recent(admin_client).status_code == HTTPStatus.OK


# Deleted records in the admin -----------------------------------------------------------


def deleted_list(client, model):
    return client.get(reverse(f"admin:tracker_{model._meta.model_name}_deleted"))


def restore(client, model, history_row):
    url = reverse(f"admin:tracker_{model._meta.model_name}_restore", args=[history_row.history_id])
    return client.post(url, follow=True)


def test_deleted_records_lists_what_is_gone_and_not_what_came_back(admin_client):
    kept = factories.CitationFactory()
    kept_quote, kept_pk = kept.quote, kept.pk
    gone = factories.CitationFactory()
    gone_quote, gone_pk = gone.quote, gone.pk
    gone.delete()
    kept.delete()
    kept.pk = kept_pk
    kept.save(force_insert=True)  # saved again under the same id: not deleted any more
    page = deleted_list(admin_client, Citation)
    assert page.status_code == HTTPStatus.OK
    content = page.content.decode()
    assert escape(gone_quote[:20]) in content  # a quote may hold an apostrophe
    assert reverse("admin:tracker_citation_history", args=[gone_pk]) in content
    assert escape(kept_quote[:20]) not in content
    changelist = admin_client.get(reverse("admin:tracker_citation_changelist")).content.decode()
    assert reverse("admin:tracker_citation_deleted") in changelist


def test_restore_brings_a_record_back_with_its_id_and_says_so_in_history(admin_client):
    agreement = factories.AgreementFactory()
    citation = factories.CitationFactory(organisation=None, agreement=agreement)
    pk, quote = citation.pk, citation.quote
    citation.delete()
    row = Citation.history.get(id=pk, history_type="-")
    response = restore(admin_client, Citation, row)
    assert response.status_code == HTTPStatus.OK
    restored = Citation.objects.get(pk=pk)
    assert restored.quote == quote and restored.agreement_id == agreement.pk
    latest = restored.history.latest("history_date")
    assert latest.history_type == "+"
    assert latest.history_change_reason == "Restored from the deleted records"
    assert latest.history_user.username == "admin"
    assert "was restored" in response.content.decode()
    assert "Citation restored" in history_page(admin_client, agreement)


def test_restore_is_refused_when_what_it_belongs_to_is_gone(admin_client):
    agreement = factories.AgreementFactory(title="Convention gone")
    party = factories.AgreementPartyFactory(agreement=agreement)
    pk = party.pk
    agreement.delete()
    row = AgreementParty.history.get(id=pk, history_type="-")
    response = restore(admin_client, AgreementParty, row)
    assert not AgreementParty.objects.filter(pk=pk).exists()
    page = response.content.decode()
    assert "cannot be restored" in page
    assert "agreement" in page and "no longer exists" in page


def test_restore_is_refused_when_its_slug_was_reused(admin_client):
    organisation = factories.OrganisationFactory(slug="mmi-cluster")
    pk = organisation.pk
    organisation.delete()
    factories.OrganisationFactory(slug="mmi-cluster", name="Another")
    row = Organisation.history.get(id=pk, history_type="-")
    response = restore(admin_client, Organisation, row)
    assert not Organisation.objects.filter(pk=pk).exists()
    assert "cannot be restored" in response.content.decode()
    assert "already exists" in response.content.decode()


def test_restore_needs_the_permission_to_add_that_kind(client):
    editor = User.objects.create_user("editor", password="pw", is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_commitment", "change_commitment"])
    )
    client.force_login(editor)
    commitment = factories.CommitmentFactory()
    pk = commitment.pk
    commitment.delete()
    row = Commitment.history.get(id=pk, history_type="-")
    assert restore(client, Commitment, row).status_code == HTTPStatus.FORBIDDEN
    assert not Commitment.objects.filter(pk=pk).exists()
    editor.user_permissions.add(Permission.objects.get(codename="add_commitment"))
    editor = User.objects.get(pk=editor.pk)
    client.force_login(editor)
    restore(client, Commitment, row)
    assert Commitment.objects.filter(pk=pk).exists()
    assert Agreement.objects.filter(pk=row.agreement_id).exists()


def test_deleted_records_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    def delete_some(count):
        for _ in range(count):
            factories.CitationFactory().delete()

    delete_some(1)
    with django_assert_max_num_queries(20) as few:
        assert deleted_list(admin_client, Citation).status_code == HTTPStatus.OK
    delete_some(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert deleted_list(admin_client, Citation).status_code == HTTPStatus.OK
