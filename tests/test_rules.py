"""Each rule of the domain has one home, and every face that shows it agrees with it."""

import datetime
import html
from http import HTTPStatus

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from tracker.admin import AgreementAdmin
from tracker.choices import CommitmentStatus, LinkKind, PartyRole
from tracker.devtools import factories
from tracker.filtersets import CommitmentFilterSet
from tracker.forms import SlugInputs
from tracker.models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    Organisation,
    Person,
    Source,
)

pytestmark = pytest.mark.django_db


def page_text(response):
    return html.unescape(response.content.decode())


# A citation's record, in words -------------------------------------------------------------


def cited_records(source):
    cluster = factories.OrganisationFactory(name="Medical Cluster", acronym="MMI")
    ministry = factories.OrganisationFactory(name="Ministry of Health", acronym="")
    person = factories.PersonFactory(name="Amina Alaoui")
    position = factories.PositionFactory(person=person, organisation=ministry, title="Minister")
    link = factories.OrganisationLinkFactory(
        from_organisation=cluster, to_organisation=ministry, kind=LinkKind.MEMBER_OF
    )
    agreement = factories.AgreementFactory(title="Accord on ventilators")
    party = factories.AgreementPartyFactory(
        agreement=agreement, organisation=cluster, role=PartyRole.SIGNATORY
    )
    commitment = factories.CommitmentFactory(
        agreement=agreement, party=cluster, description="Place orders for ventilators"
    )
    targets = {
        "organisation": cluster,
        "organisation_link": link,
        "person": person,
        "position": position,
        "agreement": agreement,
        "agreement_party": party,
        "commitment": commitment,
    }
    for name, target in targets.items():
        factories.CitationFactory(source=source, **{"organisation": None, name: target})
    return list(Citation.objects.with_targets().filter(source=source))


def test_a_citations_record_is_named_alike_on_the_source_page_in_the_api_and_in_the_admin(
    admin_client,
):
    source = factories.SourceFactory()
    citations = cited_records(source)
    labels = {citation.target_name: citation.target_label() for citation in citations}
    assert labels["position"] == "Amina Alaoui — Minister, Ministry of Health"
    assert labels["agreement_party"] == ("Medical Cluster (MMI) — Signatory, Accord on ventilators")

    api = admin_client.get(f"/api/v1/sources/{source.slug}/").json()
    assert {quote["supports"]: quote["record"] for quote in api["quotes"]} == labels

    source_page = page_text(admin_client.get(source.get_absolute_url()))
    admin_list = page_text(
        admin_client.get(
            reverse("admin:tracker_citation_changelist"), {"source__id__exact": source.pk}
        )
    )
    for label in labels.values():
        assert label in source_page
        assert label in admin_list


# A record's name ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "kind", "factory", "name"),
    [
        (Organisation, "organisations", factories.OrganisationFactory, "Nordic Devices"),
        (Person, "people", factories.PersonFactory, "Nadia Nordic"),
        (Agreement, "agreements", factories.AgreementFactory, "Nordic accord"),
        (Source, "sources", factories.SourceFactory, "Nordic article"),
    ],
)
def test_a_record_is_named_alike_in_suggestions_and_beside_its_slug_in_a_filter(
    admin_client, model, kind, factory, name
):
    record = factory(**{model.name_field: name})
    suggested = admin_client.get(reverse("tracker:suggest", kwargs={"kind": kind}), {"q": "nordic"})
    assert suggested.json()["results"] == [{"value": record.slug, "label": name}]
    widget = SlugInputs(model, multiple=False, label="record")
    assert f'<span class="slug-name">{name}</span>' in widget.render("record", record.slug)


# The sources list --------------------------------------------------------------------------


def test_a_sources_citation_count_is_the_same_in_the_admin_and_the_api(admin_client):
    quoted = factories.SourceFactory(title="Quoted article")
    factories.CitationFactory.create_batch(3, source=quoted)
    factories.SourceFactory(title="Unquoted article")
    listed = {source.title: source.citation_count for source in Source.objects.listed()}
    assert listed == {"Quoted article": 3, "Unquoted article": 0}

    api = admin_client.get("/api/v1/sources/").json()["results"]
    assert {row["title"]: row["citation_count"] for row in api} == listed
    admin_list = admin_client.get(reverse("admin:tracker_source_changelist"))
    shown = {source.title: source.citation_count for source in admin_list.context["cl"].result_list}
    assert shown == listed


# A party's commitments ---------------------------------------------------------------------


def test_a_party_with_commitments_is_kept_alike_by_the_admin_and_by_any_delete(admin_client):
    commitment = factories.CommitmentFactory(description="Place orders for ventilators")
    factories.CommitmentFactory(agreement=commitment.agreement, description="Train technicians")
    party = AgreementParty.objects.get(
        agreement=commitment.agreement, organisation=commitment.party
    )
    bystander = AgreementParty.objects.exclude(pk=party.pk).get(agreement=commitment.agreement)
    assert list(party.commitments_made()) == [commitment]

    delete_page = reverse("admin:tracker_agreementparty_delete", args=[party.pk])
    page = page_text(admin_client.get(delete_page))
    assert "Place orders for ventilators" in page
    assert "Train technicians" not in page

    with pytest.raises(ProtectedError) as refused, transaction.atomic():
        party.delete()
    assert set(refused.value.protected_objects) == {commitment}
    assert AgreementParty.objects.filter(pk=party.pk).exists()
    assert bystander.commitments_made().count() == 1


# Overdue -----------------------------------------------------------------------------------


def test_the_overdue_badge_and_the_overdue_filter_agree_around_today(admin_client):
    today = timezone.localdate()
    commitments = [
        factories.CommitmentFactory(
            due_on=today + datetime.timedelta(days=offset),
            status=status,
            met_on=today if status == CommitmentStatus.MET else None,
        )
        for offset in (-1, 0, 1)
        for status in (CommitmentStatus.ANNOUNCED, CommitmentStatus.MET)
    ]
    filtered = set(CommitmentFilterSet({"overdue": "true"}, queryset=Commitment.objects.all()).qs)
    not_overdue = set(
        CommitmentFilterSet({"overdue": "false"}, queryset=Commitment.objects.all()).qs
    )
    expected = {
        commitment
        for commitment in commitments
        if commitment.due_on < today and commitment.status == CommitmentStatus.ANNOUNCED
    }
    assert filtered == expected
    assert not_overdue == set(commitments) - expected
    for commitment in commitments:
        assert commitment.is_overdue(today) == (commitment in expected)
        page = admin_client.get(commitment.get_absolute_url()).content.decode()
        assert ('class="badge overdue"' in page) == (commitment in expected), commitment.due_on
    dashboard = admin_client.get(reverse("tracker:dashboard"))
    assert set(dashboard.context["overdue"]) == expected


# The commitment–party rule on the agreement page -------------------------------------------


def test_the_agreement_page_checks_commitments_through_public_admin_hooks_only():
    assert "_create_formsets" not in vars(AgreementAdmin)


def test_replacing_a_party_that_made_commitments_is_refused_on_the_agreement_page(admin_client):
    from tests.test_admin import agreement_form, inline_management

    commitment = factories.CommitmentFactory()
    agreement = commitment.agreement
    party = AgreementParty.objects.get(agreement=agreement)
    newcomer = factories.OrganisationFactory()
    data = agreement_form(
        title=agreement.title,
        slug=agreement.slug,
        **inline_management("parties", total=1, initial=1),
        **{
            "parties-0-id": party.pk,
            "parties-0-agreement": agreement.pk,
            "parties-0-organisation": newcomer.pk,
            "parties-0-role": "signatory",
        },
        **inline_management("commitments", total=1, initial=1),
        **{
            "commitments-0-id": commitment.pk,
            "commitments-0-agreement": agreement.pk,
            "commitments-0-slug": commitment.slug,
            "commitments-0-party": commitment.party_id,
            "commitments-0-description": commitment.description,
            "commitments-0-category": commitment.category,
            "commitments-0-status": commitment.status,
        },
    )
    change_page = reverse("admin:tracker_agreement_change", args=[agreement.pk])
    response = admin_client.post(change_page, data)
    assert response.status_code == HTTPStatus.OK
    assert "is not a party of the agreement" in response.content.decode()
    assert AgreementParty.objects.get(pk=party.pk).organisation_id == commitment.party_id
